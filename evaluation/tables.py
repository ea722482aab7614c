"""Results tables from per-model metrics JSON (schema ``fusechat-metrics/v1``, see ``evaluation/metrics.py``).

Missing cells are shown as "—", never 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_run_table(metrics: list[dict[str, Any]], out_dir: Path, title: str, smoke: bool) -> Path:
    """Write ``results.md`` with the models as columns and benchmarks as rows; return its path."""
    benches: list[str] = []
    for m in metrics:
        for b in m["benchmarks"]:
            if b not in benches:
                benches.append(b)
    header = "| Benchmark | " + " | ".join(m["model"] for m in metrics) + " |"
    sep = "|---|" + "---|" * len(metrics)
    lines = []
    if smoke:
        lines.append("> **SMOKE RUN on the tiny world** (tiny models, synthetic benchmarks). These numbers test the "
                     "pipeline; they say nothing about FuseChat-3.0.\n")
    lines += [f"# {title}", "", header, sep]
    for b in benches:
        cells = []
        for m in metrics:
            cell = m["benchmarks"].get(b)
            cells.append("—" if cell is None or cell.get("value") is None else f"{cell['value']:.1f}")
        lines.append(f"| {b} | " + " | ".join(cells) + " |")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
