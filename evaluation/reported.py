"""The paper's reported numbers as data (``results/reported/``): loading with checks, and lookups.

Rules: ``printed`` must parse to ``value``; one ``current`` value per (table, model, benchmark); superseded
values (errata) stay in the data for the audit. Errors name the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evaluation import paper_rows

REPO = Path(__file__).resolve().parents[1]
REPORTED_CSV = REPO / "results" / "reported" / "fusechat3_tables.csv"
ERRATA_CSV = REPO / "results" / "reported" / "errata.csv"
REPORTED_COLUMNS = ("table", "model", "role", "benchmark", "value", "printed", "value_readme", "status",
                    "source", "note")
STATUSES = ("current", "superseded")


@dataclass(frozen=True)
class ReportedCell:
    """One printed number of a paper table (long form: table, row/model, column/benchmark)."""

    table: str
    model: str
    role: str
    benchmark: str
    value: float
    printed: str
    value_readme: float | None
    status: str
    source: str
    note: str


def load_reported(path: Path = REPORTED_CSV) -> list[ReportedCell]:
    """Read the reported-numbers CSV; errors name the file and line. ``printed`` must parse to ``value``."""
    out: list[ReportedCell] = []
    known_tables = set(paper_rows.RESULT_TABLES) | set(paper_rows.DATASET_TABLES)
    with Path(path).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != REPORTED_COLUMNS:
            raise ValueError(f"{path}: columns must be {REPORTED_COLUMNS}, got {reader.fieldnames}")
        for i, row in enumerate(reader, start=2):
            where = f"{path}:{i}"
            if row["table"] not in known_tables:
                raise ValueError(f"{where}: unknown table {row['table']!r}")
            if row["status"] not in STATUSES:
                raise ValueError(f"{where}: status must be one of {STATUSES}")
            bench = row["benchmark"]
            if row["table"] in paper_rows.RESULT_TABLES and bench != "average" and bench not in paper_rows.BENCHMARKS:
                raise ValueError(f"{where}: unknown benchmark {bench!r}")
            try:
                value = float(row["value"])
                printed = float(row["printed"])
                readme = float(row["value_readme"]) if row["value_readme"] else None
            except ValueError:
                raise ValueError(f"{where}: value/printed/value_readme must be numbers") from None
            if abs(value - printed) > 1e-9:
                raise ValueError(f"{where}: value {value} differs from printed {row['printed']!r}")
            out.append(ReportedCell(row["table"], row["model"], row["role"], bench, value, row["printed"], readme,
                                    row["status"], row["source"], row["note"]))
    seen: set[tuple[str, str, str]] = set()
    for c in out:
        if c.status == "current":
            key = (c.table, c.model, c.benchmark)
            if key in seen:
                raise ValueError(f"{path}: two current values for {key}")
            seen.add(key)
    return out


def load_errata(path: Path = ERRATA_CSV) -> list[dict[str, str]]:
    """The errata list (old value → new value, with sources and dates)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def models_of(cells: Sequence[ReportedCell], table: str) -> list[tuple[str, str]]:
    """(model, role) of a table in CSV order."""
    out: list[tuple[str, str]] = []
    for c in cells:
        if c.table == table and (c.model, c.role) not in out:
            out.append((c.model, c.role))
    return out


def current_values(cells: Sequence[ReportedCell], table: str, model: str, *, readme: bool = False
                   ) -> dict[str, float]:
    """``{benchmark: value}`` of the current cells of one model (``readme``: README @bd8fe49 precision)."""
    out = {}
    for c in cells:
        if c.table == table and c.model == model and c.status == "current":
            out[c.benchmark] = c.value_readme if readme and c.value_readme is not None else c.value
    return out
