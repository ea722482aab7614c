"""The WRPO run's results table: the WRPO main table's columns (AlpacaEval-2 LC/WR, Arena-Hard WR, MT-Bench
T1/T2/Overall; ``evaluation.registry.RESULT_TABLES["wrpo_main"]``) for this run's models next to the paper's rows,
plus what the run itself measured: the α schedule and the held-out preference metrics of the WRPO stage.

The three judged benchmarks need an LLM judge and are built by the evaluation stages; until a metrics file for this
run exists the reproduced cells are "—" and the table says so. The paper's rows are read from
``results/reported/fusechat3_tables.csv`` (table ``wrpo_main``, transcribed from the WRPO repository's results image,
https://github.com/SLIT-AI/WRPO commit e6f2867).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from evaluation import registry
from fusechat.recipe import REPO_ROOT
from fusechat.stage import Counts, StageContext, StageResult

REPORTED = REPO_ROOT / "results" / "reported" / "fusechat3_tables.csv"
PAPER_ROWS = ("Target", "Target-SFT", "Target-DPO", "Target-IPO", "Target-SimPO", "Target-SFT-DPO",
              "Target-SFT-WRPO")


def reported_rows() -> dict[str, dict[str, str]]:
    """Paper rows of the WRPO main table: model → {metric: printed value}."""
    rows: dict[str, dict[str, str]] = {}
    with REPORTED.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["table"] == "wrpo_main" and r["status"] == "current":
                rows.setdefault(r["model"], {})[r["benchmark"]] = r["printed"]
    return rows


def render(title: str, run_rows: list[str], dpo_stats: dict[str, Any], smoke: bool) -> str:
    metrics = registry.WRPO_METRICS
    head = [registry.get(m).display for m in metrics]
    lines = [f"# {title}", ""]
    if smoke:
        lines += ["Smoke run on the tiny world: tiny models and synthetic data; numbers prove the plumbing, not the "
                  "method.", ""]
    lines += ["The reproduced cells are \"—\": AlpacaEval-2, Arena-Hard and MT-Bench need an LLM judge, and their "
              "evaluation is not wired into this run yet. The paper's rows are shown for reference.", "",
              "| Model | " + " | ".join(head) + " |", "|---|" + "---:|" * len(head)]
    paper = reported_rows()
    for name in PAPER_ROWS:
        vals = paper.get(name, {})
        lines.append(f"| {name} (paper) | " + " | ".join(vals.get(m, "—") for m in metrics) + " |")
    for name in run_rows:
        lines.append(f"| {name} (this run) | " + " | ".join("—" for _ in metrics) + " |")
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
    label = {"wrpo": "Target-SFT-WRPO", "dpo": "Target-SFT-DPO", "ipo": "Target-SFT-IPO",
             "simpo": "Target-SFT-SimPO", "ln_dpo": "Target-SFT-LN-DPO"}[recipe.dpo.loss]
    title = registry.RESULT_TABLES["wrpo_main"][0] + f" — {recipe.run.name}"
    text = render(title, ["Target-SFT", label], dpo, recipe.run.smoke)
    out: Path = ctx.out_dir / "results.md"
    out.write_text(text, encoding="utf-8")
    return StageResult([Counts("tables", 1, 1)], {"table": str(out), "columns": list(registry.WRPO_METRICS)})
