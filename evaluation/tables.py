"""Final stage: the run's results table (Markdown, LaTeX, CSV) from the metrics JSON files, via ``evaluation.render``.

A real run with ``eval.target_table`` (e.g. ``llama31_8b``) is shown next to the paper's reported column with
reproduced − reported deltas and out-of-tolerance flags; a smoke run is marked synthetic and never compared."""

from __future__ import annotations

import json

from evaluation.layout import infer_role  # noqa: F401 - the eval_tables stage's hook (fusechat/stage_table.py HOOKS)
from evaluation.render import write_run_table
from fusechat.run_layout import slug
from fusechat.stage_runner import Counts, StageContext, StageResult


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    score_dir = ctx.input("eval_score")
    metrics = [json.loads((score_dir / f"{slug(label)}.metrics.json").read_text()) for label in recipe.eval.models]
    title = f"Results: {recipe.run.name}"
    path = write_run_table(metrics, ctx.out_dir, title, recipe.run.smoke, reported_table=recipe.eval.target_table)
    cells = sum(1 for m in metrics for b in m["benchmarks"].values() if b.get("value") is not None)
    return StageResult([Counts("models", len(metrics), len(metrics))], {"table": str(path), "cells": cells})
