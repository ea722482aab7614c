"""Rendering and writing grids: Markdown, LaTeX (booktabs) and long-form CSV; the results folder and the
pipeline's run table (``results.md``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluation import metrics as metrics_mod
from evaluation import paper_rows
from evaluation.layout import (
    CSV_FIELDS,
    FLAG,
    GENERATED_NOTE,
    RUN_NOTE,
    SMOKE_BANNER,
    Grid,
    _protocol_lines,
    judge_lines,
    run_grid,
    target_grid,
)
from evaluation.reported import ReportedCell, load_reported


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def render_markdown(grid: Grid, preamble: Sequence[str] = (), heading: str | None = None) -> str:
    """A GitHub-flavoured Markdown table with title, preamble lines and footnotes."""
    lines = [*preamble, f"# {heading or grid.title}", "", grid.generated, "",
             "| " + " | ".join(_md_escape(h) for h in grid.header) + " |",
             "|" + "|".join("---" for _ in grid.header) + "|"]
    for row, strong in zip(grid.rows, grid.strong or [False] * len(grid.rows), strict=True):
        cells = [_md_escape(c) for c in row]
        if strong:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    if grid.notes:
        lines.append("")
        lines += [f"- {n}" for n in grid.notes]
    return "\n".join(lines) + "\n"


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
        "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "—": "--", "−": "$-$", "Δ": r"$\Delta$",
        "±": r"$\pm$", FLAG: r"$^{*}$", "→": r"$\to$"}


def tex_escape(s: str) -> str:
    """Escape LaTeX specials (and map a few Unicode signs to math)."""
    return "".join(_TEX.get(ch, ch) for ch in s)


def render_latex(grid: Grid) -> str:
    """A booktabs ``table`` environment (needs ``\\usepackage{booktabs}``)."""
    spec = "l" + "r" * (len(grid.header) - 1)
    out = ["% " + grid.generated.replace("`", ""), r"\begin{table}[t]", r"\centering", r"\small",
           rf"\caption{{{tex_escape(grid.title)}}}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
           " & ".join(tex_escape(h) for h in grid.header) + r" \\", r"\midrule"]
    for row, strong in zip(grid.rows, grid.strong or [False] * len(grid.rows), strict=True):
        cells = []
        for c in row:
            t = tex_escape(c.replace(f" {FLAG}", FLAG))
            if c.startswith(("+", "-")) and c.rstrip(f" {FLAG}").lstrip("+-").replace(".", "").isdigit():
                t = "$" + c.rstrip(f" {FLAG}").strip() + ("^{*}$" if c.endswith(FLAG) else "$")
            cells.append(rf"\textbf{{{t}}}" if strong and c else t)
        if strong:
            out.append(r"\midrule")
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    if grid.notes:
        out.append(r"\par\smallskip\footnotesize " + " ".join(tex_escape(n.replace("`", "")) for n in grid.notes))
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def render_csv(grid: Grid) -> str:
    """Long-form CSV (one row per table × model × benchmark) with reported, reproduced, delta and flags."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in grid.csv_rows:
        w.writerow({k: r.get(k, "") for k in CSV_FIELDS})
    return buf.getvalue()


def write_grid(grid: Grid, out_dir: Path, stem: str, preamble: Sequence[str] = ()) -> list[Path]:
    """Write ``stem.md``, ``stem.tex`` and ``stem.csv``; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, text in (("md", render_markdown(grid, preamble)), ("tex", render_latex(grid)), ("csv", render_csv(grid))):
        p = out_dir / f"{stem}.{ext}"
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths



def write_all_tables(out_dir: Path, reproduced: dict[str, list[dict[str, Any]]] | None = None,
                     cells: Sequence[ReportedCell] | None = None) -> list[Path]:
    """Every reported table as md/tex/csv in ``out_dir`` (plus an index ``README.md``)."""
    cells = load_reported() if cells is None else cells
    reproduced = reproduced or {}
    paths: list[Path] = []
    index = ["# Results tables", "", GENERATED_NOTE, "",
             "Each table exists as `.md`, `.tex` (booktabs) and long-form `.csv`.", ""]
    for table in [*paper_rows.RESULT_TABLES, *paper_rows.DATASET_TABLES]:
        grid = target_grid(table, reproduced.get(table, ()), cells)
        paths += write_grid(grid, out_dir, table)
        n = len(reproduced.get(table, ()))
        index.append(f"- [`{table}`]({table}.md): {grid.title}"
                     + (f" — {n} reproduced model(s)" if n else " — reported only"))
    (out_dir / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    return [*paths, out_dir / "README.md"]



def guess_lines(metrics: Sequence[dict[str, Any]]) -> list[str]:
    """Notes under a table: per multiple-choice benchmark and model, the share of answers with no extractable
    letter that were scored by FuseEval's seeded random guess (``summary.random_fallback*``)."""
    lines: list[str] = []
    for m in metrics:
        for row_id, cell in m["benchmarks"].items():
            s = cell.get("summary") or {}
            if "random_fallback" not in s:
                continue
            lines.append(f"{paper_rows.get(row_id).display}: {s['random_fallback']} answers "
                         f"({s['random_fallback_share']:.1f}%) fell back to the seeded random guess, "
                         f"{s.get('random_fallback_correct', 0)} of them right ({m['model']}).")
    return lines


def write_run_table(metrics: list[dict[str, Any]], out_dir: Path, title: str, smoke: bool,
                    reported_table: str | None = None) -> Path:
    """Write the run's ``results.md`` (+ ``results.tex``, ``results.csv``); return the Markdown path.

    Smoke runs (or no ``reported_table``): models as columns, every row of the paper table (``reported_table``,
    default ``llama31_8b``) plus measured variants, "—" for missing.
    Otherwise the reported table ``reported_table`` with these metrics as reproduced columns and deltas.
    """
    for m in metrics:
        metrics_mod.validate(m, f"metrics of {m.get('model', '?')!r}")
    synthetic = smoke or any(m.get("smoke") for m in metrics)
    if synthetic or reported_table is None:
        grid = run_grid(metrics, title, synthetic, reported_table or "llama31_8b")
        preamble = [SMOKE_BANNER, ""] if synthetic else []
    else:
        grid = target_grid(reported_table, metrics)
        grid.title = f"{title} vs reported '{paper_rows.RESULT_TABLES[reported_table][0]}'"
        grid.generated = RUN_NOTE
        preamble = []
    grid.notes += judge_lines(metrics)
    grid.notes += guess_lines(metrics)
    grid.notes += ["Protocol per model:", *(ln.removeprefix("- ") for ln in _protocol_lines(metrics))]
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "results.md"
    md.write_text(render_markdown(grid, preamble), encoding="utf-8")
    (out_dir / "results.tex").write_text(render_latex(grid), encoding="utf-8")
    (out_dir / "results.csv").write_text(render_csv(grid), encoding="utf-8")
    return md
