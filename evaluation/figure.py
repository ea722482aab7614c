"""A Figure-1-style bar chart (per-benchmark bars: base vs FuseChat, optionally reproduced) from the same data
as the tables.

Rules: MT-Bench and AlignBench are drawn ×10 so they share the 0-100 axis (labelled "×10"; the numbers over
the bars are the raw scores); a missing reproduced value draws no bar (never a zero-height bar); the PNG is
deterministic (Agg backend, fixed size/dpi, no Software/date metadata) so a drift test can compare bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evaluation import paper_rows
from evaluation.reported import ReportedCell, current_values, load_reported, models_of


def render_figure(out: Path, table: str = "llama31_8b", reproduced: dict[str, float | None] | None = None,
                  cells: Sequence[ReportedCell] | None = None, reproduced_label: str = "reproduced") -> Path:
    """Bars of the base model and the FuseChat-Instruct model of ``table`` (+ ``reproduced`` values for the
    Instruct model when given) over the table's benchmarks and the Average; returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = load_reported() if cells is None else cells
    roles = dict((r, m) for m, r in models_of(cells, table))
    base_name, fuse_name = roles["base"], roles["instruct"]
    base, fuse = current_values(cells, table, base_name), current_values(cells, table, fuse_name)
    benches = [*paper_rows.table_benchmarks(table), "average"]

    def scale(b: str) -> float:
        return 10.0 if b != "average" and paper_rows.get(b).scale == paper_rows.TEN_POINT else 1.0

    def label(b: str) -> str:
        if b == "average":
            return "Average"
        return paper_rows.get(b).display + (" (×10)" if scale(b) != 1.0 else "")

    series: list[tuple[str, dict[str, float | None], str, str | None]] = [
        (base_name, dict(base), "#9e9e9e", None), (fuse_name, dict(fuse), "#1f77b4", None)]
    if reproduced is not None:
        rep = dict(reproduced)
        avg = paper_rows.average(rep, paper_rows.table_benchmarks(table))
        rep["average"] = avg.value if avg.complete else None
        series.append((f"{fuse_name} ({reproduced_label})", rep, "#ff7f0e", "//"))
    plt.rcParams.update({"svg.hashsalt": "fusechat", "font.size": 8})
    fig, ax = plt.subplots(figsize=(12, 4.2), dpi=100)
    width = 0.8 / len(series)
    for i, (name, vals, color, hatch) in enumerate(series):
        labelled = False
        for j, b in enumerate(benches):
            v = vals.get(b)
            if v is None:  # missing: no bar at all, never a zero-height one
                continue
            x = j + (i - (len(series) - 1) / 2) * width
            ax.bar(x, v * scale(b), width, color=color, hatch=hatch, edgecolor="white" if hatch is None else "k",
                   linewidth=0.3, label=None if labelled else name)
            labelled = True
            ax.text(x, v * scale(b) + 1, f"{v:.{2 if scale(b) != 1 else 1}f}", ha="center", va="bottom",
                    fontsize=5, rotation=90)
    ax.set_xticks(range(len(benches)))
    ax.set_xticklabels([label(b) for b in benches], rotation=35, ha="right")
    ax.set_ylabel("score (%; MT-Bench/AlignBench ×10)")
    ax.set_ylim(0, 105)
    d = fuse["average"] - base["average"]
    ax.set_title(f"{fuse_name} vs {base_name}: average {base['average']:.1f} → {fuse['average']:.1f} ({d:+.1f}), "
                 "reported numbers" + (" and reproduction" if reproduced is not None else ""))
    ax.legend(loc="upper left", frameon=False, ncol=len(series))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png", metadata={"Software": None})
    plt.close(fig)
    return out
