"""WRPO data, step 3 (arXiv 2412.03187): the (y_ws, y_wt, y_l) triples and their export.

Rules: for each preference prompt, y_wt is the target sample with the highest reward and y_l the one with the lowest
(ties: the lower sample index). Paper silent, our choice: a prompt with fewer than two finitely scored target
samples is dropped (``fewer_than_two_scored_target_samples``), and so is one whose best and worst target samples
score the same (``tied_target_scores``), since y_wt and y_l would then carry no preference.

Export (the authors' format): ``trl/wrpo.jsonl`` rows ``{"prompt": [user message], "chosen": [y_ws, y_wt],
"rejected": [y_l]}``, each response a one-message assistant list, read by ``training.wrpo.WRPOTrainer``;
``trl/pairs.jsonl`` the pairwise rows (chosen y_wt, or y_ws with ``wrpo.pair_chosen: source``; rejected y_l) for the
DPO, IPO and SimPO rows of the WRPO table;
``triples.parquet`` keeps the ids and scores. The manifest accounts for every selected prompt: it is in the SFT set,
in a triple, or dropped with a reason.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pyarrow as pa

from data_construction.export import fetch_texts
from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from data_construction.wrpo_split import WS_FILE
from data_construction.wrpo_target import TARGET_FILE
from fusechat.io import read_parquet, write_jsonl, write_parquet
from fusechat.stage_runner import Counts, StageContext, StageResult

TRIPLE_FILE = "triples.parquet"
TRIPLE_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("ws_model", pa.string()), ("ws_index", pa.int32()), ("ws_score", pa.float64()),
    ("wt_index", pa.int32()), ("wt_score", pa.float64()), ("l_index", pa.int32()), ("l_score", pa.float64()),
])


def pick_target_pair(samples: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(y_wt, y_l, drop reason): the best and the worst finitely scored target sample of one prompt."""
    scored = sorted((s for s in samples if s["score"] is not None and math.isfinite(s["score"])),
                    key=lambda s: s["sample_index"])
    if len(scored) < 2:
        return None, None, "fewer_than_two_scored_target_samples"
    best = max(scored, key=lambda s: (s["score"], -s["sample_index"]))
    worst = min(scored, key=lambda s: (s["score"], s["sample_index"]))
    if best["score"] == worst["score"]:
        return None, None, "tied_target_scores"
    return best, worst, None


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def run(ctx: StageContext) -> StageResult:
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "messages"])
    messages = {p["id"]: p["messages"] for p in prompts}
    ws = read_parquet(ctx.input("wrpo_split") / WS_FILE)
    n_sft = sum(1 for r in ws if r["split"] == "sft")
    targets: dict[str, list[dict[str, Any]]] = {}
    for r in read_parquet(ctx.input("wrpo_target") / TARGET_FILE):
        targets.setdefault(r["prompt_id"], []).append(r)
    dropped: Counter[str] = Counter({"no_scored_source_response": len(prompts) - len(ws)})
    triples: list[dict[str, Any]] = []
    texts_t: dict[tuple[str, int], str] = {}
    for r in ws:
        if r["split"] != "preference":
            continue
        wt, lo, reason = pick_target_pair(targets.get(r["prompt_id"], []))
        if reason:
            dropped[reason] += 1
            continue
        assert wt is not None and lo is not None
        texts_t[r["prompt_id"], wt["sample_index"]] = wt["text"]
        texts_t[r["prompt_id"], lo["sample_index"]] = lo["text"]
        triples.append({"prompt_id": r["prompt_id"], "ws_model": r["model"], "ws_index": r["sample_index"],
                        "ws_score": r["score"], "wt_index": wt["sample_index"], "wt_score": wt["score"],
                        "l_index": lo["sample_index"], "l_score": lo["score"]})
    write_parquet(triples, ctx.out_dir / TRIPLE_FILE, TRIPLE_SCHEMA)
    keys = {f"{t['prompt_id']}\x1f{t['ws_model']}\x1f{t['ws_index']}" for t in triples}
    ws_text = fetch_texts(ctx.input("sample_responses") / RESPONSE_FILE, keys)
    write_jsonl(({"prompt": messages[t["prompt_id"]],
                  "chosen": [_assistant(ws_text[f"{t['prompt_id']}\x1f{t['ws_model']}\x1f{t['ws_index']}"]),
                             _assistant(texts_t[t["prompt_id"], t["wt_index"]])],
                  "rejected": [_assistant(texts_t[t["prompt_id"], t["l_index"]])]} for t in triples),
                ctx.out_dir / "trl" / "wrpo.jsonl")
    source = ctx.recipe.wrpo is not None and ctx.recipe.wrpo.pair_chosen == "source"
    write_jsonl(({"prompt": messages[t["prompt_id"]],
                  "chosen": _assistant(ws_text[f"{t['prompt_id']}\x1f{t['ws_model']}\x1f{t['ws_index']}"] if source
                                       else texts_t[t["prompt_id"], t["wt_index"]]),
                  "rejected": _assistant(texts_t[t["prompt_id"], t["l_index"]])} for t in triples),
                ctx.out_dir / "trl" / "pairs.jsonl")
    dropped = Counter({k: v for k, v in dropped.items() if v})
    counts = [Counts("prompts (sft + triples)", len(prompts), n_sft + len(triples), dict(dropped))]
    stats = {"prompts": len(prompts), "sft": n_sft, "triples": len(triples), "dropped": dict(sorted(dropped.items())),
             "mean_scores": {k: (sum(t[k] for t in triples) / len(triples) if triples else None)
                             for k in ("ws_score", "wt_score", "l_score")}}
    return StageResult(counts, stats)
