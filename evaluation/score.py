"""Evaluation scoring: per model and benchmark, score every generation and write one metrics JSON per model
(schema ``fusechat-metrics/v1``, see ``evaluation/metrics.py``) plus per-item verdicts.
"""

from __future__ import annotations

import json
import random
from typing import Any

from evaluation.benchmarks import load_benchmark
from evaluation.generate import slug
from fusechat import __version__
from fusechat.io import read_jsonl, write_json, write_jsonl
from fusechat.stage import Counts, StageContext, StageResult
from fusechat.tiny_world import settings_from

SCHEMA = "fusechat-metrics/v1"


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.eval
    world = settings_from(recipe.world)
    gen_dir = ctx.input("eval_generate")
    index = json.loads((gen_dir / "models.json").read_text())
    decoding = json.loads((gen_dir / "manifest.json").read_text())["stats"]["decoding"]
    benches = {b.name: load_benchmark(b, world) for b in cfg.benchmarks}
    n = 0
    for label, info in index.items():
        metrics: dict[str, Any] = {
            "schema": SCHEMA, "model": label, "model_path": info["path"], "run": recipe.run.name,
            "smoke": recipe.run.smoke, "benchmarks": {},
            "protocol": {"harness": f"fusechat-eval {__version__}", "judge": None,
                         "decoding": {"temperature": decoding["temperature"],
                                      "max_new_tokens": decoding["max_new_tokens"]}},
        }
        for name, (mod, items) in benches.items():
            gens = read_jsonl(gen_dir / info["folder"] / f"{name}.jsonl")
            rng = random.Random(12345)
            verdicts = []
            for item, g in zip(items, gens, strict=True):
                ok, extracted = mod.score(item, g["response"], rng)
                verdicts.append({"index": g["index"], "correct": ok, "extracted": extracted})
            write_jsonl(verdicts, ctx.out_dir / slug(label) / f"{name}.verdicts.jsonl")
            acc = 100.0 * sum(v["correct"] for v in verdicts) / len(verdicts) if verdicts else None
            metrics["benchmarks"][name] = {"value": acc, "n": len(verdicts), "metric": mod.METRIC,
                                             "scale": "percent"}
            n += len(verdicts)
        write_json(metrics, ctx.out_dir / f"{slug(label)}.metrics.json")
    return StageResult([Counts("generations", n, n)], {"models": list(index)})
