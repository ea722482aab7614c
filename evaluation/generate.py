"""Evaluation generation: every model of ``eval.models`` answers every benchmark item (greedy, FuseEval's
decoding for the ground-truth benchmarks). ``@sft`` / ``@dpo`` name this run's trained models.
Outputs: ``<model_slug>/<benchmark>.jsonl`` with the prompt, response and finish reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluation.benchmarks import load_benchmark
from fusechat.generation import SamplingParams, load_generator
from fusechat.io import write_jsonl
from fusechat.stage import Counts, StageContext, StageError, StageResult
from fusechat.tiny_world import TinyWorldSettings, resolve, settings_from
from training.sft import MODEL_SUBDIR


def slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")


def model_path(ref: str, ctx: StageContext, world: TinyWorldSettings) -> str:
    if ref == "@sft":
        return str(ctx.input("sft") / MODEL_SUBDIR)
    if ref == "@dpo":
        return str(ctx.input("dpo") / MODEL_SUBDIR)
    if ref.startswith("@"):
        raise StageError(f"eval.models: unknown run reference {ref!r} (use @sft or @dpo)")
    return resolve(ref, world)


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.eval
    world = settings_from(recipe.world)
    benches = {b.name: load_benchmark(b, world) for b in cfg.benchmarks}
    params = SamplingParams(n=1, temperature=0.0, max_new_tokens=cfg.max_new_tokens, seed=recipe.run.seed)
    n_items = 0
    index: dict[str, Any] = {}
    for label, ref in cfg.models.items():
        path = model_path(ref, ctx, world)
        gen = load_generator(path, backend=cfg.backend, batch_size=cfg.batch_size)
        folder: Path = ctx.out_dir / slug(label)
        index[label] = {"path": path, "folder": slug(label)}
        for name, (mod, items) in tqdm(benches.items(), desc=f"eval {label}", unit="benchmark"):
            outs = gen.chat([mod.messages(it) for it in items], params)
            write_jsonl(({"index": i, "messages": mod.messages(it), "response": o[0].text,
                          "finish_reason": o[0].finish_reason} for i, (it, o) in enumerate(zip(items, outs, strict=True))),
                        folder / f"{name}.jsonl")
            n_items += len(items)
        del gen
    (ctx.out_dir / "models.json").write_text(__import__("json").dumps(index, indent=2))
    return StageResult([Counts("generations", n_items, n_items)], {"models": index, "decoding": params.as_dict()})
