"""Benchmark registry and the per-model metrics schema: names, scales, the paper's averaging rule, tolerances,
and validation errors that name the problem."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evaluation import metrics, registry


def test_fourteen_paper_benchmarks_in_blog_order_with_paper_names() -> None:
    assert registry.PAPER_BENCHMARKS == (
        "alpacaeval2", "arena_hard", "mt_bench", "alignbench", "livebench", "gsm8k", "math", "amc23",
        "mmlu_pro", "mmlu_redux", "gpqa_diamond", "humaneval", "mbpp", "livecodebench")
    names = [registry.get(b).display for b in registry.PAPER_BENCHMARKS]
    assert names == ["AlpacaEval-2 (LC %)", "Arena-Hard (WR %)", "MT-Bench", "AlignBench v1.1", "LiveBench 0831",
                     "GSM8K", "MATH", "AMC 23", "MMLU-Pro", "MMLU-redux", "GPQA-Diamond", "HumanEval", "MBPP",
                     "LiveCodeBench 2408-2411"]


def test_1b_table_has_13_benchmarks_with_mmlu_and_no_livecodebench() -> None:
    b1 = registry.table_benchmarks("llama32_1b")
    assert len(b1) == 13 and "mmlu" in b1 and "mmlu_redux" not in b1 and "livecodebench" not in b1
    assert registry.get("mmlu").display == "MMLU"
    assert all(len(registry.table_benchmarks(t)) == 14 for t in ("llama31_8b", "qwen25_7b", "gemma2_9b",
                                                                   "llama32_3b"))


def test_scales_categories_and_tolerances() -> None:
    ten = {b for b, s in registry.BENCHMARKS.items() if s.scale == registry.TEN_POINT}
    assert ten == {"mt_bench", "alignbench", "mt_bench_turn1", "mt_bench_turn2"}
    assert all(s.higher_is_better for s in registry.BENCHMARKS.values())
    cats = {b: registry.get(b).category for b in registry.PAPER_BENCHMARKS}
    assert [b for b, c in cats.items() if c == registry.CODE] == ["humaneval", "mbpp", "livecodebench"]
    assert [b for b, c in cats.items() if c == registry.MATH] == ["gsm8k", "math", "amc23"]
    # judge-based wider than large ground-truth sets; 1-10 scales in their own unit
    assert registry.get("arena_hard").tolerance > registry.get("alpacaeval2").tolerance > registry.get("gsm8k").tolerance
    assert registry.get("gsm8k").tolerance == 2.0 and registry.get("mt_bench").tolerance == 0.3
    assert registry.get("amc23").tolerance == 5.0  # two problems of 40
    assert registry.within_tolerance("amc23", -5.0) and not registry.within_tolerance("amc23", -5.01)
    assert registry.get("alpacaeval2").judge_based and not registry.get("math").judge_based


def test_average_is_plain_mean_of_raw_scores_and_missing_is_not_zero() -> None:
    vals = {"alpacaeval2": 28.3, "mt_bench": 8.38, "gsm8k": 85.9}
    a = registry.average(vals, ["alpacaeval2", "mt_bench", "gsm8k"])
    assert a.value == pytest.approx((28.3 + 8.38 + 85.9) / 3) and a.complete  # MT-Bench not x10
    b = registry.average({"alpacaeval2": 28.3, "mt_bench": None}, ["alpacaeval2", "mt_bench", "gsm8k"])
    assert b.value == pytest.approx(28.3) and (b.n_present, b.n_expected) == (1, 3) and not b.complete
    assert registry.average({}, ["gsm8k"]).value is None
    with pytest.raises(ValueError, match="NaN"):
        registry.average({"gsm8k": math.nan}, ["gsm8k"])


def test_fmt_prints_dash_for_missing_and_paper_precision() -> None:
    assert registry.fmt("gsm8k", None) == "—"
    assert registry.fmt("mt_bench", 9) == "9.00" and registry.fmt("gsm8k", 88) == "88.0"


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
    (("benchmarks", "gsm8k", "scale"), "1-10", "the registry says 'percent'"),
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
    assert names == list(registry.BENCHMARKS)
    assert metrics.JSON_SCHEMA["required"] == ["schema", "model", "benchmarks", "protocol"]


def test_table_layout_is_derived_from_the_tasks() -> None:
    """Every ground-truth row of the paper tables that has a task names it; pending rows say why they cannot run."""
    from evaluation.tasks import all_tasks
    from evaluation.tasks._pending import PENDING

    tasks = all_tasks()
    for bid in registry.PAPER_BENCHMARKS:
        spec = registry.get(bid)
        assert (spec.task is None) == (spec.pending is not None), bid
        if spec.task:
            assert bid in {r.id for r in tasks[spec.task].table_rows()}
            assert "llama31_8b" in tasks[spec.task].tables
    for bid in ("gsm8k", "math", "amc23", "mmlu_pro", "mmlu_redux", "gpqa_diamond", "mmlu"):
        assert registry.get(bid).task == bid
    judged = {"alpacaeval2": "alpacaeval2", "alpacaeval2_wr": "alpacaeval2", "arena_hard": "arena_hard",
              "mt_bench": "mt_bench", "mt_bench_turn1": "mt_bench", "mt_bench_turn2": "mt_bench",
              "alignbench": "alignbench"}
    for bid, task_id in judged.items():  # the judged tasks of issue 11 replace their pending rows
        assert registry.get(bid).task == task_id and registry.get(bid).judge_based and not registry.get(bid).pending
    assert "math500" in registry.BENCHMARKS and not registry.get("math500").tables  # a variant, not a table row
    assert {p.row.id for p in PENDING} >= {"alpacaeval2", "arena_hard", "mt_bench", "alignbench"}


def test_a_task_replaces_a_pending_row_and_inherits_its_place(monkeypatch) -> None:
    """Merging a task file for a pending row (e.g. humaneval) needs no edit elsewhere, even if it names no table."""
    import evaluation.tasks as tasks_pkg
    from evaluation.tasks.base import DataSpec, Task

    class Fake(Task):
        id, version, display, category, metric = "alignbench", "1", "AlignBench v1.1", "instruction_following", "x"
        scale, tolerance, tolerance_why, judge = "1-10", 0.3, "t", "gpt-4"
        data = DataSpec(None)

    real = dict(tasks_pkg.all_tasks())
    monkeypatch.setattr(tasks_pkg, "all_tasks", lambda: {**real, "alignbench": Fake()})
    rows = registry._rows()
    assert rows["alignbench"].task == "alignbench" and rows["alignbench"].pending is None
    assert "llama31_8b" in rows["alignbench"].tables
    assert [b for b in rows if "llama31_8b" in rows[b].tables] == list(registry.PAPER_BENCHMARKS)


def test_naming_a_row_that_is_not_a_task_in_a_recipe_says_why(monkeypatch) -> None:
    import dataclasses

    from evaluation.generate import selected_benchmarks
    from fusechat.recipe import EvalConfig
    from fusechat.stage import StageError

    pending = dataclasses.replace(registry.get("gsm8k"), task=None, pending="no task file yet")
    monkeypatch.setitem(registry.BENCHMARKS, "future_bench", pending)
    with pytest.raises(StageError, match="eval.benchmarks.1.name: future_bench is a paper-table row with no runnable "
                                         "task: no task file yet"):
        selected_benchmarks(EvalConfig(benchmarks=[{"name": "gsm8k"}, {"name": "future_bench"}]))
    with pytest.raises(StageError, match="mt_bench_turn1 is a table row of task 'mt_bench': name the task"):
        selected_benchmarks(EvalConfig(benchmarks=[{"name": "mt_bench_turn1"}]))
    with pytest.raises(StageError, match="unknown benchmark 'nope'"):
        selected_benchmarks(EvalConfig(benchmarks=[{"name": "nope"}]))
    gt = [t.id for t, _ in selected_benchmarks(EvalConfig(benchmarks="ground_truth", tiny=True))]
    assert {"gsm8k", "math", "amc23", "mmlu_pro", "mmlu_redux", "gpqa_diamond", "mmlu"} <= set(gt)
    entries = [e for _, e in selected_benchmarks(EvalConfig(benchmarks="ground_truth", tiny=True))]
    assert all(e.path == f"tiny:{e.name}" for e in entries)
