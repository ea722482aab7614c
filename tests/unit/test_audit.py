"""The reported numbers as data and the audit of the paper's arithmetic: specific recomputed averages, the
headline claims, the dataset tables' sums, WRPO's MT-Bench overall, errata, and drift of results/audit.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluation import paper_rows
from evaluation.audit import audit_checks, render_audit
from evaluation.reported import REPO, current_values, load_errata, load_reported, models_of


@pytest.fixture(scope="module")
def cells():
    return load_reported()


@pytest.fixture(scope="module")
def checks(cells):
    return audit_checks(cells)


def _check(checks, section: str, subject: str, claim_part: str = ""):
    hits = [c for c in checks if c.section == section and c.subject == subject and claim_part in c.claim]
    assert len(hits) == 1, (section, subject, [c.subject for c in checks if c.section == section])
    return hits[0]


def test_every_cell_of_every_table_is_present_with_a_source(cells) -> None:
    per_table = {}
    for c in cells:
        per_table[c.table] = per_table.get(c.table, 0) + 1
        assert c.source.strip(), c
    # 4 models x 15 rows; 3 x 15 (x3); 1B: 3 x 14; +2 superseded Gemma cells; datasets 9 x 3; WRPO 23 x 6
    assert per_table == {"llama31_8b": 60, "qwen25_7b": 45, "gemma2_9b": 47, "llama32_3b": 45, "llama32_1b": 42,
                         "dataset_seed": 27, "dataset_final": 27, "wrpo_main": 138}
    assert [r for _, r in models_of(cells, "llama31_8b")] == ["base", "tulu3", "sft", "instruct"]
    assert {c.benchmark for c in cells if c.table == "llama32_1b"} == {*paper_rows.PAPER_BENCHMARKS_1B, "average"}


def test_printed_precision_is_kept(cells) -> None:
    row = {(c.model, c.benchmark): c for c in cells if c.table == "llama31_8b"}
    assert row[("FuseChat-Llama-3.1-8B-Instruct", "mt_bench")].printed == "9"
    assert row[("FuseChat-Llama-3.1-8B-Instruct", "gsm8k")].printed == "88"
    mt = row[("Llama3.1-8B-Instruct", "mt_bench")]
    assert (mt.value, mt.value_readme) == (8.38, 8.4) and "@bd8fe49" in mt.note
    assert "slit-ai.github.io/FuseChat-3.0" in mt.source and "FuseChat-Llama3.1-8B-Instruct Performance" in mt.source


def test_seed_blog_cells_form_each_printed_table_with_their_provenance(cells) -> None:
    """What the repository can check without a copy of the blog: every seed-blog result table is a full grid (each
    model has exactly one current cell per printed row, the average included), each cell's source names the blog and
    that table's title (except the cells an erratum replaced), and its printed text is the number it stores (so no cell was retyped with another value)."""
    for table, (title, _) in paper_rows.RESULT_TABLES.items():
        if table == "wrpo_main":
            continue
        seed = [c for c in cells if c.table == table and c.status == "current"]
        blog = [c for c in seed if c.source.startswith("seed blog (https://slit-ai.github.io/FuseChat-3.0/)")]
        assert all(f"table '{title}'" in c.source for c in blog), table
        corrected = {(c.model, c.benchmark) for c in cells if c.table == table and c.status == "superseded"}
        assert {(c.model, c.benchmark) for c in seed if c not in blog} == corrected, table  # only errata differ
        rows = [*paper_rows.table_benchmarks(table), "average"]
        for model, _ in models_of(cells, table):
            mine = sorted(c.benchmark for c in seed if c.model == model)
            assert mine == sorted(rows), (table, model)
        for c in seed:
            assert c.printed.strip() and float(c.printed) == c.value, c


def test_errata_are_recorded_with_both_values_and_dates(cells) -> None:
    g = [c for c in cells if c.table == "gemma2_9b" and c.model == "FuseChat-gemma2-9b-SFT"
         and c.benchmark in ("arena_hard", "average")]
    assert {(c.benchmark, c.value, c.status) for c in g} == {
        ("arena_hard", 58.3, "superseded"), ("arena_hard", 44.5, "current"),
        ("average", 45.7, "superseded"), ("average", 44.7, "current")}
    errata = load_errata()
    gem = next(e for e in errata if e["benchmark"] == "arena_hard")
    assert (gem["old_date"], gem["new_date"]) == ("2024-12-11", "2024-12-18") and "4bbf4f6" in gem["new_source"]
    assert current_values(cells, "dataset_final", "self-oss-instruct-sc2-exec-filter-50k")["dpo"] == 2732


