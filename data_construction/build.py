"""Build stage: join RM scores and verdicts per prompt (keys only, never response texts), then apply
``pairing.build``. Columns are read with pyarrow and grouped by prompt with numpy, so paper scale (~2.4M scored
responses) fits in memory; texts are joined in by the export stage.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_construction.pairing import Candidate, build
from data_construction.release import (
    quotas_for,  # also the build stage's hook (fusechat/stage_table.py HOOKS)
)
from data_construction.scoring import SCORE_FILE
from data_construction.selection import PROMPT_FILE
from data_construction.verification import VERDICT_FILE
from fusechat.io import read_parquet, write_parquet
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult

SFT_FILE = "sft.parquet"
DPO_FILE = "dpo.parquet"
KEYS = ["prompt_id", "model", "sample_index"]


def _check_aligned(scores: pa.Table, verdicts: pa.Table) -> None:
    if scores.num_rows != verdicts.num_rows:
        raise StageError(f"[build] {scores.num_rows} scores but {verdicts.num_rows} verdicts: rerun score/verify")
    for k in KEYS:
        if not scores.column(k).equals(verdicts.column(k)):
            raise StageError(f"[build] scores and verdicts disagree on column {k!r}: rerun score/verify")


def _check_unique_keys(pid_idx: np.ndarray, model_idx: np.ndarray, sample: np.ndarray, scores: pa.Table) -> None:
    """Each (prompt, model, sample) must appear once; a duplicate is an error naming the first repeated row and the
    row it repeats (``np.lexsort`` is stable, so equal keys stay in row order)."""
    order = np.lexsort((sample, model_idx, pid_idx))
    keys = np.stack((pid_idx[order], model_idx[order], sample[order]))
    repeats = np.flatnonzero((keys[:, 1:] == keys[:, :-1]).all(axis=0))
    if len(repeats):
        first, again = int(order[repeats[0]]), int(order[repeats[0] + 1])
        key = {k: scores.column(k)[again].as_py() for k in KEYS}
        raise StageError(f"{SCORE_FILE}: row {again} repeats the key of row {first}: {key}")


def candidates_by_prompt(scores: pa.Table, verdicts: pa.Table) -> tuple[dict[str, list[Candidate]], int]:
    """Group (model, sample, score, verdict) by prompt, each group in input order; returns the groups and the count
    of non-finite scores (a null score reads as NaN)."""
    _check_aligned(scores, verdicts)
    if scores.num_rows == 0:
        return {}, 0
    pid = pc.dictionary_encode(scores.column("prompt_id")).combine_chunks()
    model = pc.dictionary_encode(scores.column("model")).combine_chunks()
    status = pc.dictionary_encode(verdicts.column("status")).combine_chunks()
    score = np.asarray(scores.column("score"))
    sample = np.asarray(scores.column("sample_index"))
    pid_idx, model_idx = np.asarray(pid.indices), np.asarray(model.indices)
    _check_unique_keys(pid_idx, model_idx, sample, scores)
    model_names, status_names, pid_names = (a.dictionary.to_pylist() for a in (model, status, pid))
    model_l, status_l = model_idx.tolist(), np.asarray(status.indices).tolist()
    score_l, sample_l = score.tolist(), sample.tolist()
    order = np.argsort(pid_idx, kind="stable")
    groups: dict[str, list[Candidate]] = {}
    for chunk in np.split(order, np.flatnonzero(np.diff(pid_idx[order])) + 1):
        groups[pid_names[pid_idx[chunk[0]]]] = [
            Candidate(model_names[model_l[i]], sample_l[i], score_l[i], status_names[status_l[i]])
            for i in chunk.tolist()
        ]
    return groups, int(np.count_nonzero(~np.isfinite(score)))


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.data.build
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "source", "domain"])
    scores = pq.read_table(ctx.input("score_rewards") / SCORE_FILE)
    verdicts = pq.read_table(ctx.input("verify_answers") / VERDICT_FILE, columns=[*KEYS, "status"])
    cands, non_finite = candidates_by_prompt(scores, verdicts)
    quotas = quotas_for(recipe.data.release, sorted({p["source"] for p in prompts}), recipe.data.release_scale)
    result = build(prompts, cands, cfg, recipe.run.seed, quotas)
    write_parquet(result.sft, ctx.out_dir / SFT_FILE)
    write_parquet(result.dpo, ctx.out_dir / DPO_FILE)
    per_source: dict[str, dict[str, int]] = defaultdict(lambda: {"sft": 0, "dpo": 0})
    for row in result.sft:
        per_source[row["source"]]["sft"] += 1
    for row in result.dpo:
        per_source[row["source"]]["dpo"] += 1
    used = result.prompts_used
    stats: dict[str, Any] = {"sft": len(result.sft), "dpo": len(result.dpo),
                             "per_source": dict(sorted(per_source.items())), "release": recipe.data.release,
                             "prompts_in_sft_and_dpo": len(result.sft) + len(result.dpo) - used,
                             "code_prompts": cfg.code_prompts, "code_scoring": cfg.code_scoring}
    if result.shortfall:
        stats["shortfall"] = result.shortfall
        for src, rows in result.shortfall.items():
            for split, info in rows.items():
                print(f"[build_sft_dpo] SHORTFALL {src} {split}: wanted {info['wanted']}, got {info['got']} "
                      f"({info['reason']})", file=sys.stderr, flush=True)
    counts = Counts("prompts", len(prompts), used, dict(result.dropped))
    response_drops = {**({"non_finite_score": non_finite} if non_finite else {}), **result.ungraded}
    response_counts = Counts("responses", scores.num_rows, scores.num_rows - sum(response_drops.values()),
                             response_drops)
    return StageResult([counts, response_counts], stats)
