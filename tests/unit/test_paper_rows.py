"""Benchmark registry and the per-model metrics schema: names, scales, the paper's averaging rule, tolerances,
and validation errors that name the problem."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evaluation import metrics, paper_rows


def test_fourteen_paper_benchmarks_in_blog_order_with_paper_names() -> None:
    assert paper_rows.PAPER_BENCHMARKS == (
        "alpacaeval2", "arena_hard", "mt_bench", "alignbench", "livebench", "gsm8k", "math", "amc23",
        "mmlu_pro", "mmlu_redux", "gpqa_diamond", "humaneval", "mbpp", "livecodebench")
    names = [paper_rows.get(b).display for b in paper_rows.PAPER_BENCHMARKS]
    assert names == ["AlpacaEval-2 (LC %)", "Arena-Hard (WR %)", "MT-Bench", "AlignBench v1.1", "LiveBench 0831",
                     "GSM8K", "MATH", "AMC 23", "MMLU-Pro", "MMLU-redux", "GPQA-Diamond", "HumanEval", "MBPP",
                     "LiveCodeBench 2408-2411"]


def test_1b_table_has_13_benchmarks_with_mmlu_and_no_livecodebench() -> None:
    b1 = paper_rows.table_benchmarks("llama32_1b")
    assert len(b1) == 13 and "mmlu" in b1 and "mmlu_redux" not in b1 and "livecodebench" not in b1
    assert paper_rows.get("mmlu").display == "MMLU"
    assert all(len(paper_rows.table_benchmarks(t)) == 14 for t in ("llama31_8b", "qwen25_7b", "gemma2_9b",
                                                                   "llama32_3b"))


def test_scales_categories_and_tolerances() -> None:
    ten = {b for b, s in paper_rows.BENCHMARKS.items() if s.scale == paper_rows.TEN_POINT}
    assert ten == {"mt_bench", "alignbench", "mt_bench_turn1", "mt_bench_turn2"}
    assert all(s.higher_is_better for s in paper_rows.BENCHMARKS.values())
    cats = {b: paper_rows.get(b).category for b in paper_rows.PAPER_BENCHMARKS}
    assert [b for b, c in cats.items() if c == paper_rows.CODE] == ["humaneval", "mbpp", "livecodebench"]
    assert [b for b, c in cats.items() if c == paper_rows.MATH] == ["gsm8k", "math", "amc23"]
    # judge-based wider than large ground-truth sets; 1-10 scales in their own unit
    assert paper_rows.get("arena_hard").tolerance > paper_rows.get("alpacaeval2").tolerance > paper_rows.get("gsm8k").tolerance
    assert paper_rows.get("gsm8k").tolerance == 2.0 and paper_rows.get("mt_bench").tolerance == 0.3
    assert paper_rows.get("amc23").tolerance == 5.0  # two problems of 40
    assert paper_rows.within_tolerance("amc23", -5.0) and not paper_rows.within_tolerance("amc23", -5.01)
    assert paper_rows.get("alpacaeval2").judge_based and not paper_rows.get("math").judge_based


def test_average_is_plain_mean_of_raw_scores_and_missing_is_not_zero() -> None:
    vals = {"alpacaeval2": 28.3, "mt_bench": 8.38, "gsm8k": 85.9}
    a = paper_rows.average(vals, ["alpacaeval2", "mt_bench", "gsm8k"])
    assert a.value == pytest.approx((28.3 + 8.38 + 85.9) / 3) and a.complete  # MT-Bench not x10
    b = paper_rows.average({"alpacaeval2": 28.3, "mt_bench": None}, ["alpacaeval2", "mt_bench", "gsm8k"])
    assert b.value == pytest.approx(28.3) and (b.n_present, b.n_expected) == (1, 3) and not b.complete
    assert paper_rows.average({}, ["gsm8k"]).value is None
    with pytest.raises(ValueError, match="NaN"):
        paper_rows.average({"gsm8k": math.nan}, ["gsm8k"])


def test_fmt_prints_dash_for_missing_and_paper_precision() -> None:
    assert paper_rows.fmt("gsm8k", None) == "—"
    assert paper_rows.fmt("mt_bench", 9) == "9.00" and paper_rows.fmt("gsm8k", 88) == "88.0"


def _pipeline_example() -> dict:
    return {"schema": "fusechat-metrics/v1", "model": "SFT", "model_path": "/path", "run": "smoke", "smoke": True,
            "benchmarks": {"gsm8k": {"value": 12.5, "n": 24, "metric": "accuracy", "scale": "percent"},
                           "mmlu": {"value": 25.0, "n": 24, "metric": "accuracy", "scale": "percent"}},
            "protocol": {"harness": "fusechat-eval 0.1.0", "judge": None,
                         "decoding": {"temperature": 0.0, "max_new_tokens": 64}}}


def test_pipeline_metrics_shape_is_valid_and_roundtrips(tmp_path: Path) -> None:
    m = _pipeline_example()
    assert metrics.validate(m) is m
    p = metrics.write(m, tmp_path / "a" / "sft.metrics.json")
    assert metrics.load(p) == m
    assert metrics.values(m) == {"gsm8k": 12.5, "mmlu": 25.0}


@pytest.mark.parametrize(("path", "value", "message"), [
    (("benchmarks", "gsm8k", "value"), 112.0, "outside the percent scale"),
    (("benchmarks", "gsm8k", "value"), float("nan"), "not a finite number"),
    (("benchmarks", "gsm8k", "value"), True, "not a finite number"),
    (("benchmarks", "gsm8k", "scale"), "1-10", "the paper row says 'percent'"),
    (("benchmarks", "gsm8k", "n"), -1, "non-negative integer"),
    (("schema",), "fusechat-metrics/v0", "schema must be"),
    (("protocol", "harness"), None, "protocol.harness"),
    (("role",), "teacher", "role 'teacher'"),
    (("table",), "llama4", "table 'llama4'"),
])
def test_validation_errors_name_the_field(path: tuple[str, ...], value: object, message: str) -> None:
    m = _pipeline_example()
    node = m
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    with pytest.raises(metrics.MetricsError, match=message):
        metrics.validate(m, "x.json")


def test_unknown_benchmark_and_missing_value_are_errors_null_is_fine() -> None:
    m = _pipeline_example()
    m["benchmarks"]["gsm9k"] = {"value": 1.0}
    with pytest.raises(metrics.MetricsError, match="gsm9k: unknown benchmark id"):
        metrics.validate(m)
    m = _pipeline_example()
    m["benchmarks"]["math"] = {"n": 3}
    with pytest.raises(metrics.MetricsError, match="math: must be an object with a 'value'"):
        metrics.validate(m)
    m = _pipeline_example()
    m["benchmarks"]["math"] = {"value": None}
    assert metrics.values(metrics.validate(m))["math"] is None


def test_load_dir_skips_other_json_and_rejects_broken_metrics(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"stage": "eval_score"}))
    metrics.write(_pipeline_example(), tmp_path / "sub" / "sft.metrics.json")
    found = metrics.load_dir(tmp_path)
    assert [p.name for p, _ in found] == ["sft.metrics.json"]
    bad = _pipeline_example()
    bad["benchmarks"]["gsm8k"]["value"] = -3
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(metrics.MetricsError, match="bad.json"):
        metrics.load_dir(tmp_path)


def test_json_schema_lists_every_registry_benchmark() -> None:
    names = metrics.JSON_SCHEMA["properties"]["benchmarks"]["propertyNames"]["enum"]
    assert names == list(paper_rows.BENCHMARKS)
    assert metrics.JSON_SCHEMA["required"] == ["schema", "model", "benchmarks", "protocol"]


def test_table_layout_is_derived_from_the_tasks() -> None:
    """Every row of every reported table is declared by exactly one runnable task (its ``table_rows``)."""
    from evaluation.tasks import all_tasks

    tasks = all_tasks()
    for table in paper_rows.RESULT_TABLES:
        for bid in paper_rows.table_benchmarks(table):
            spec = paper_rows.get(bid)
            assert spec.task in tasks, bid
            assert bid in {r.id for r in tasks[spec.task].table_rows()}
            assert table in next(r for r in tasks[spec.task].table_rows() if r.id == bid).tables
    for bid in ("gsm8k", "math", "amc23", "mmlu_pro", "mmlu_redux", "gpqa_diamond", "mmlu"):
        assert paper_rows.get(bid).task == bid
    judged = {"alpacaeval2": "alpacaeval2", "alpacaeval2_wr": "alpacaeval2", "arena_hard": "arena_hard",
              "mt_bench": "mt_bench", "mt_bench_turn1": "mt_bench", "mt_bench_turn2": "mt_bench",
              "alignbench": "alignbench"}
    for bid, task_id in judged.items():
        assert paper_rows.get(bid).task == task_id and paper_rows.get(bid).judge_based
    assert "math500" in paper_rows.BENCHMARKS and not paper_rows.get("math500").tables  # a variant, not a table row


def test_the_tasks_rows_equal_the_independent_record_of_the_paper_rows() -> None:
    """tests/unit/paper_rows_record.py, written from the paper tables, holds each task-declared row's metadata."""
    from paper_rows_record import PAPER_ROWS

    from evaluation.tasks import all_tasks

    declared = {r.id: r for t in all_tasks().values() for r in t.table_rows()}
    for rid, row in PAPER_ROWS.items():
        b = paper_rows.get(rid)  # the row as the tables see it: the task's row, its gaps filled from the task
        assert (b.display, b.tables, b.metric, b.scale, b.tolerance, b.tolerance_why, b.judge, b.category) == \
            (row.display, row.tables, row.metric, row.scale, row.tolerance, row.tolerance_why, row.judge,
             row.category), rid
        assert declared[rid].order == row.order, rid


def test_naming_a_row_that_is_not_a_task_in_a_recipe_says_why() -> None:
    from evaluation.generate import selected_benchmarks
    from fusechat.recipe import EvalConfig
    from fusechat.stage_runner import StageError

    with pytest.raises(StageError, match="mt_bench_turn1 is a table row of task 'mt_bench': name the task"):
        selected_benchmarks(EvalConfig(benchmarks=[{"name": "mt_bench_turn1"}]))
    with pytest.raises(StageError, match="unknown benchmark 'nope'"):
        selected_benchmarks(EvalConfig(benchmarks=[{"name": "nope"}]))
    gt = [t.id for t, _ in selected_benchmarks(EvalConfig(benchmarks="ground_truth", tiny=True))]
    assert {"gsm8k", "math", "amc23", "mmlu_pro", "mmlu_redux", "gpqa_diamond", "mmlu"} <= set(gt)
    entries = [e for _, e in selected_benchmarks(EvalConfig(benchmarks="ground_truth", tiny=True))]
    assert all(e.path == f"tiny:{e.name}" for e in entries)
