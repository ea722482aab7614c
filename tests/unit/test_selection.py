"""Prompt selection on synthetic rows in the real schemas: mapping, filters, dedup, quotas, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_construction.selection import looks_like_code, looks_like_math, select_prompts
from fusechat.io import write_parquet
from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageError

REPO = Path(__file__).resolve().parents[2]


def _recipe(tmp_path: Path, sources: list[dict], extra: list[str] | None = None):
    overrides = [f"data.sources={json.dumps(sources)}", *(extra or [])]
    return load_recipe(REPO / "recipes" / "smoke.yaml", overrides)


@pytest.mark.parametrize(("text", "code", "math"), [
    ("Write a Python function that sorts a list.", True, False),
    ("Solve for x: 3x + 5 = 20.", False, True),
    ("Describe rivers in simple words.", False, False),
    ("请用Python写一个排序函数。", True, False),
    ("计算 15 + 27 等于多少？", False, True),
])
def test_code_and_math_filters(text: str, code: bool, math: bool) -> None:
    assert looks_like_code(text) is code and looks_like_math(text) is math


def test_selection_maps_filters_dedups_and_counts(tmp_path: Path) -> None:
    uf = [
        {"source": "ultrachat", "instruction": "Describe rivers in simple words.", "completions": []},
        {"source": "sharegpt", "instruction": "describe rivers   in simple words.", "completions": []},  # dup
        {"source": "evol_instruct", "instruction": "Implement quicksort in C++.", "completions": []},  # code
        {"source": "sharegpt", "instruction": "", "completions": []},  # empty
        {"source": "sharegpt", "completions": []},  # missing field
        {"source": "sharegpt", "instruction": 5, "completions": []},  # wrong type
    ]
    om = [{"problem": "Tom has 2 pens and gets 3 more. How many?", "generated_solution": "\\boxed{5}",
           "expected_answer": "5", "problem_source": "gsm8k"}]
    write_parquet(uf[:4], tmp_path / "uf.parquet")
    (tmp_path / "uf_missing.jsonl").write_text(json.dumps(uf[4]) + "\n" + json.dumps(uf[5]) + "\n")
    write_parquet(om, tmp_path / "om.parquet")
    recipe = _recipe(tmp_path, [
        {"name": "ultrafeedback", "domain": "general", "path": str(tmp_path / "uf.parquet")},
        {"name": "ultrafeedback", "domain": "general", "path": str(tmp_path / "uf_missing.jsonl")},
        {"name": "openmathinstruct2", "domain": "math", "path": str(tmp_path / "om.parquet")},
    ])
    rows, counts, _ = select_prompts(recipe)
    assert counts.n_in == 7 and counts.n_out == 2
    assert counts.dropped == {"duplicate": 1, "code_prompt": 1, "empty_prompt": 1, "missing_field": 1,
                              "wrong_type": 1}
    math_row = next(r for r in rows if r["domain"] == "math")
    assert math_row["gold_answer"] == "5" and math_row["dataset_response_model"] == "Llama-3.1-405B-Instruct"


def test_quota_is_counted(tmp_path: Path) -> None:
    rows = [{"instruction": f"请介绍一下城市{i}。", "input": "", "output": "x"} for i in range(6)]
    (tmp_path / "zh.json").write_text(json.dumps(rows, ensure_ascii=False))
    recipe = _recipe(tmp_path, [{"name": "alpaca_gpt4_zh", "domain": "chinese", "path": str(tmp_path / "zh.json"),
                                 "max_prompts": 4}])
    kept, counts, _ = select_prompts(recipe)
    assert len(kept) == 4 and counts.dropped == {"over_quota": 2}


def test_undecodable_line_names_file_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"instruction": "ok"}\n{not json\n')
    recipe = _recipe(tmp_path, [{"name": "ultrafeedback", "domain": "general", "path": str(bad)}])
    with pytest.raises(StageError, match=r"bad.jsonl:2: byte 23: not a JSON line \(Expecting property name"):
        select_prompts(recipe)
