"""Regenerated tables: reproduced − reported deltas and tolerance flags from a fixture, "—" (never 0) for
missing cells, incomplete averages, the smoke run's table, and byte-for-byte drift of results/tables/."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import metrics, paper_rows
from evaluation.layout import build_comparison, comparison_grid, infer_role, target_grid
from evaluation.paper_tables import collect_reproduced, main
from evaluation.render import render_csv, render_latex, render_markdown, write_run_table
from evaluation.reported import REPO, load_reported

FIXTURES = REPO / "tests" / "fixtures" / "reproduced_metrics"


@pytest.fixture(scope="module")
def cells():
    return load_reported()


@pytest.fixture(scope="module")
def fixture_metrics():
    return [m for _, m in metrics.load_dir(FIXTURES)]


@pytest.fixture(scope="module")
def grid(cells, fixture_metrics):
    return comparison_grid(build_comparison("llama31_8b", fixture_metrics, cells))


def _csv(grid, model: str, bench: str) -> dict:
    rows = [r for r in grid.csv_rows if r["model"] == model and r["benchmark"] == bench]
    assert len(rows) == 1
    return rows[0]


def test_fixture_deltas_and_flags(grid) -> None:
    inst = "FuseChat-Llama-3.1-8B-Instruct"
    flagged = {r["benchmark"] for r in grid.csv_rows if r.get("out_of_tolerance") == "True"}
    assert flagged == {"alpacaeval2", "mt_bench", "math"}  # -4.4 > 3.0, -0.38 > 0.3, +2.8 > 2.0
    assert _csv(grid, inst, "alpacaeval2")["delta"] == "-4.4"
    assert _csv(grid, inst, "mt_bench")["delta"] == "-0.38"
    assert _csv(grid, inst, "amc23")["delta"] == "-5" and _csv(grid, inst, "amc23")["out_of_tolerance"] == "False"
    assert _csv(grid, inst, "gpqa_diamond")["out_of_tolerance"] == "False"  # -3.9 within 4.0
    avg = _csv(grid, inst, "average")
    assert (avg["reported"], avg["reproduced"], avg["delta"]) == ("47.3", "46.3443", "-0.9557")
    md = render_markdown(grid)
    assert "| AlpacaEval-2 (LC %) | 3.0 | 28.3 | 33.4 | 41.3 | 40.0 | -1.3 | 65.4 | 61.0 | -4.4 ⚠ |" in md
    assert "| MT-Bench | 0.30 | 8.38 | 8.34 | 8.54 | 8.50 | -0.04 | 9.00 | 8.62 | -0.38 ⚠ |" in md
    assert md.count("⚠ |") == 3
    tex = render_latex(grid)
    assert r"AlpacaEval-2 (LC \%)" in tex and "$-4.4^{*}$" in tex and "$-1.2$" in tex


def test_missing_benchmark_is_a_dash_never_zero_and_average_is_incomplete(grid) -> None:
    sft = "FuseChat-Llama-3.1-8B-SFT"
    for b in ("humaneval", "livecodebench"):  # null in the file / absent from the file
        r = _csv(grid, sft, b)
        assert (r["reproduced"], r["delta"], r["out_of_tolerance"]) == ("", "", "")
    md = render_markdown(grid)
    he = next(ln for ln in md.splitlines() if ln.startswith("| HumanEval |"))
    assert he.split("|")[6].strip() == "—" and he.split("|")[7].strip() == "—"
    avg = _csv(grid, sft, "average")
    assert (avg["n_present"], avg["n_expected"], avg["delta"]) == (12, 14, "")
    assert float(avg["reproduced"]) == pytest.approx(519.85 / 12, abs=1e-4)  # not /14, not /13 with a 0
    assert "43.3 (incomplete: 12/14)" in md


def test_reported_only_table_has_no_reproduced_columns_and_keeps_precision(cells) -> None:
    md = render_markdown(target_grid("llama31_8b", (), cells))
    assert "Δ" not in md.split("\n- ")[0] and "Tol." not in md
    assert "| MT-Bench | 8.38 | 8.34 | 8.54 | 9.00 |" in md
    assert "| **Average** | **40.5** | **40.2** | **43.2** | **47.3** |" in md
    one_b = render_markdown(target_grid("llama32_1b", (), cells))
    assert "| MMLU | 45.8 | 45.0 | 44.8 |" in one_b and "| LiveCodeBench" not in one_b and "13 benchmarks" in one_b


def test_dataset_table_shows_the_row_inconsistencies(cells) -> None:
    md = render_markdown(target_grid("dataset_seed", (), cells))
    assert "| OpenMathInstruct-2 | 58,546 | 40,188 | 11,615 | 51,803 | -6,743 | Math |" in md
    assert "| Column sum of the rows above | 166,214 | 94,539 | 64,245 | 158,784 |  |  |" in md
    final = render_csv(target_grid("dataset_final", (), cells))
    assert "dataset_final,Total,total,dpo,64128" in final


def test_role_matching_and_conflicts(cells, fixture_metrics) -> None:
    assert [infer_role(x) for x in ("FuseChat SFT", "FuseChat Instruct", "FuseChat DPO (tiny)",
                                    "Llama-3.1-8B-Instruct", "Llama-3.1-Tulu-3-8B")] == \
        ["sft", "instruct", "instruct", "base", "tulu3"]
    dup = copy.deepcopy(fixture_metrics[0])
    dup["model"], dup["role"] = "another run", "instruct"
    with pytest.raises(ValueError, match="two reproduced metrics"):
        build_comparison("llama31_8b", [fixture_metrics[0], dup], cells)
    stray = metrics.make("Mystery model", {"gsm8k": 50.0, "humaneval": 10.0}, harness="h", role="tulu3")
    comp = build_comparison("qwen25_7b", [stray], cells)  # qwen table has no Tulu column
    assert [c.model for c in comp.unmatched] == ["Mystery model"]
    assert "Mystery model (reproduced, no reported column)" in comparison_grid(comp).header


def test_wrpo_reproduced_rows(cells) -> None:
    m = metrics.make("Llama-3-8B SFT+WRPO", {"alpacaeval2": 50.0, "arena_hard": 46.0, "mt_bench": 7.6},
                     harness="h", judge="gpt-4-1106-preview")
    md = render_markdown(target_grid("wrpo_main", [m], cells))
    assert "| | Δ | | -5.9 ⚠ | — | -0.2 | — | — | -0.03 |" in md.replace("|  |", "| |")


def test_smoke_run_table_is_synthetic_with_no_deltas(tmp_path: Path) -> None:
    def m(name: str, g: float, mm: float | None) -> dict:
        b = {"gsm8k": {"value": g, "n": 24, "metric": "accuracy", "scale": "percent"}}
        if mm is not None:
            b["mmlu"] = {"value": mm, "n": 24, "metric": "accuracy", "scale": "percent"}
        return {"schema": "fusechat-metrics/v1", "model": name, "model_path": "/p", "run": "smoke", "smoke": True,
                "benchmarks": b, "protocol": {"harness": "fusechat-eval 0.1.0", "judge": None,
                                              "decoding": {"temperature": 0.0, "max_new_tokens": 64}}}
    ms = [m("Llama-3.1-8B-Instruct (tiny)", 12.5, 25.0), m("FuseChat SFT (tiny)", 20.0, None),
          m("FuseChat DPO (tiny)", 25.0, 37.5)]
    path = write_run_table(ms, tmp_path, "Results: smoke", True, reported_table="llama31_8b")
    text = path.read_text()
    assert path.name == "results.md" and text.startswith("> **SMOKE RUN on the tiny world**")
    assert "| Benchmark | Llama-3.1-8B-Instruct (tiny) | FuseChat SFT (tiny) | FuseChat DPO (tiny) |" in text
    assert "| GSM8K (synthetic tiny-world stand-in) | 12.5 | 20.0 | 25.0 |" in text
    # MMLU is the 1B table's row, not the 8B table's: shown after the paper rows, not averaged
    assert "| MMLU (synthetic tiny-world stand-in) (not in the paper table) | 25.0 | — | 37.5 |" in text
    # every paper row is listed, a row this run has no number for shows "—"
    assert "| AlpacaEval-2 (LC %) (synthetic tiny-world stand-in) | — | — | — |" in text
    assert "| **12.5 (1/14 benchmarks)** | **20.0 (1/14 benchmarks)** |" in text
    assert "Δ" not in text and "65.4" not in text and "not comparable with the paper" in text
    assert (tmp_path / "results.csv").exists() and (tmp_path / "results.tex").exists()


def _md_rows(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """(header, {first cell: other cells}) of the first Markdown table in ``text``."""
    lines = [ln for ln in text.splitlines() if ln.startswith("|") and not ln.startswith("|---")]
    cells = [[c.strip().strip("*") for c in ln.strip().strip("|").split("|")] for ln in lines]
    return cells[0], {r[0]: r[1:] for r in cells[1:]}


def test_run_table_cells_are_the_metrics_files_values(tmp_path: Path) -> None:
    """End to end: v2 metrics files on disk -> results.md; every cell (and the average) is recomputed from the
    files and compared, not only checked for range."""
    import random as _random

    rng = _random.Random(7)
    measured = ["gsm8k", "math", "amc23", "mmlu_pro", "mmlu_redux", "gpqa_diamond", "mmlu", "math500"]
    files = []
    for k, label in enumerate(["Base (tiny)", "FuseChat SFT (tiny)", "FuseChat DPO (tiny)"]):
        vals = {b: round(rng.uniform(0, 100), 3) for b in measured if not (k == 1 and b == "amc23")}
        m = metrics.make(label, vals, harness="fusechat-eval test", smoke=True, run="smoke")
        files.append(metrics.write(m, tmp_path / "scores" / f"{k}.metrics.json"))
    loaded = [metrics.load(f) for f in files]
    text = write_run_table(loaded, tmp_path / "tables", "Results: smoke", True).read_text()
    header, rows = _md_rows(text)
    assert header[1:] == [m["model"] for m in loaded]
    layout = paper_rows.table_benchmarks("llama31_8b")
    for bench in [*layout, "mmlu", "math500"]:
        key = next(k for k in rows if k.startswith(paper_rows.get(bench).display + " (synthetic"))
        for cell, m in zip(rows[key], loaded, strict=True):
            assert cell == paper_rows.fmt(bench, metrics.values(m).get(bench)), (bench, m["model"])
    avg_key = next(k for k in rows if k.startswith("Average"))
    for cell, m in zip(rows[avg_key], loaded, strict=True):
        a = paper_rows.average(metrics.values(m), layout)
        assert cell == f"{a.value:.1f} ({a.n_present}/14 benchmarks)"
    assert [c.split("(")[1] for c in rows[avg_key]] == ["6/14 benchmarks)", "5/14 benchmarks)", "6/14 benchmarks)"]


def test_real_run_table_compares_with_the_named_reported_table(tmp_path: Path, fixture_metrics) -> None:
    text = write_run_table(fixture_metrics, tmp_path, "Results: llama31_8b", False, "llama31_8b").read_text()
    assert "vs reported 'FuseChat-Llama3.1-8B-Instruct Performance'" in text and "-4.4 ⚠" in text


def test_collect_reproduced_rules(tmp_path: Path, fixture_metrics) -> None:
    assert {t: len(v) for t, v in collect_reproduced([FIXTURES], None).items()} == {"llama31_8b": 2}
    m = copy.deepcopy(fixture_metrics[0])
    m.pop("table")
    metrics.write(m, tmp_path / "a" / "x.json")
    with pytest.raises(SystemExit, match="no 'table' field"):
        collect_reproduced([tmp_path / "a"], None)
    assert list(collect_reproduced([tmp_path / "a"], "qwen25_7b")) == ["qwen25_7b"]
    metrics.write(m, tmp_path / "b" / "gemma2_9b" / "x.json")  # folder name names the table
    assert list(collect_reproduced([tmp_path / "b"], None)) == ["gemma2_9b"]
    m["smoke"] = True
    metrics.write(m, tmp_path / "c" / "x.json")
    assert collect_reproduced([tmp_path / "c"], "qwen25_7b") == {}


def test_cli_runs_as_a_script(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "evaluation/paper_tables.py", "--reproduced", str(FIXTURES),
                           "--out", str(tmp_path), "--no-figure"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "⚠" in (tmp_path / "llama31_8b.md").read_text()
    assert "reproduced" not in (tmp_path / "qwen25_7b.md").read_text()


def test_committed_tables_and_figure_equal_regenerated(tmp_path: Path) -> None:
    """Drift: regenerate with the CLI's defaults into a temp dir and compare every file byte-for-byte
    (the PNG too: Agg output with fixed metadata is deterministic for a given matplotlib)."""
    assert main(["--out", str(tmp_path / "tables"), "--figures", str(tmp_path / "figures")]) == 0
    committed = REPO / "results" / "tables"
    new = sorted(p.name for p in (tmp_path / "tables").iterdir())
    assert new == sorted(p.name for p in committed.iterdir())
    for name in new:
        assert (tmp_path / "tables" / name).read_bytes() == (committed / name).read_bytes(), f"{name} drifted"
    png = REPO / "results" / "figures" / "fusechat_llama31_8b.png"
    assert png.stat().st_size < 200_000
    assert (tmp_path / "figures" / png.name).read_bytes() == png.read_bytes(), "figure drifted"
    assert len(new) == 3 * (len(paper_rows.RESULT_TABLES) + len(paper_rows.DATASET_TABLES)) + 1
