"""WRPO data rules on hand-built inputs: y_ws is the best source response over all models, a seeded 1/3 goes to
SFT, y_wt / y_l are the best / worst target samples, and every prompt ends in SFT, in a triple, or dropped with a
reason (the build's counts check in = out + dropped)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from data_construction import wrpo_build, wrpo_split
from data_construction.sampling import RESPONSE_FILE, RESPONSE_SCHEMA
from data_construction.scoring import SCORE_FILE, SCORE_SCHEMA
from data_construction.selection import PROMPT_FILE
from data_construction.wrpo_split import WS_FILE
from data_construction.wrpo_target import TARGET_FILE, TARGET_SCHEMA
from fusechat.io import read_jsonl, read_parquet, write_parquet
from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageContext
from fusechat.stage_table import WRPO_STAGES

REPO = Path(__file__).resolve().parents[2]
MODELS = ("m-a", "m-b")


def test_best_source_response_is_over_all_models_and_skips_nan() -> None:
    scores = [{"prompt_id": "p", "model": "m-a", "sample_index": 0, "score": 0.2},
              {"prompt_id": "p", "model": "m-b", "sample_index": 1, "score": 0.9},
              {"prompt_id": "p", "model": "m-b", "sample_index": 2, "score": math.nan},
              {"prompt_id": "q", "model": "m-a", "sample_index": 0, "score": math.nan}]
    best = wrpo_split.best_source_responses(scores)
    assert (best["p"]["model"], best["p"]["sample_index"]) == ("m-b", 1) and "q" not in best


def test_split_is_seeded_one_third() -> None:
    ids = [f"p{i:02d}" for i in range(30)]
    a = wrpo_split.split_prompts(ids, 1 / 3, seed=42)
    assert len(a) == 10 and a == wrpo_split.split_prompts(list(reversed(ids)), 1 / 3, seed=42)
    assert a != wrpo_split.split_prompts(ids, 1 / 3, seed=7)


def test_target_pair_best_and_worst_with_drop_reasons() -> None:
    s = [{"sample_index": i, "score": v} for i, v in enumerate([0.3, 0.9, 0.1, 0.9, math.nan])]
    wt, lo, reason = wrpo_build.pick_target_pair(s)
    assert (wt["sample_index"], lo["sample_index"], reason) == (1, 2, None)
    assert wrpo_build.pick_target_pair(s[:1] + s[4:])[2] == "fewer_than_two_scored_target_samples"
    assert wrpo_build.pick_target_pair([s[1], s[3]])[2] == "tied_target_scores"


def _ctx(recipe, name: str, root: Path) -> StageContext:
    spec = WRPO_STAGES[name]
    out = root / spec.folder
    out.mkdir(parents=True, exist_ok=True)
    return StageContext(spec, recipe, out, {i: root / WRPO_STAGES[i].folder for i in spec.inputs})


def test_every_prompt_is_in_sft_a_triple_or_dropped(tmp_path: Path) -> None:
    recipe = load_recipe(REPO / "recipes" / "smoke_wrpo.yaml", [f"run.dir={tmp_path}"])
    n = 12
    prompts = [{"id": f"p{i:02d}", "messages": [{"role": "user", "content": f"question {i}"}]} for i in range(n)]
    write_parquet(prompts, tmp_path / WRPO_STAGES["select_prompts"].folder / PROMPT_FILE)
    responses, scores = [], []
    for i, p in enumerate(prompts):
        for m in MODELS:
            for j in range(2):
                responses.append({"prompt_id": p["id"], "model": m, "sample_index": j, "text": f"{m} answer {j} to {i}",
                                  "finish_reason": "stop", "prompt_tokens": 3, "completion_tokens": 4, "seed": 0,
                                  "params": "{}"})
                score = math.nan if i == 0 else (i + j + (m == "m-b")) / 10  # p00: no finite source score
                scores.append({"prompt_id": p["id"], "model": m, "sample_index": j, "score": score})
    write_parquet(responses, tmp_path / WRPO_STAGES["sample_responses"].folder / RESPONSE_FILE, RESPONSE_SCHEMA)
    write_parquet(scores, tmp_path / WRPO_STAGES["score_rewards"].folder / SCORE_FILE, SCORE_SCHEMA)

    split = wrpo_split.run(_ctx(recipe, "wrpo_split", tmp_path))
    ws = read_parquet(tmp_path / WRPO_STAGES["wrpo_split"].folder / WS_FILE)
    assert split.counts[0].dropped == {"no_scored_source_response": 1}
    assert all((r["model"], r["sample_index"]) == ("m-b", 1) for r in ws)  # the best over both models
    sft_ids = {r["prompt_id"] for r in ws if r["split"] == "sft"}
    assert len(sft_ids) == round(11 / 3)
    sft_rows = (tmp_path / WRPO_STAGES["wrpo_split"].folder / "llamafactory" / "fusechat3_sft.jsonl").read_text()
    assert len(sft_rows.splitlines()) == len(sft_ids) and "m-b answer 1" in sft_rows

    pref = sorted(r["prompt_id"] for r in ws if r["split"] == "preference")
    target = []
    for k, pid in enumerate(pref):
        vals = [0.5, 0.5] if k == 0 else ([0.4] if k == 1 else [0.2, 0.8, 0.5])  # a tie; a single sample; a triple
        target += [{"prompt_id": pid, "sample_index": j, "text": f"target {j} for {pid}", "finish_reason": "stop",
                    "completion_tokens": 3, "seed": 0, "params": "{}", "score": v} for j, v in enumerate(vals)]
    write_parquet(target, tmp_path / WRPO_STAGES["wrpo_target"].folder / TARGET_FILE, TARGET_SCHEMA)

    built = wrpo_build.run(_ctx(recipe, "wrpo_build", tmp_path))
    c = built.counts[0]
    c.check("wrpo_build")  # in = out + dropped
    assert c.n_in == n and c.dropped == {"no_scored_source_response": 1, "tied_target_scores": 1,
                                         "fewer_than_two_scored_target_samples": 1}
    assert c.n_out == len(sft_ids) + built.stats["triples"] and built.stats["triples"] == len(pref) - 2
    rows = read_jsonl(tmp_path / WRPO_STAGES["wrpo_build"].folder / "trl" / "wrpo.jsonl")
    first = rows[0]
    assert [m[0]["content"] for m in first["chosen"]][1] == f"target 1 for {pref[2]}"
    assert first["chosen"][0][0]["content"].startswith("m-b answer 1")
    assert first["rejected"][0][0]["content"] == f"target 0 for {pref[2]}"
    pairs = read_jsonl(tmp_path / WRPO_STAGES["wrpo_build"].folder / "trl" / "pairs.jsonl")
    assert pairs[0]["chosen"][0]["content"] == f"target 1 for {pref[2]}"  # wrpo.pair_chosen: target (default)
    assert json.dumps(first["prompt"]) == json.dumps(prompts[int(pref[2][1:])]["messages"])

