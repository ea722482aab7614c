"""Evaluation scoring (stage ``eval_score``): per model and benchmark, ``task.score_batch`` over every generation,
per-item verdicts, and one metrics JSON per model (schema ``fusechat-metrics/v2``, ``evaluation/metrics.py``).

Each task is scored with a fresh ``ScoreContext``: an RNG seeded 12345 (FuseEval MC-Eval's fallback seed; tasks
that follow FuseEval reseed it per guess), shared resources created lazily by the task (e.g. a sandbox pool) and
closed after it, and the entry's ``options`` plus ``data_dir``. The metrics cell of every table row a task
produces records the value, item count, the task version, ``task.protocol()`` and the data copy/revision used.
"""

from __future__ import annotations

import json
import random
from typing import Any

from evaluation import metrics as metrics_mod
from evaluation import registry
from evaluation.data import default_data_dir
from evaluation.generate import ITEMS_DIR, selected_benchmarks, slug
from evaluation.tasks.base import ScoreContext
from fusechat import __version__
from fusechat.io import read_jsonl, write_jsonl
from fusechat.stage import Counts, StageContext, StageError, StageResult

FALLBACK_SEED = 12345


def _data_version(prov: dict[str, Any]) -> str:
    if prov.get("hub_id"):
        rev = prov.get("revision") or "unpinned"
        return f"{prov['hub_id']}@{rev} {'+'.join(c for c in prov.get('configs') or [] if c) or '-'}/{prov.get('split')}"
    return str(prov.get("path") or prov.get("source"))


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.eval
    gen_dir = ctx.input("eval_generate")
    index = json.loads((gen_dir / "models.json").read_text())
    provenance = json.loads((gen_dir / "benchmarks.json").read_text())
    data_dir = default_data_dir(cfg.data_dir)
    tasks = [(t, e) for t, e in selected_benchmarks(cfg) if t.id in provenance]
    n = 0
    for label, info in index.items():
        metrics: dict[str, Any] = {
            "schema": metrics_mod.SCHEMA, "model": label, "model_path": info["path"], "run": recipe.run.name,
            "smoke": recipe.run.smoke, "benchmarks": {},
            "protocol": {"harness": f"fusechat-eval {__version__}", "judge": None, "family": info["family"],
                         "decoding": {"per_task": "see benchmarks.<id>.protocol.decoding",
                                      "max_new_tokens_cap": cfg.max_new_tokens}},
        }
        if cfg.target_table:
            metrics["table"] = cfg.target_table
        for task, entry in tasks:
            items = read_jsonl(gen_dir / ITEMS_DIR / f"{task.id}.jsonl")
            gens = read_jsonl(gen_dir / info["folder"] / f"{task.id}.jsonl")
            if [g["index"] for g in gens] != list(range(len(items))):
                raise StageError(f"{gen_dir / info['folder'] / task.id}.jsonl: generations do not match the "
                                 f"{len(items)} items")
            sctx = ScoreContext(rng=random.Random(FALLBACK_SEED),
                                options={**entry.options, "data_dir": str(data_dir / task.id)})
            try:
                results = task.score_batch(items, [g["responses"] for g in gens], sctx)
            finally:
                sctx.close()
            write_jsonl(({"index": g["index"], "score": r.score, "extracted": r.extracted, "detail": r.detail}
                         for g, r in zip(gens, results, strict=True)),
                        ctx.out_dir / slug(label) / f"{task.id}.verdicts.jsonl")
            prov = provenance[task.id]["data"]
            summary = task.summary(items, results)  # further figures (e.g. base and plus), once per task
            for row_id, value in task.aggregate_rows(items, results).items():
                spec = registry.get(row_id)
                metrics["benchmarks"][row_id] = {
                    "value": value, "n": len(results), "metric": spec.metric, "scale": spec.scale,
                    "judge": spec.judge, "data_version": _data_version(prov), "task": task.id,
                    "task_version": task.version, "protocol": task.protocol(), "data": prov,
                }
                if summary:
                    metrics["benchmarks"][row_id]["summary"] = summary
            n += len(results)
        metrics_mod.write(metrics, ctx.out_dir / f"{slug(label)}.metrics.json")
    return StageResult([Counts("verdicts", n, n)], {"models": list(index), "benchmarks": [t.id for t, _ in tasks]})
