"""The WRPO run's results table: the WRPO main table's columns (AlpacaEval-2 LC/WR, Arena-Hard WR, MT-Bench
T1/T2/Overall; ``evaluation.paper_rows.RESULT_TABLES["wrpo_main"]``) for this run's models next to the paper's rows,
plus what the run itself measured: the α schedule and the held-out preference metrics of the WRPO stage.

This run's rows come from ``eval_score``'s metrics files, one per ``eval.models`` entry, named after the paper's
rows by the entry's model reference (``row_for``): ``"@sft"`` is Target-SFT; ``"@dpo"`` is the preference row,
Target-SFT-<LOSS> (``dpo.loss``: WRPO, DPO, IPO, SimPO, LN-DPO) or Target-<LOSS> with ``wrpo.preference_init:
target``; the target's own path (``sft.model``) is Target; any other model keeps its label. A benchmark the run did
not evaluate is "—". Under the table: failed or unparsable judgments and each model's judge cost
(``evaluation.layout.judge_lines``, as in the FuseChat-3.0 run table). The paper's rows are read from
``results/reported/fusechat3_tables.csv`` (table ``wrpo_main``, transcribed from the WRPO repository's results image,
https://github.com/SLIT-AI/WRPO commit e6f2867).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from evaluation import metrics as metrics_mod
from evaluation import paper_rows
from evaluation.layout import judge_lines
from fusechat.depths import column_tag
from fusechat.recipe import REPO_ROOT, Recipe
from fusechat.run_layout import slug
from fusechat.stage_runner import Counts, StageContext, StageResult

REPORTED = REPO_ROOT / "results" / "reported" / "fusechat3_tables.csv"
PAPER_ROWS = ("Target", "Target-SFT", "Target-DPO", "Target-IPO", "Target-SimPO", "Target-SFT-DPO",
              "Target-SFT-WRPO")
LOSS_NAMES = {"wrpo": "WRPO", "dpo": "DPO", "ipo": "IPO", "simpo": "SimPO", "ln_dpo": "LN-DPO"}


def preference_row(recipe: Recipe) -> str:
    """The paper row of this run's preference model: Target-SFT-<LOSS>, or Target-<LOSS> when it starts from the
    target itself (``wrpo.preference_init: target``)."""
    init = recipe.wrpo.preference_init if recipe.wrpo is not None else "sft"
    return ("Target-" if init == "target" else "Target-SFT-") + LOSS_NAMES[recipe.dpo.loss]


def row_for(recipe: Recipe, label: str, ref: str) -> str:
    """The table row of the ``eval.models`` entry ``label: ref``: by its reference, not its label."""
    if ref == "@sft":
        return "Target-SFT"
    if ref == "@dpo":
        return preference_row(recipe)
    if ref == recipe.sft.model:
        return "Target"
    return label


def reported_rows() -> dict[str, dict[str, str]]:
    """Paper rows of the WRPO main table: model → {metric: printed value}."""
    rows: dict[str, dict[str, str]] = {}
    with REPORTED.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["table"] == "wrpo_main" and r["status"] == "current":
                rows.setdefault(r["model"], {})[r["benchmark"]] = r["printed"]
    return rows


def render(title: str, run_rows: list[tuple[str, dict[str, Any]]], dpo_stats: dict[str, Any], smoke: bool) -> str:
    """``run_rows``: (row name, metrics dict) per evaluated model."""
    metrics = paper_rows.WRPO_METRICS
    head = [paper_rows.get(m).display for m in metrics]
    lines = [f"# {title}", ""]
    if smoke:
        lines += ["Smoke run on the tiny world: tiny models, synthetic benchmark items and the local tiny judge; "
                  "numbers prove the plumbing, not the method.", ""]
    lines += ["Rows marked \"(this run)\" are this run's models (`eval.models`: `@sft` is Target-SFT, `@dpo` the "
              "preference row); \"—\" is a benchmark the run did not evaluate. The paper's rows are shown for "
              "reference.", "", "| Model | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    paper = reported_rows()
    for name in PAPER_ROWS:
        vals = paper.get(name, {})
        lines.append(f"| {name} (paper) | " + " | ".join(vals.get(m, "—") for m in metrics) + " |")
    for name, m in run_rows:
        vals = metrics_mod.values(m)
        shown = f"{name} (this run)" if name == m["model"] else f"{name} (this run: {m['model']})"
        lines.append(f"| {shown} | " + " | ".join(paper_rows.fmt(b, vals.get(b)) for b in metrics) + " |")
    if not run_rows:
        lines += ["", "`eval.models` names no model, so this run has no rows."]
    notes = judge_lines([m for _, m in run_rows])
    # where each "(this run)" row's number came from (its depth and revision, fusechat/depths.py)
    notes += [f"{name} (this run): {column_tag(m)}." for name, m in run_rows if column_tag(m)]
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    lines += ["", "## Preference stage (this run)", "",
              f"- loss: `{dpo_stats.get('loss')}`, trainer `{dpo_stats.get('trainer')}`, "
              f"{dpo_stats.get('global_steps')} optimiser steps, train loss {dpo_stats.get('train_loss'):.4f}"]
    alpha = dpo_stats.get("alpha_by_step")
    if alpha:
        shown = ", ".join(f"{s}: {a:.4f}" for s, a in list(alpha.items()))
        lines.append(f"- α used at each optimiser step: {shown}; after the last step: "
                     f"{dpo_stats.get('alpha_after_training'):.4f}")
    if dpo_stats.get("checkpoint_choice") == "best_of_last_two":
        cands = "; ".join(f"step {c['step']}: {dpo_stats['checkpoint_criterion']} = {c['score']:.4f}"
                          for c in dpo_stats["checkpoint_candidates"])
        lines.append(f"- checkpoint: best of the last two on {dpo_stats['heldout_rows']} held-out rows ({cands}) → "
                     f"step {dpo_stats['chosen_checkpoint']}")
    return "\n".join(lines) + "\n"


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    dpo = json.loads((ctx.input("dpo") / "manifest.json").read_text())["stats"]
    score_dir = ctx.input("eval_score")
    run_rows = []
    for label, ref in recipe.eval.models.items():
        path = score_dir / f"{slug(label)}.metrics.json"
        m = metrics_mod.validate(json.loads(path.read_text(encoding="utf-8")), str(path))
        run_rows.append((row_for(recipe, label, ref), m))
    run_rows.sort(key=lambda r: PAPER_ROWS.index(r[0]) if r[0] in PAPER_ROWS else len(PAPER_ROWS))  # paper order
    title = paper_rows.RESULT_TABLES["wrpo_main"][0] + f" — {recipe.run.name}"
    text = render(title, run_rows, dpo, recipe.run.smoke)
    out: Path = ctx.out_dir / "results.md"
    out.write_text(text, encoding="utf-8")
    cells = sum(1 for _, m in run_rows for b in paper_rows.WRPO_METRICS
                if m["benchmarks"].get(b, {}).get("value") is not None)
    return StageResult([Counts("tables", 1, 1)], {
        "table": str(out), "columns": list(paper_rows.WRPO_METRICS),
        "rows": {m["model"]: name for name, m in run_rows}, "cells": cells,
        "metrics": {m["model"]: str(score_dir / f"{slug(m['model'])}.metrics.json") for _, m in run_rows}})
