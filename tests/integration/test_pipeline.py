"""End-to-end smoke pipeline on the tiny world: manifests, accounting, trained weights, the table, skip/rerun."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FEW_BENCHMARKS, REPO, SMOKE, run_pipeline

from fusechat.envlock import current_lock
from fusechat.stage_table import STAGES


def manifest(run_dir: Path, stage: str) -> dict:
    return json.loads((run_dir / STAGES[stage].folder / "manifest.json").read_text())


def test_every_stage_has_a_complete_manifest_whose_counts_add_up(smoke_run: Path) -> None:
    for name in STAGES:
        m = manifest(smoke_run, name)
        assert m["stage"] == name and m["fingerprint"] and m["output_hash"] and m["git_commit"]
        assert m["recipe"]["run"]["dir"] == str(smoke_run)
        assert {"python", "torch", "transformers", "trl"} <= set(m["versions"])
        assert m["env_lock"] == current_lock()  # the lock this interpreter was built from (None: not from a lock)
        for c in m["counts"]:
            if c["additive"]:
                assert c["in"] == c["out"] + sum(c["dropped"].values()), (name, c)


def test_stages_hand_over_consistent_counts(smoke_run: Path) -> None:
    select = manifest(smoke_run, "select_prompts")["counts"][0]
    assert select["dropped"].get("duplicate", 0) > 0 and select["dropped"].get("code_prompt", 0) > 0
    build = manifest(smoke_run, "build_sft_dpo")
    assert build["counts"][0]["in"] == select["out"]
    assert build["stats"]["sft"] > 0 and build["stats"]["dpo"] > 0
    assert build["stats"]["per_source"]["alpaca_gpt4_zh"]["dpo"] == 0  # Chinese is SFT only
    verdicts = manifest(smoke_run, "verify_answers")["stats"]["verdicts"]
    assert verdicts["correct"] > 0 and verdicts["incorrect"] > 0  # the tiny world branches
    assert verdicts["passed"] > 0 and verdicts["failed"] + verdicts.get("no_code", 0) > 0  # code ran in the sandbox
    assert build["counts"][0]["dropped"].get("all_responses_fail_tests", 0) > 0
    export = manifest(smoke_run, "export")["stats"]
    assert (export["sft"], export["dpo"]) == (build["stats"]["sft"], build["stats"]["dpo"])
    assert manifest(smoke_run, "sft")["counts"][0]["in"] == export["sft"]
    assert manifest(smoke_run, "dpo")["counts"][0]["in"] == export["dpo"]


def test_exports_are_in_the_library_formats(smoke_run: Path) -> None:
    out = smoke_run / STAGES["export"].folder
    info = json.loads((out / "llamafactory" / "dataset_info.json").read_text())
    assert info["fusechat3_dpo"]["ranking"] is True and info["fusechat3_sft"]["formatting"] == "sharegpt"
    sft = [json.loads(x) for x in (out / "llamafactory" / "fusechat3_sft.jsonl").read_text().splitlines()]
    assert all([t["from"] for t in r["conversations"]] == ["human", "gpt"] for r in sft)
    trl = [json.loads(x) for x in (out / "trl" / "dpo.jsonl").read_text().splitlines()]
    assert all(r["prompt"][0]["role"] == "user" and r["chosen"][0]["role"] == "assistant" for r in trl)
    fuse = [json.loads(x) for x in (out / "fuseai" / "FuseChat-3.0-DPO-Data.jsonl").read_text().splitlines()]
    assert {"dataset", "source_model", "prompt", "chosen", "rejected"} == set(fuse[0])
    card = (out / "DATASET_CARD.md").read_text()
    assert f"| **total** | | | {len(sft)} | {len(trl)} |" in card


def test_dpo_weights_differ_from_sft_weights(smoke_run: Path) -> None:
    from safetensors.torch import load_file

    sft = load_file(smoke_run / "train/01_sft/model/model.safetensors")
    dpo = load_file(smoke_run / "train/02_dpo/model/model.safetensors")
    assert sft.keys() == dpo.keys()
    changed = [k for k in sft if not (sft[k] == dpo[k]).all()]
    assert len(changed) > len(sft) // 2
    assert manifest(smoke_run, "dpo")["stats"]["trainer"] == "LengthNormalizedDPOTrainer"


def test_dpo_keeps_the_better_of_its_last_two_checkpoints(smoke_run: Path) -> None:
    stats = manifest(smoke_run, "dpo")["stats"]
    assert stats["checkpoint_choice"] == "best_of_last_two" and stats["heldout_rows"] >= 1
    cands = stats["checkpoint_candidates"]
    save = manifest(smoke_run, "dpo")["recipe"]["dpo"]["save_steps"]
    grid = [s for s in range(save, stats["global_steps"] + 1, save)][-2:]
    assert [c["step"] for c in cands] == grid and len(grid) == 2
    best = max(cands, key=lambda c: (c["score"], c["step"]))
    assert stats["chosen_checkpoint"] == best["step"]
    from safetensors.torch import load_file

    chosen = load_file(smoke_run / f"train/02_dpo/checkpoints/checkpoint-{best['step']}/model.safetensors")
    kept = load_file(smoke_run / "train/02_dpo/model/model.safetensors")
    assert all((chosen[k] == kept[k]).all() for k in kept)


def test_results_table_shows_every_row_from_the_metrics_files(smoke_run: Path) -> None:
    """End to end: every registered task (the four judged ones through the local tiny judge) was evaluated for base,
    SFT and DPO; results.md lists every paper row and its cells are exactly the metrics files' values, and the
    average is their mean over all 14 benchmarks."""
    from evaluation import paper_rows
    from evaluation.tasks import all_tasks
    from fusechat.run_layout import slug

    table = Path(manifest(smoke_run, "eval_tables")["stats"]["table"])
    text = table.read_text()
    assert "SMOKE RUN" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("|") and not ln.startswith("|---")]
    cells = [[c.strip().strip("*") for c in ln.strip().strip("|").split("|")] for ln in lines]
    header, rows = cells[0], {r[0]: r[1:] for r in cells[1:]}
    recipe_models = ["Llama-3.1-8B-Instruct (tiny)", "FuseChat SFT (tiny)", "FuseChat DPO (tiny)"]
    # each column names where its number came from: the base model as published, the trained ones rebuilt here
    assert header[1:] == [f"{recipe_models[0]} [depth 1: released model]",
                          *(f"{m} [depth 3: rebuilt here]" for m in recipe_models[1:])]
    scores = smoke_run / STAGES["eval_score"].folder
    ms = [json.loads((scores / f"{slug(m)}.metrics.json").read_text()) for m in recipe_models]
    produced = {r.id for t in all_tasks().values() for r in t.table_rows()}
    layout = paper_rows.table_benchmarks("llama31_8b")
    assert len(layout) == 14 and set(layout) <= produced
    for m in ms:
        assert m["schema"] == "fusechat-metrics/v2" and set(m["benchmarks"]) == produced
        for bid, cell in m["benchmarks"].items():
            assert cell["value"] is not None and cell["task_version"] and cell["n"] > 0, bid
            assert cell["data"]["source"].startswith("tiny world")
            assert (cell["judge"] is None) == ("judge_stats" not in cell), bid
    for bid in [*layout, *sorted(produced - set(layout))]:
        key = next(k for k in rows if k.startswith(paper_rows.get(bid).display + " (synthetic"))
        want = [paper_rows.fmt(bid, m["benchmarks"].get(bid, {}).get("value")) for m in ms]
        assert rows[key] == want, bid
    avg = next(v for k, v in rows.items() if k.startswith("Average"))
    for cell, m in zip(avg, ms, strict=True):
        a = paper_rows.average({b: c["value"] for b, c in m["benchmarks"].items()}, layout)
        assert cell == f"{a.value:.1f} (14/14 benchmarks)"  # every one of the 14 has a number
    # the tiny models are useful: neither all right nor all wrong across the ground-truth tasks
    gt = {t.id for t in all_tasks().values() if t.ground_truth}
    verdicts = [json.loads(ln)["score"] for f in scores.glob("*/*.verdicts.jsonl") if f.name.split(".")[0] in gt
                for ln in f.read_text().splitlines()]
    assert 0 < sum(verdicts) < len(verdicts)


def test_judged_benchmarks_are_real_measurements_with_their_cost_recorded(smoke_run: Path) -> None:
    """The local judge's verdicts differ between models (they come from the reward model), and the manifest
    records what judging cost: calls or cache hits for every judged task and model, no failures."""
    stats = manifest(smoke_run, "eval_score")["stats"]
    judged = {"alpacaeval2", "arena_hard", "mt_bench", "alignbench"}
    for label, per_task in stats["judge"].items():
        assert set(per_task) == judged, label
        for task, st in per_task.items():
            assert st["calls"] + st["cache_hits"] > 0 and st["failed"] == 0, (label, task)
    totals = stats["judge_totals"]
    assert totals["calls"] + totals["cache_hits"] >= 3 * 4
    from fusechat.run_layout import slug

    scores = smoke_run / STAGES["eval_score"].folder
    labels = list(stats["judge"])
    values = {lb: json.loads((scores / f"{slug(lb)}.metrics.json").read_text())["benchmarks"] for lb in labels}
    for bid in ("alpacaeval2", "arena_hard", "mt_bench", "alignbench"):
        assert len({values[lb][bid]["value"] for lb in labels}) > 1 or bid == "arena_hard", bid


def test_forced_rescoring_makes_no_judge_call_and_a_killed_one_resumes(smoke_run: Path, tmp_path: Path) -> None:
    """Issue 11's two promises. (1) Rescoring with the stage forced answers every judgment from the cache: zero
    calls in the manifest, the same numbers. (2) A scoring process killed (SIGKILL) in the middle of judging, then
    rerun, finishes with the same numbers, paying only for the judgments the killed run had not stored."""
    import os
    import signal
    import threading
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from evaluation.judge.cache import JudgmentCache
    from evaluation.judge.local_server import local_model_name, serve_local_judge
    from fusechat.recipe import load_recipe
    from fusechat.tiny_world import settings_from

    def values(run_dir: Path) -> dict:
        folder = run_dir / STAGES["eval_score"].folder
        return {p.name: {b: c["value"] for b, c in json.loads(p.read_text())["benchmarks"].items()}
                for p in sorted(folder.glob("*.metrics.json"))}

    def score(run_dir: Path, *overrides: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "OPENAI_API_KEY": "sk-test-not-a-secret"}
        return subprocess.Popen([sys.executable, "evaluation/02_score.py", "--recipe", str(SMOKE),
                                 f"run.dir={run_dir}", "--force", *overrides],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stored_judgments(folder: Path) -> int:
        cache = JudgmentCache(folder)
        try:
            return len(cache)
        finally:
            cache.close()

    want = values(smoke_run)
    first = manifest(smoke_run, "eval_score")["stats"]["judge_totals"]
    run_dir = tmp_path / "rescore"
    shutil.copytree(smoke_run, run_dir)
    proc = score(run_dir)
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    again = manifest(run_dir, "eval_score")["stats"]["judge_totals"]
    assert again["calls"] == 0 and again["cache_hits"] == first["calls"] + first["cache_hits"]
    assert values(run_dir) == want

    # (2) the same judge behind a proxy that SIGKILLs the scoring process when the k-th request arrives
    recipe = load_recipe(SMOKE)
    world = settings_from(recipe.world)
    jc = recipe.eval.judge
    units = {"center": jc.local_reward_center, "scale": jc.local_reward_scale}
    model = local_model_name(jc.local_reward_model, world, **units)
    seen = {"n": 0, "kill_at": 5, "pid": None}
    lock = threading.Lock()
    with serve_local_judge(jc.local_reward_model, world, model=model, **units) as upstream:

        class Proxy(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    seen["n"] += 1
                    if seen["pid"] and seen["n"] == seen["kill_at"]:
                        os.kill(seen["pid"], signal.SIGKILL)
                req = urllib.request.Request(upstream.rstrip("/") + "/chat/completions", data=body,
                                             headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - localhost
                        data, code = resp.read(), resp.status
                except urllib.error.HTTPError as exc:
                    data, code = exc.read(), exc.code
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{proxy.server_address[1]}/v1"
        cache = tmp_path / "fresh_cache"
        over = (f"eval.judge.base_url={base}", f"eval.judge.model={model}", "eval.judge.local=none",
                f"eval.judge.cache_dir={cache}", "eval.judge.concurrency=1")
        killed_dir = tmp_path / "killed"
        shutil.copytree(smoke_run, killed_dir)
        proc = score(killed_dir, *over)
        seen["pid"] = proc.pid
        proc.communicate(timeout=900)
        assert proc.returncode == -signal.SIGKILL and seen["n"] == seen["kill_at"]
        stored = stored_judgments(cache)  # committed one by one before the kill
        assert 1 <= stored <= seen["kill_at"] - 1
        seen["pid"] = None
        proc = score(killed_dir, *over)
        _, err = proc.communicate(timeout=900)
        proxy.shutdown()
    assert proc.returncode == 0, err[-3000:]
    resumed = manifest(killed_dir, "eval_score")["stats"]["judge_totals"]
    # the rerun paid only for the judgments the killed run had not stored, and answered every request
    assert resumed["calls"] == stored_judgments(cache) - stored and resumed["failed"] == 0
    assert resumed["calls"] + resumed["cache_hits"] == again["cache_hits"]  # every request of the stage
    assert values(killed_dir) == want


def test_eval_generation_resumes_to_identical_bytes(smoke_copy, tmp_path: Path) -> None:
    run_dir = smoke_copy(tmp_path / "resume")
    folder = run_dir / STAGES["eval_generate"].folder
    fp = manifest(run_dir, "eval_generate")["fingerprint"]
    (folder / "manifest.json").unlink()
    victim = sorted(folder.glob("FuseChat_SFT*/*.jsonl"))[0]
    want = victim.read_bytes()
    victim.unlink()
    (folder / ".in_progress.json").write_text(json.dumps({"fingerprint": fp}))
    proc = subprocess.run([sys.executable, "evaluation/01_generate.py", "--recipe", str(SMOKE), f"run.dir={run_dir}"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming" in proc.stderr and victim.read_bytes() == want  # regenerated, byte for byte


def test_second_run_skips_every_stage(smoke_run: Path) -> None:
    before = {s: manifest(smoke_run, s)["finished_at"] for s in STAGES}
    proc = run_pipeline(smoke_run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for s in STAGES:
        assert f"[{s}] up to date" in proc.stderr
    assert before == {s: manifest(smoke_run, s)["finished_at"] for s in STAGES}
    assert proc.stdout.strip().endswith("results.md")


def test_changed_key_reruns_that_stage_and_those_after(smoke_copy, tmp_path: Path) -> None:
    run_dir = smoke_copy(tmp_path / "copy")
    for s in STAGES:  # the copy's manifests record the old run dir; only fingerprints matter for skipping
        assert (run_dir / STAGES[s].folder / "manifest.json").exists()
    fps = {s: manifest(run_dir, s)["fingerprint"] for s in STAGES}
    proc = run_pipeline(run_dir, "dpo.beta=0.1", "dpo.loss=dpo", *FEW_BENCHMARKS)  # eval reruns anyway
    assert proc.returncode == 0, proc.stderr[-3000:]
    order = list(STAGES)
    after = order[order.index("dpo"):]
    for s in order:
        new = manifest(run_dir, s)["fingerprint"]
        assert (new != fps[s]) == (s in after), s
    dpo = manifest(run_dir, "dpo")
    assert dpo["recipe"]["dpo"]["beta"] == 0.1 and dpo["stats"]["trainer"] == "UpstreamTruncationDPOTrainer"  # standard DPO path


def test_sampling_resumes_to_identical_bytes(smoke_run: Path, smoke_copy, tmp_path: Path) -> None:
    run_dir = smoke_copy(tmp_path / "resume", "data")
    folder = run_dir / STAGES["sample_responses"].folder
    want = manifest(run_dir, "sample_responses")["output_hash"]
    # Simulate a crash: the manifest is gone, one model's chunk was never written, the marker says in progress.
    (folder / "manifest.json").unlink()
    victim = sorted((folder / "chunks").glob("*/*.parquet"))[0]
    victim.unlink()
    fp = json.loads((smoke_run / STAGES["sample_responses"].folder / "manifest.json").read_text())["fingerprint"]
    (folder / ".in_progress.json").write_text(json.dumps({"fingerprint": fp}))
    proc = subprocess.run([sys.executable, "data_construction/02_sample_responses.py", "--recipe", str(SMOKE),
                           f"run.dir={run_dir}"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming" in proc.stderr
    m = manifest(run_dir, "sample_responses")
    assert m["output_hash"] == want
    per_model = m["stats"]["per_model"].values()
    assert sum(v["resumed"] for v in per_model) == sum(v["chunks"] for v in per_model) - 1  # only the lost chunk reran


@pytest.mark.parametrize("script", ["training/01_sft.py", "evaluation/03_tables.py"])
def test_missing_upstream_is_a_clear_error(script: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, script, "--recipe", str(SMOKE), f"run.dir={tmp_path}"], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "is not complete" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("model", "template"), [("tiny:Qwen2.5-72B-Instruct", "qwen"), ("tiny:gemma-2-27b-it", "gemma2")])
def test_sft_runs_with_other_families_templates(smoke_copy, tmp_path: Path, model: str, template: str) -> None:
    """LLaMA-Factory's qwen and gemma2 templates work with the tiny Qwen/Gemma stand-ins (special tokens in vocab)."""
    run_dir = smoke_copy(tmp_path / "family", "data")
    proc = subprocess.run([sys.executable, "training/01_sft.py", "--recipe", str(SMOKE), f"run.dir={run_dir}",
                           f"sft.model={model}", f"sft.template={template}", "sft.num_train_epochs=1"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "New tokens have been added" not in proc.stderr  # every template token is already in the vocabulary
    assert (run_dir / "train/01_sft/model/model.safetensors").exists()
