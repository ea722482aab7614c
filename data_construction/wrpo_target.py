"""WRPO data, step 2 (arXiv 2412.03187): the target's own responses. The SFT model (Target-SFT; the target model
itself when ``wrpo.preference_init: target``, for the Target-DPO/IPO/SimPO rows) samples
``wrpo.target_samples`` (5) responses per preference prompt at temperature 0.8 and top-p 0.95 (the paper's setting),
and the reward model (ArmoRM, ``data.scoring``) scores each one.

Reuses the source-sampling machinery: one generation interface (vLLM or transformers), prompts in fixed chunks
whose seed depends only on (run seed, chunk index), each chunk written as soon as it is done, so a crashed run
resumes at the next missing chunk with the same bytes; scoring through the same ``RewardScorer`` as the sources.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from data_construction.selection import PROMPT_FILE
from data_construction.wrpo_split import WS_FILE
from fusechat.generation import SamplingParams, load_generator
from fusechat.io import read_parquet, write_parquet
from fusechat.reward import RewardScorer
from fusechat.run_layout import MODEL_SUBDIR, chunk_seed
from fusechat.stage_runner import Counts, StageContext, StageResult
from fusechat.tiny_world import resolve, settings_from

TARGET_FILE = "target_responses.parquet"
TARGET_MODEL = "target-sft"
TARGET_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("sample_index", pa.int32()), ("text", pa.string()), ("finish_reason", pa.string()),
    ("completion_tokens", pa.int32()), ("seed", pa.int64()), ("params", pa.string()), ("score", pa.float64()),
])


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.wrpo
    assert cfg is not None
    pref = {r["prompt_id"] for r in read_parquet(ctx.input("wrpo_split") / WS_FILE) if r["split"] == "preference"}
    prompts = [p for p in read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "messages"])
               if p["id"] in pref]
    prompts.sort(key=lambda p: p["id"])
    chunks = [prompts[i:i + cfg.target_batch_size] for i in range(0, len(prompts), cfg.target_batch_size)]
    chunk_dir = ctx.out_dir / "chunks"
    todo = [i for i in range(len(chunks)) if not (chunk_dir / f"{i:06d}.parquet").exists()]
    if todo:
        sc = recipe.data.scoring
        world = settings_from(recipe.world)
        policy = (str(ctx.input("sft") / MODEL_SUBDIR) if cfg.preference_init == "sft"
                  else resolve(recipe.sft.model, world))
        gen = load_generator(policy, backend=recipe.data.sampling.backend, batch_size=cfg.target_batch_size)
        scorer = RewardScorer(resolve(sc.model, world), trust_remote_code=sc.trust_remote_code,
                              score_attr=sc.score_attr, batch_size=sc.batch_size, max_length=sc.max_length,
                              dtype=sc.dtype, revision=sc.revision)
        for i in tqdm(todo, desc="wrpo target samples", unit="chunk"):
            seed = chunk_seed(recipe.run.seed, TARGET_MODEL, i)
            params = SamplingParams(n=cfg.target_samples, temperature=cfg.target_temperature, top_p=cfg.target_top_p,
                                    max_new_tokens=cfg.target_max_new_tokens, seed=seed)
            outs = gen.chat([p["messages"] for p in chunks[i]], params)
            rows: list[dict[str, Any]] = []
            convs = []
            for p, completions in zip(chunks[i], outs, strict=True):
                for j, c in enumerate(completions):
                    rows.append({"prompt_id": p["id"], "sample_index": j, "text": c.text,
                                 "finish_reason": c.finish_reason, "completion_tokens": c.completion_tokens,
                                 "seed": seed, "params": json.dumps(params.as_dict(), sort_keys=True)})
                    convs.append([*p["messages"], {"role": "assistant", "content": c.text}])
            for r, s in zip(rows, scorer.score(convs), strict=True):
                r["score"] = s
            write_parquet(rows, chunk_dir / f"{i:06d}.parquet", TARGET_SCHEMA)
    rows = [r for i in range(len(chunks)) for r in read_parquet(chunk_dir / f"{i:06d}.parquet")]
    write_parquet(rows, ctx.out_dir / TARGET_FILE, TARGET_SCHEMA)
    finite = [r["score"] for r in rows if r["score"] is not None and math.isfinite(r["score"])]
    sampled = {r["prompt_id"] for r in rows}
    stats = {"responses": len(rows), "resumed_chunks": len(chunks) - len(todo), "non_finite_scores":
             len(rows) - len(finite), "score_mean": sum(finite) / len(finite) if finite else None}
    counts = [Counts("preference prompts", len(prompts), len(sampled),
                     {"no_target_sample": len(prompts) - len(sampled)} if len(prompts) > len(sampled) else {}),
              Counts("target responses", len(prompts), len(rows), additive=False)]
    return StageResult(counts, stats)