def test_specific_recomputed_averages(checks) -> None:
    c = _check(checks, "averages", "llama31_8b / Llama3.1-8B-Instruct [current]")
    base = [28.3, 28.1, 8.38, 4.61, 27.6, 85.9, 50.7, 25.0, 50.0, 67.2, 33.8, 69.5, 75.4, 12.3]  # printed column
    assert c.diff == pytest.approx(sum(base) / 14 - 40.5, abs=1e-9) and c.holds and not c.approx
    assert c.recomputed == "40.485"
    assert float(_check(checks, "averages", "llama31_8b / FuseChat-Llama-3.1-8B-Instruct [current]").recomputed) \
        == pytest.approx(47.264, abs=5e-4)
    new = _check(checks, "averages", "gemma2_9b / FuseChat-gemma2-9b-SFT [current]")
    old = _check(checks, "averages", "gemma2_9b / FuseChat-gemma2-9b-SFT [superseded (seed blog)]")
    assert float(new.recomputed) == pytest.approx(44.674, abs=5e-4) and new.holds
    assert float(old.recomputed) == pytest.approx(45.659, abs=5e-4) and old.holds  # consistent with its own column
    assert float(old.recomputed) - float(new.recomputed) == pytest.approx((58.3 - 44.5) / 14, abs=1e-3)


def test_every_average_recomputes_within_rounding_or_is_named(checks) -> None:
    avgs = [c for c in checks if c.section == "averages"]
    assert len(avgs) == 4 + 3 + 3 + 3 + 3 + 1  # + the superseded Gemma SFT average
    exact = [c for c in avgs if c.holds and not c.approx]
    named = [c for c in avgs if c.approx or not c.holds]
    assert all(abs(c.diff) <= 0.05 + 1e-9 for c in exact)
    assert [c.subject for c in named] == ["llama32_1b / Llama3.2-1B-Instruct [current]"]
    assert named[0].diff == pytest.approx(311.29 / 13 - 24.0, abs=1e-9)  # -0.055
    assert "within cell rounding" in render_audit(checks)


def test_headline_claims(checks) -> None:
    for claim, diff in (("+6.8 average", 6.8), ("+37.1 on AlpacaEval-2", 37.1), ("+30.1 on Arena-Hard", 30.1)):
        c = _check(checks, "claims", "Llama-3.1-8B: FuseChat-Instruct − base", claim)
        assert c.holds and float(c.recomputed) == pytest.approx(diff)
    avg = _check(checks, "claims", "Llama-3.1-8B: FuseChat-Instruct − base", "+6.8")
    assert "= 6.779" in avg.note  # from the cells the gain is 6.78, rounding to 6.8
    tulu = _check(checks, "claims", "Llama-3.1-8B: FuseChat-Instruct vs Tulu-3-8B")
    assert tulu.holds and tulu.recomputed == "GSM8K, GPQA-Diamond"


def test_dataset_sums(checks) -> None:
    seed_bad = {(c.subject, c.diff) for c in checks if c.section == "dataset:dataset_seed" and not c.holds}
    assert seed_bad == {("OpenMathInstruct-2", -6743), ("self-oss-instruct-sc2-exec-filter-50k", -687),
                        ("column 'total'", 7430)}
    assert _check(checks, "dataset:dataset_seed", "Total row").holds  # 94,539 + 64,245 = 158,784
    assert all(c.holds for c in checks if c.section == "dataset:dataset_final")
    assert _check(checks, "dataset:dataset_final", "column 'dpo'").stated == "64,128"


def test_wrpo_checks(checks) -> None:
    bad = {c.subject: round(c.diff, 3) for c in checks if c.section == "wrpo" and not c.holds}
    assert bad == {"DeepSeek-Coder-V2-Instruct": -0.02, "Target-SimPO": -0.015}
    assert _check(checks, "wrpo", "Target-SFT-WRPO", "55.9").holds


def test_audit_summary_counts(checks) -> None:
    text = render_audit(checks)
    n_bad = sum(not c.holds for c in checks)
    assert n_bad == 5
    assert re.search(rf"\*\*{len(checks)} checks: {len(checks) - 6} hold, 1 hold only .*, 5 do not\.\*\*", text)


def test_committed_audit_equals_regenerated(checks, tmp_path: Path) -> None:
    from evaluation.paper_tables import main

    out = tmp_path / "audit.md"
    assert main(["--audit", "--audit-out", str(out)]) == 0
    committed = REPO / "results" / "audit.md"
    assert out.read_bytes() == committed.read_bytes(), "results/audit.md drifted: run paper_tables.py --audit"
