"""Reward scoring of every sampled response (blog §Filtering: "we employed ArmoRM for annotation").

Code responses are read whole or as their code blocks only (``data.scoring.code_input``, paper silent).

Responses are scored in fixed chunks of the sorted response table; each chunk is written as soon as it is done, so
a crashed run resumes without losing or duplicating a row; ``--shard i/N`` scores chunks ≡ i (mod N) and an
unsharded rerun merges. Non-finite scores are kept as NaN here and counted as
drops by the build stage.
"""

from __future__ import annotations

import math

import pyarrow as pa
from tqdm import tqdm

from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from fusechat.io import parquet_readable, read_parquet, write_parquet
from fusechat.reward import RewardScorer
from fusechat.stage_runner import Counts, StageContext, StageResult
from fusechat.tiny_world import resolve, settings_from

SCORE_FILE = "scores.parquet"
SCORE_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("model", pa.string()), ("sample_index", pa.int32()), ("score", pa.float64()),
])


def rm_text(text: str, code_only: bool) -> str:
    """What the RM reads of a response: all of it, or for code under ``data.scoring.code_input: code_blocks`` only
    its fenced code blocks (blog: "ArmoRM annotation of code segments"), re-fenced; a response without a block is
    read whole."""
    if not code_only:
        return text
    from fusechat.code_tests import code_blocks

    blocks = code_blocks(text)
    return "\n\n".join(f"```{lang}\n{body}```" for lang, body in blocks) if blocks else text


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.data.scoring
    world = settings_from(recipe.world)
    prompt_rows = read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "messages", "domain"])
    prompts = {p["id"]: p["messages"] for p in prompt_rows}
    code_ids = {p["id"] for p in prompt_rows if p["domain"] == "code"} if cfg.code_input == "code_blocks" else set()
    responses = read_parquet(ctx.input("sample_responses") / RESPONSE_FILE,
                             columns=["prompt_id", "model", "sample_index", "text"])
    chunk_dir = ctx.out_dir / "chunks"
    chunks = [responses[i:i + cfg.chunk_rows] for i in range(0, len(responses), cfg.chunk_rows)]
    todo = [i for i in range(len(chunks))
            if i % ctx.shard[1] == ctx.shard[0] and not parquet_readable(chunk_dir / f"{i:06d}.parquet")]
    if todo:
        scorer = RewardScorer(resolve(cfg.model, world), trust_remote_code=cfg.trust_remote_code,
                              score_attr=cfg.score_attr, batch_size=cfg.batch_size, max_length=cfg.max_length,
                              dtype=cfg.dtype, revision=cfg.revision)
        for i in tqdm(todo, desc="score", unit="chunk"):
            convs = [[*prompts[r["prompt_id"]], {"role": "assistant", "content": rm_text(r["text"], r["prompt_id"] in code_ids)}]
                     for r in chunks[i]]
            scores = scorer.score(convs)
            rows = [{"prompt_id": r["prompt_id"], "model": r["model"], "sample_index": r["sample_index"], "score": s}
                    for r, s in zip(chunks[i], scores, strict=True)]
            write_parquet(rows, chunk_dir / f"{i:06d}.parquet", SCORE_SCHEMA)
    if ctx.shard[1] > 1:  # shard runs stop after their chunks; the unsharded rerun merges
        return StageResult([Counts("chunks", len(todo), len(todo), additive=False)], {"scored_chunks": len(todo)})
    rows = [r for i in range(len(chunks)) for r in read_parquet(chunk_dir / f"{i:06d}.parquet")]
    write_parquet(rows, ctx.out_dir / SCORE_FILE, SCORE_SCHEMA)
    finite = [r["score"] for r in rows if r["score"] is not None and math.isfinite(r["score"])]
    stats = {"resumed_chunks": len(chunks) - len(todo), "chunks": len(chunks),
             "score_min": min(finite, default=None), "score_max": max(finite, default=None),
             "score_mean": sum(finite) / len(finite) if finite else None, "non_finite": len(rows) - len(finite)}
    return StageResult([Counts("responses", len(responses), len(rows))], stats)
