"""Build stage: join responses, RM scores and verdicts per prompt, then apply ``pairing.build``."""

from __future__ import annotations

import math
from collections import defaultdict

from data_construction.pairing import Candidate, build
from data_construction.sampling import RESPONSE_FILE
from data_construction.scoring import SCORE_FILE
from data_construction.selection import PROMPT_FILE
from data_construction.verification import VERDICT_FILE
from fusechat.io import read_parquet, write_parquet
from fusechat.stage import Counts, StageContext, StageError, StageResult

SFT_FILE = "sft.parquet"
DPO_FILE = "dpo.parquet"


def _key(r: dict) -> tuple[str, str, int]:
    return (r["prompt_id"], r["model"], r["sample_index"])


def run(ctx: StageContext) -> StageResult:
    cfg = ctx.recipe.data.build
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE)
    responses = read_parquet(ctx.input("sample_responses") / RESPONSE_FILE,
                             columns=["prompt_id", "model", "sample_index", "text"])
    scores = {_key(r): r["score"] for r in read_parquet(ctx.input("score_rewards") / SCORE_FILE)}
    verdicts = {_key(r): r["status"] for r in read_parquet(ctx.input("verify_answers") / VERDICT_FILE)}
    if len(scores) != len(responses) or len(verdicts) != len(responses):
        raise StageError(f"[build] {len(responses)} responses but {len(scores)} scores and {len(verdicts)} verdicts: "
                         "rerun score_rewards / verify_answers")
    cands: dict[str, list[Candidate]] = defaultdict(list)
    nan_scores = 0
    for r in responses:
        s = scores[_key(r)]
        s = math.nan if s is None else s
        nan_scores += not math.isfinite(s)
        cands[r["prompt_id"]].append(Candidate(r["model"], r["sample_index"], r["text"], s, verdicts[_key(r)]))
    sft, dpo, dropped = build(prompts, cands, cfg, ctx.recipe.run.seed)
    write_parquet(sft, ctx.out_dir / SFT_FILE)
    write_parquet(dpo, ctx.out_dir / DPO_FILE)
    per_source: dict[str, dict[str, int]] = defaultdict(lambda: {"sft": 0, "dpo": 0})
    for row in sft:
        per_source[row["source"]]["sft"] += 1
    for row in dpo:
        per_source[row["source"]]["dpo"] += 1
    counts = Counts("prompts", len(prompts), len(sft) + len(dpo), dict(dropped))
    response_counts = Counts("responses", len(responses), len(responses) - nan_scores,
                             {"non_finite_score": nan_scores} if nan_scores else {})
    return StageResult([counts, response_counts],
                       {"sft": len(sft), "dpo": len(dpo), "per_source": dict(sorted(per_source.items()))})
