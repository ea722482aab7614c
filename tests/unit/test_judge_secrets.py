"""End to end through the scoring stage: a judged task scored by the local tiny judge (real server, the tiny
world's reward model) with a canary API key in the environment. The key must appear in no file written (judgment
cache, stage folders, manifests, metrics, verdicts, tables) and in no log; a forced rerun makes zero judge calls
and says so in the manifest; the judge line and failures are shown under the table."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from judge_helpers import FlakyEndpoint, ToyJudgedTask, write_toy_generations

from evaluation import score
from evaluation.judge import local_server
from evaluation.render import write_run_table
from fusechat.recipe import REPO_ROOT, EvalBenchmarkConfig, load_recipe
from fusechat.stage_runner import MANIFEST, run_stage
from fusechat.stage_table import STAGES

TASK = ToyJudgedTask()
LABEL = "Toy (tiny)"
ANSWERS = ["Paris is the capital of France.", "no", "A long, careful and helpful answer about the question.", ""]


def _generations(run_dir: Path) -> None:
    write_toy_generations(run_dir, TASK, LABEL, ANSWERS)


def _canary_free(root: Path, canary: str) -> list[Path]:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    return [p for p in files if canary.encode() in p.read_bytes()]


@pytest.fixture
def toy_stage(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(score, "selected_benchmarks", lambda cfg: [(TASK, EvalBenchmarkConfig(name=TASK.id))])
    monkeypatch.setattr(local_server, "judged_tasks", lambda: [TASK])


def test_canary_key_is_never_written_and_a_forced_rerun_makes_no_calls(
        toy_stage: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    canary = f"sk-canary-{uuid.uuid4()}"
    monkeypatch.setenv("OPENAI_API_KEY", canary)
    run_dir = tmp_path / "run"
    recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml",
                         [f"run.dir={run_dir}", "eval.judge.local=tiny", f"eval.judge.cache_dir={tmp_path / 'jc'}"])
    _generations(run_dir)
    first = run_stage(STAGES["eval_score"], recipe, score.run, STAGES).resolve()
    man = json.loads((first / MANIFEST).read_text())
    totals = man["stats"]["judge_totals"]
    assert totals["calls"] == len(ANSWERS) and totals["cache_hits"] == 0 and totals["failed"] == 0
    assert totals["prompt_tokens"] > 0 and totals["completion_tokens"] == len(ANSWERS)
    entry = man["stats"]["judge"][LABEL][TASK.id]
    assert entry["model"].startswith("tiny-judge/ArmoRM-Llama3-8B-v0.1@") and entry["endpoint"].startswith("127.0.0.1:")
    metrics = json.loads(next(first.glob("*.metrics.json")).read_text())
    cell = metrics["benchmarks"][TASK.id]
    assert cell["judge_stats"] == {k: v for k, v in entry.items() if k not in ("model", "endpoint")}
    assert cell["judge_model"] == entry["model"] and 0.0 <= cell["value"] <= 100.0
    assert metrics["protocol"]["judge"] == f"{entry['model']} @ {entry['endpoint']}"
    verdicts = [json.loads(x) for x in next(first.rglob("*.verdicts.jsonl")).read_text().splitlines()]
    scores = [v["score"] for v in verdicts]
    assert len(set(scores)) > 1, scores  # the reward model tells the answers apart: real measurements

    forced = run_stage(STAGES["eval_score"], recipe, score.run, STAGES, force=True).resolve()
    assert forced != first
    man2 = json.loads((forced / MANIFEST).read_text())
    assert man2["stats"]["judge_totals"]["calls"] == 0
    assert man2["stats"]["judge_totals"]["cache_hits"] == len(ANSWERS)
    again = json.loads(next(forced.glob("*.metrics.json")).read_text())
    assert again["benchmarks"][TASK.id]["value"] == cell["value"]

    table = write_run_table([again], tmp_path / "tables", "t", smoke=True)
    text = table.read_text()
    assert f"Judge for {LABEL}" in text and "0 calls made, 4 cache hits" in text

    out, err = capfd.readouterr()
    assert canary not in out and canary not in err
    assert _canary_free(tmp_path, canary) == []


def test_key_echoed_by_a_failing_endpoint_is_scrubbed_and_failures_are_shown(
        toy_stage: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    canary = f"sk-canary-{uuid.uuid4()}"
    monkeypatch.setenv("MY_KEY", canary)
    with FlakyEndpoint(failures=100, fail_status=401) as ep:
        ep.echo_auth = True
        run_dir = tmp_path / "run"
        recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml",
                             [f"run.dir={run_dir}", f"eval.judge.base_url={ep.base_url}", "eval.judge.model=m",
                              "eval.judge.local=none", "eval.judge.api_key_env=MY_KEY",
                              f"eval.judge.cache_dir={tmp_path / 'jc'}",
                              "eval.judge.backoff_s=0"])
        _generations(run_dir)
        folder = run_stage(STAGES["eval_score"], recipe, score.run, STAGES)
    assert any(canary in b.get("_auth", "") for b in ep.bodies)  # the key did reach the endpoint
    man = json.loads((folder / MANIFEST).read_text())
    assert man["stats"]["judge_totals"]["failed"] == len(ANSWERS)
    assert man["stats"]["judge"][LABEL][TASK.id]["endpoint"] == ep.base_url.split("/")[2]
    metrics = json.loads(next(folder.glob("*.metrics.json")).read_text())
    table = write_run_table([metrics], tmp_path / "tables", "t", smoke=True).read_text()
    assert f"{len(ANSWERS)} judgments failed ({LABEL})" in table
    out, err = capfd.readouterr()
    assert canary not in out and canary not in err
    assert _canary_free(tmp_path, canary) == []
