"""Response sampling from the source LLMs (blog §Sampling, Table 2).

Per domain: general prompts get ``n_per_domain.general`` (5) samples from each source model; code 8; Chinese 1,
from Qwen2.5-72B-Instruct only; math keeps the dataset's Llama-3.1-405B-Instruct solution and adds
``n_per_domain.math`` (k, paper silent) samples from Qwen2.5-Math-72B-Instruct. Which model serves which domain
is the ``domains`` list of each model in the recipe.

Work is cut into fixed chunks of the global prompt order per model; each chunk is written to its own Parquet file
as soon as it is done, so a crashed run resumes at the next missing chunk, and the seed of a chunk depends only on
(run seed, model, chunk index) — a resumed run gives the same bytes as an uninterrupted one. ``--shard i/N`` runs
only the chunks with index ≡ i (mod N) (SLURM array jobs, ``recipes/slurm/``); rerunning without ``--shard``
finds every chunk done and merges them into the same bytes as one unsharded run.

A WRPO recipe with ``wrpo.source_responses: release`` generates nothing here: the stage loads the authors' released
responses instead (``wrpo_release.py``) into the same output file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from data_construction.selection import PROMPT_FILE
from fusechat.generation import SamplingParams, load_generator
from fusechat.io import parquet_readable, read_parquet, write_parquet
from fusechat.recipe import SourceModelConfig
from fusechat.run_layout import chunk_seed
from fusechat.stage_runner import Counts, StageContext, StageResult
from fusechat.tiny_world import resolve, settings_from

RESPONSE_FILE = "responses.parquet"
RESPONSE_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("model", pa.string()), ("sample_index", pa.int32()), ("text", pa.string()),
    ("finish_reason", pa.string()), ("prompt_tokens", pa.int32()), ("completion_tokens", pa.int32()),
    ("seed", pa.int64()), ("params", pa.string()),
])


def _generate_chunk(gen, model: SourceModelConfig, prompts: list[dict[str, Any]], n: int, seed: int,
                    max_new_tokens: int) -> list[dict[str, Any]]:
    params = SamplingParams(n=n, temperature=model.temperature, top_p=model.top_p,
                            repetition_penalty=model.repetition_penalty, max_new_tokens=max_new_tokens, seed=seed)
    outs = gen.chat([p["messages"] for p in prompts], params)
    rows = []
    for prompt, completions in zip(prompts, outs, strict=True):
        for j, c in enumerate(completions):
            rows.append({
                "prompt_id": prompt["id"], "model": model.name, "sample_index": j, "text": c.text,
                "finish_reason": c.finish_reason, "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens, "seed": seed,
                "params": json.dumps(params.as_dict(), sort_keys=True),
            })
    return rows


def dataset_responses(prompts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Responses shipped by the dataset itself (OpenMathInstruct-2's Llama-3.1-405B-Instruct solutions)."""
    return [
        {"prompt_id": p["id"], "model": p["dataset_response_model"], "sample_index": 0, "text": p["dataset_response"],
         "finish_reason": "dataset", "prompt_tokens": None, "completion_tokens": None, "seed": None,
         "params": json.dumps({"origin": "dataset"})}
        for p in prompts if p.get("dataset_response")
    ]


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    if recipe.wrpo is not None and recipe.wrpo.source_responses == "release":  # WRPO: the authors' responses
        from data_construction import wrpo_release

        return wrpo_release.run(ctx)
    cfg = recipe.data.sampling
    world = settings_from(recipe.world)
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE)
    chunk_dir: Path = ctx.out_dir / "chunks"
    served: set[str] = set()
    stats: dict[str, Any] = {"per_model": {}}
    for model in cfg.models:
        if ctx.only_model is not None and model.name != ctx.only_model:
            continue
        mine = [p for p in prompts if p["domain"] in model.domains]
        served.update(p["id"] for p in mine)
        chunks = [mine[i:i + cfg.batch_size] for i in range(0, len(mine), cfg.batch_size)]
        mine_shard = [i for i in range(len(chunks)) if i % ctx.shard[1] == ctx.shard[0]]
        todo = [i for i in mine_shard if not parquet_readable(chunk_dir / model.name / f"{i:06d}.parquet")]
        stats["per_model"][model.name] = {"prompts": len(mine), "chunks": len(chunks), "resumed": len(chunks) - len(todo)}
        if not todo:
            continue
        gen = load_generator(resolve(model.path, world), backend=cfg.backend,
                             tensor_parallel_size=model.tensor_parallel_size, batch_size=cfg.batch_size,
                             max_model_len=model.context_window, trust_remote_code=model.trust_remote_code)
        for i in tqdm(todo, desc=f"sample {model.name}", unit="chunk"):
            by_domain: dict[int, list[dict[str, Any]]] = {}
            for p in chunks[i]:
                by_domain.setdefault(cfg.n_per_domain[p["domain"]], []).append(p)
            rows: list[dict[str, Any]] = []
            for n, group in sorted(by_domain.items()):
                rows += _generate_chunk(gen, model, group, n, chunk_seed(recipe.run.seed, model.name, i),
                                        cfg.max_new_tokens)
            write_parquet(rows, chunk_dir / model.name / f"{i:06d}.parquet", RESPONSE_SCHEMA)
        del gen
    if ctx.shard[1] > 1 or ctx.only_model is not None:  # partial runs stop after their chunks; the full rerun merges
        done = sum(v["chunks"] for v in stats["per_model"].values())
        return StageResult([Counts("chunks", done, done, additive=False)], stats)
    rows = dataset_responses(prompts)
    for model in cfg.models:  # exactly the expected chunks: litter in the folder is never read as output
        for i in range(stats["per_model"][model.name]["chunks"]):
            rows += read_parquet(chunk_dir / model.name / f"{i:06d}.parquet")
    rows.sort(key=lambda r: (r["prompt_id"], r["model"], r["sample_index"]))
    write_parquet(rows, ctx.out_dir / RESPONSE_FILE, RESPONSE_SCHEMA)
    with_response = {r["prompt_id"] for r in rows}
    n_out = sum(1 for p in prompts if p["id"] in with_response)
    dropped = {"no_source_model_for_domain": sum(1 for p in prompts if p["id"] not in served)}
    stats["responses"] = len(rows)
    generated = [r for r in rows if r["finish_reason"] != "dataset"]
    stats["tokens"] = {  # measured, comparable with the plan: one prefill per (prompt, model), every completion
        "generations": len(generated),
        "input_tokens": sum(r["prompt_tokens"] or 0 for r in generated if r["sample_index"] == 0),
        "output_tokens": sum(r["completion_tokens"] or 0 for r in generated),
    }
    domain_of = {p["id"]: p["domain"] for p in prompts}
    by_domain: dict[str, list[int]] = {}
    for r in generated:
        by_domain.setdefault(domain_of[r["prompt_id"]], []).append(r["completion_tokens"] or 0)
    # what plan.output_tokens should say for this recipe's models (calibrate a plan from a pilot run)
    stats["tokens"]["mean_output_by_domain"] = {d: round(sum(v) / len(v), 1) for d, v in sorted(by_domain.items())}
    stats["finish_reasons"] = {k: sum(1 for r in rows if r["finish_reason"] == k)
                               for k in sorted({r["finish_reason"] for r in rows})}
    counts = [Counts("prompts", len(prompts), n_out, {k: v for k, v in dropped.items() if v}),
              Counts("responses", len(prompts), len(rows), additive=False)]
    return StageResult(counts, stats)
