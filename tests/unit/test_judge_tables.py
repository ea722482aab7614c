"""Judged cells in tables: failed/unparsable judgments are listed under the table (once per task, even when the
task fills several rows), with one cost line per model; the metrics schema checks judge_stats."""

from __future__ import annotations

import pytest

from evaluation import metrics as metrics_mod
from evaluation.layout import judge_lines


def _cell(task: str, value: float, **stats: int) -> dict:
    js = {"calls": 0, "cache_hits": 0, "prompt_tokens": 0, "completion_tokens": 0, "failed": 0, "unparsable": 0,
          **stats}
    return {"value": value, "task": task, "task_version": "1", "protocol": {}, "judge_stats": js,
            "judge_model": "gpt-4-0125-preview", "judge_endpoint": "api.openai.com"}


def _metrics(model: str, **cells: dict) -> dict:
    return {"schema": metrics_mod.SCHEMA, "model": model, "benchmarks": cells,
            "protocol": {"harness": "t", "judge": "gpt-4-0125-preview", "decoding": {}}}


def test_failures_listed_once_per_task_and_cost_line_per_model() -> None:
    mt = _cell("mt_bench", 7.0, calls=160, cache_hits=0, prompt_tokens=1000, completion_tokens=50, failed=2,
               unparsable=1)
    a = _metrics("Model A", mt_bench=mt, mt_bench_turn1=mt, mt_bench_turn2=mt,
                 gsm8k={"value": 50.0, "task": "gsm8k", "task_version": "1", "protocol": {}})
    b = _metrics("Model B", mt_bench=_cell("mt_bench", 6.0, cache_hits=160))
    for m in (a, b):
        metrics_mod.validate(m)
    lines = judge_lines([a, b])
    problems = [ln for ln in lines if "failed (" in ln or "unparsable (" in ln]
    assert len(problems) == 1 and "2 judgments failed, 1 judgment unparsable (Model A)" in problems[0]
    assert any(ln.startswith("Judge for Model A") and "160 calls made, 0 cache hits, 1000 prompt + 50 completion"
               in ln for ln in lines)
    assert any(ln.startswith("Judge for Model B") and "0 calls made, 160 cache hits" in ln for ln in lines)
    assert judge_lines([_metrics("C", gsm8k={"value": 1.0, "task": "gsm8k", "task_version": "1",
                                             "protocol": {}})]) == []


def test_schema_rejects_negative_or_non_integer_judge_stats() -> None:
    bad = _metrics("M", mt_bench=_cell("mt_bench", 7.0, failed=-1))
    with pytest.raises(metrics_mod.MetricsError, match="judge_stats"):
        metrics_mod.validate(bad)
    bad = _metrics("M", mt_bench=_cell("mt_bench", 7.0))
    bad["benchmarks"]["mt_bench"]["judge_stats"]["calls"] = 1.5
    with pytest.raises(metrics_mod.MetricsError, match="judge_stats"):
        metrics_mod.validate(bad)
