"""Regenerate every results table (and the Figure-1-style chart) from data, or audit the paper's arithmetic.

    python evaluation/paper_tables.py                       # results/tables/*.{md,tex,csv} + results/figures/*.png
    python evaluation/paper_tables.py --reproduced runs/x/eval/02_score --table llama31_8b
    python evaluation/paper_tables.py --audit               # results/audit.md

Reproduced metrics (schema ``fusechat-metrics/v2``, v1 still read; ``evaluation/metrics.py``) are read from every ``*.json``
under each ``--reproduced`` directory (default: ``results/reproduced`` when it exists). A file goes to the table
named by its ``table`` field, else by its parent folder's name when that is a table id, else by ``--table``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evaluation import metrics as metrics_mod
from evaluation import paper_rows
from evaluation.audit import audit_checks, render_audit
from evaluation.figure import render_figure
from evaluation.layout import match_reproduced
from evaluation.render import write_all_tables
from evaluation.reported import REPO, load_reported, models_of

DEFAULT_REPRODUCED = REPO / "results" / "reproduced"
FIGURE_TABLE = "llama31_8b"


def collect_reproduced(dirs: list[Path], default_table: str | None) -> dict[str, list[dict[str, Any]]]:
    """``{table id: [metrics, ...]}`` from the metrics files under ``dirs`` (see the module doc for the rule).

    Smoke metrics are skipped (synthetic items are never compared with the paper); a file with no table is an
    error naming it.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for d in dirs:
        if not d.is_dir():
            raise SystemExit(f"--reproduced {d}: not a directory")
        for path, m in metrics_mod.load_dir(d):
            if m.get("smoke"):
                print(f"skipping {path}: smoke-run metrics are not comparable with the paper", file=sys.stderr)
                continue
            table = m.get("table") or (path.parent.name if path.parent.name in paper_rows.RESULT_TABLES else None)
            table = table or default_table
            if table is None:
                raise SystemExit(f"{path}: no 'table' field, folder name or --table says which table it reproduces")
            out.setdefault(table, []).append(m)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audit", action="store_true", help="write the audit of the paper's arithmetic instead")
    ap.add_argument("--reproduced", type=Path, action="append", default=None, metavar="DIR",
                    help="directory of metrics JSON files (repeatable)")
    ap.add_argument("--table", choices=list(paper_rows.RESULT_TABLES), help="table for metrics files that name none")
    ap.add_argument("--out", type=Path, default=REPO / "results" / "tables", help="tables directory")
    ap.add_argument("--audit-out", type=Path, default=REPO / "results" / "audit.md")
    ap.add_argument("--figures", type=Path, default=REPO / "results" / "figures", help="figures directory")
    ap.add_argument("--no-figure", action="store_true")
    args = ap.parse_args(argv)

    if args.audit:
        checks = audit_checks()
        args.audit_out.parent.mkdir(parents=True, exist_ok=True)
        args.audit_out.write_text(render_audit(checks), encoding="utf-8")
        bad = [c for c in checks if not c.holds]
        print(f"{len(checks)} checks, {len(bad)} do not hold -> {args.audit_out}", file=sys.stderr)
        for c in bad:
            print(f"  NO: {c.section}: {c.subject}: {c.claim} (printed {c.stated}, recomputed {c.recomputed})",
                  file=sys.stderr)
        print(args.audit_out)
        return 0

    dirs = args.reproduced if args.reproduced is not None else (
        [DEFAULT_REPRODUCED] if DEFAULT_REPRODUCED.is_dir() else [])
    reproduced = collect_reproduced(dirs, args.table)
    paths = write_all_tables(args.out, reproduced)
    if not args.no_figure:
        cells = load_reported()
        matched, _ = match_reproduced(FIGURE_TABLE, cells, reproduced.get(FIGURE_TABLE, ()))
        fuse = next(m for m, r in models_of(cells, FIGURE_TABLE) if r == "instruct")
        rep = metrics_mod.values(matched[fuse]) if fuse in matched else None
        paths.append(render_figure(args.figures / f"fusechat_{FIGURE_TABLE}.png", FIGURE_TABLE, rep, cells))
    for p in paths:
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
