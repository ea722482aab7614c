"""WRPO data, step 1 (arXiv 2412.03187 §Experiments; https://github.com/SLIT-AI/WRPO commit e6f2867): y_ws and the
SFT / preference split.

Rules: for every UltraFeedback prompt, y_ws is the response with the highest reward (ArmoRM) among all source
models' samples (ties: the first in (model, sample index) order). A seeded ``wrpo.sft_fraction`` (1/3) of the
prompts go to SFT of the target on (prompt, y_ws); the rest go on to preference optimisation, where the SFT model
samples its own responses (``wrpo_target``). Prompts without a finitely scored source response are dropped
(``no_scored_source_response``). Outputs: ``ws.parquet`` (one row per kept prompt, its split and y_ws), the SFT set
in LLaMA-Factory's ShareGPT format (``llamafactory/``, read by the SFT stage) and TRL's ``trl/sft.jsonl``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pyarrow as pa

from data_construction.export import dataset_info, fetch_texts, sharegpt
from data_construction.sampling import RESPONSE_FILE
from data_construction.scoring import SCORE_FILE
from data_construction.selection import PROMPT_FILE
from fusechat.io import read_parquet, write_json, write_jsonl, write_parquet
from fusechat.run_layout import SFT_NAME
from fusechat.stage_runner import Counts, StageContext, StageResult

WS_FILE = "ws.parquet"
WS_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("split", pa.string()), ("model", pa.string()), ("sample_index", pa.int32()),
    ("score", pa.float64()),
])


def best_source_responses(scores: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """prompt id → its best finitely scored response over every source model (first in (model, index) order wins)."""
    best: dict[str, dict[str, Any]] = {}
    for r in sorted(scores, key=lambda r: (r["prompt_id"], r["model"], r["sample_index"])):
        s = r["score"]
        if s is None or not math.isfinite(s):
            continue
        cur = best.get(r["prompt_id"])
        if cur is None or s > cur["score"]:
            best[r["prompt_id"]] = r
    return best


def split_prompts(prompt_ids: list[str], sft_fraction: float, seed: int) -> set[str]:
    """The seeded SFT share: round(n · sft_fraction) prompt ids, drawn from the sorted ids."""
    ids = sorted(prompt_ids)
    return set(random.Random(f"{seed}-wrpo-sft-split").sample(ids, round(len(ids) * sft_fraction)))


def _key(pid: str, model: str, idx: int) -> str:
    return f"{pid}\x1f{model}\x1f{idx}"


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.wrpo
    assert cfg is not None
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "messages"])
    best = best_source_responses(read_parquet(ctx.input("score_rewards") / SCORE_FILE))
    kept = [p["id"] for p in prompts if p["id"] in best]
    sft_ids = split_prompts(kept, cfg.sft_fraction, recipe.run.seed)
    rows = [{"prompt_id": pid, "split": "sft" if pid in sft_ids else "preference", "model": best[pid]["model"],
             "sample_index": best[pid]["sample_index"], "score": best[pid]["score"]} for pid in sorted(kept)]
    write_parquet(rows, ctx.out_dir / WS_FILE, WS_SCHEMA)
    messages = {p["id"]: p["messages"] for p in prompts}
    wanted = {_key(r["prompt_id"], r["model"], r["sample_index"]) for r in rows if r["split"] == "sft"}
    texts = fetch_texts(ctx.input("sample_responses") / RESPONSE_FILE, wanted)
    sft = [[*messages[r["prompt_id"]], {"role": "assistant",
                                         "content": texts[_key(r["prompt_id"], r["model"], r["sample_index"])]}]
           for r in rows if r["split"] == "sft"]
    lf = ctx.out_dir / "llamafactory"
    write_jsonl(({"conversations": sharegpt(m)} for m in sft), lf / f"{SFT_NAME}.jsonl")
    write_json({SFT_NAME: dataset_info()[SFT_NAME]}, lf / "dataset_info.json")
    write_jsonl(({"messages": m} for m in sft), ctx.out_dir / "trl" / "sft.jsonl")
    dropped = {"no_scored_source_response": len(prompts) - len(kept)}
    n_pref = len(kept) - len(sft)
    counts = [Counts("prompts", len(prompts), len(kept), {k: v for k, v in dropped.items() if v})]
    by_model: dict[str, int] = {}
    for r in rows:
        by_model[r["model"]] = by_model.get(r["model"], 0) + 1
    stats = {"sft_prompts": len(sft), "preference_prompts": n_pref, "sft_fraction": cfg.sft_fraction,
             "ws_by_source_model": dict(sorted(by_model.items()))}
    return StageResult(counts, stats)
