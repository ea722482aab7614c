"""LiveBench's non-math scorers at the rules a mutation run found unstated (upstream LiveBench e84e548
process_results/{reasoning,data_analysis,writing,instruction_following,coding}): which digits a zebra answer may
spell, the spatial length bound, how case is folded, how tables are read and compared, how join-mapping F1
counts, and the errors that name their question."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest
from test_livebench_scorers import TABLE_Q, _if_question

from evaluation.livebench import coding, instruction_following, synthetic
from evaluation.livebench import data_analysis as da
from evaluation.livebench import language as lang
from evaluation.livebench import reasoning as rs


# ----------------------------------------------------------------------------------------------- reasoning
def test_zebra_digit_answers_spell_one_to_nine_only() -> None:
    assert rs.score_zebra_puzzle("one", "***1***") == 1.0 and rs.score_zebra_puzzle("nine", "***9***") == 1.0
    assert rs.score_zebra_puzzle("zero", "***0***") == 0.0  # upstream spells only 1-9
    assert rs.score_zebra_puzzle("ten", "***10***") == 0.0


def test_spatial_shape_bound_is_strictly_below_twice_the_truth_plus_five() -> None:
    # "square": 2 * 6 + 5 = 17 characters -> a bold answer of 16 containing it passes, 17 does not
    assert rs.score_spatial("square", f"**{'x' * 10}square**") == 1.0
    assert rs.score_spatial("square", f"**{'x' * 11}square**") == 0.0


def test_case_is_folded_by_lower_not_upper() -> None:
    """Upstream lower-cases: "Straße" and "STRASSE" differ (upper-casing would make them equal)."""
    assert da.score_cta("Straße", "STRASSE") == 0.0 and da.score_cta("Straße", "straße") == 1.0
    words = "straße, a2, a3, a4, b1, b2, b3, b4, c1, c2, c3, c4, d1, d2, d3, d4"
    assert lang.score_connections(words, f"**{words.replace('straße', 'STRASSE')}**") == 0.75


def test_task_tables_pass_the_question_ground_truth() -> None:
    q = {"ground_truth": "pizza"}
    assert rs.SCORERS["zebra_puzzle"](q, "***pizza***") == 1.0
    assert rs.SCORERS["web_of_lies_v2"]({"ground_truth": "yes, no, yes"}, "**yes, no, yes**") == 1.0
    assert rs.SCORERS["spatial"]({"ground_truth": "4"}, "**4**") == 1.0
    assert lang.SCORERS["typos"]({"ground_truth": "Fixed text."}, "Fixed text.") == 1.0
    assert lang.SCORERS["plot_unscrambling"]({"ground_truth": "A b. C d."}, "A b. C d.") == 1.0
    words = "a1, a2, a3, a4, b1, b2, b3, b4, c1, c2, c3, c4, d1, d2, d3, d4"
    assert lang.SCORERS["connections"]({"ground_truth": words}, f"**{words}**") == 1.0


# ----------------------------------------------------------------------------------------------- data analysis
def test_tablejoin_counts_every_false_positive_and_negative() -> None:
    truth = {"a": "x", "b": "y", "c": "z"}  # a dict ground truth is used as is
    assert da.score_tablejoin(truth, "{'a': 'x', 'b': 'y', 'c': 'z'}") == 1.0
    # tp 1 (a); two wrong values (b, c): fp 2, fn 2 -> 2 / (2 + 2 + 2)
    assert da.score_tablejoin(truth, "{'a': 'x', 'b': 'w', 'c': 'v'}") == 0.33
    # tp 1 (a); two keys the truth lacks: fp 2; b and c missing: fn 2 -> 2 / 6
    assert da.score_tablejoin(truth, "{'a': 'x', 'd': 'y', 'e': 'z'}") == 0.33
    assert da.score_tablejoin(str(truth), "{'a': 'x', 'd': 'y'}") == 0.4  # tp 1, fp 1, fn 2


def test_join_mapping_from_a_bare_fence() -> None:
    assert da.parse_join_mapping("Mapping:\n```\n{'a': 'x'}\n```\ndone") == {"a": "x"}
    assert da.parse_join_mapping("```python\n{'a': 'x'}\n```") == {"a": "x"}


def _frame(fmt: str, text: str) -> tuple[list[str], int]:
    df = da.read_table(fmt, text)
    return [str(c) for c in df.columns], len(df)


def test_json_tables_try_index_records_lines_then_table() -> None:
    df = pd.DataFrame({"a": [1, 3], "b": [2, 4]})
    assert _frame("json", '{"r1": {"a": 1, "b": 2}, "r2": {"a": 3, "b": 4}}') == (["a", "b"], 2)  # index
    assert _frame("json", df.to_json(orient="records")) == (["a", "b"], 2)  # records
    assert _frame("json", df.to_json(orient="records", lines=True)) == (["a", "b"], 2)  # records, lines
    pretty = json.dumps(json.loads(df.to_json(orient="table")), indent=2)  # one line each would read as records
    assert _frame("json", pretty) == (["a", "b"], 2)
    assert _frame("jsonl", df.to_json(orient="records", lines=True)) == (["a", "b"], 2)


def test_html_tables_are_stacked_as_rows() -> None:
    q = TABLE_Q.replace("to CSV format", "to HTML format")
    row = "<tr><td>{}</td><td>{}</td></tr>"
    head = "<tr><th>name</th><th>count</th></tr>"
    gt = f"<table>{head}{row.format('a', 1)}{row.format('b', 2)}</table>"
    split = f"<table>{head}{row.format('a', 1)}</table><table>{head}{row.format('b', 2)}</table>"
    assert da.score_tablereformat(q, gt, split) == 1.0


def test_markdown_is_read_as_upstream_reads_it_and_never_matches() -> None:
    """Upstream reads markdown with ``sep="|", header=0, index_col=1, skipinitialspace=True``: the empty fields
    outside the edge pipes become all-NaN columns, and NaN != NaN, so even the true table scores 0 (upstream's
    own score on it, in the golden file, is 0 too)."""
    md = "| name | age | city |\n|:-----|----:|:-----|\n| Ann | 31 | Oslo |\n| Bob | 27 | Rome |"
    df = da.read_table("markdown", md)
    assert [str(c) for c in df.columns] == ["Unnamed: 0", "age ", "city ", "Unnamed: 4"]
    assert df.index.tolist() == [":-----", "Ann ", "Bob "]  # the separator row is a row; "name" is the index
    q = TABLE_Q.replace("to CSV format", "to Markdown format")
    assert da.score_tablereformat(q, md, md) == 0.0


def test_unknown_table_format_is_named() -> None:
    with pytest.raises(ValueError, match="livebench tablereformat: unknown table format 'xml'"):
        da.read_table("xml", "<a/>")


def test_tablereformat_reads_the_response_as_is_first() -> None:
    gt = "Here is the table: a,b\n1,2"  # a header that the lead-in rule would cut
    assert da.score_tablereformat(TABLE_Q, gt, gt) == 1.0


def test_lead_in_phrase_is_case_insensitive() -> None:
    gt = "name,count\na,1\nb,2"
    assert da.score_tablereformat(TABLE_Q, gt, f"here is the table in csv format:\n{gt}") == 1.0


def test_a_missing_column_is_a_mismatch_even_when_the_rest_agrees() -> None:
    assert da.score_tablereformat(TABLE_Q, "name,count\na,1\nb,2", "name\na\nb") == 0.0


# ----------------------------------------------------------------------------------------------- instruction following
def test_instruction_following_errors_name_the_question() -> None:
    with pytest.raises(ValueError, match="question q1 has no instructions"):
        instruction_following.score_instruction_following(_if_question([], []), "text")
    with pytest.raises(ValueError, match="unknown instruction 'made_up:x' in question q1"):
        instruction_following.score_instruction_following(_if_question(["made_up:x"], [{}]), "text")
    with pytest.raises(ValueError):  # every instruction needs its kwargs
        instruction_following.follow_list(_if_question(["punctuation:no_comma", "detectable_format:title"], [{}]),
                                          "text")


def test_no_registered_checker_takes_the_prompt() -> None:
    """Upstream's runner hands the prompt to a checker whose arguments name ``prompt``; follow_list does not,
    which is only right while none of the registered checkers has that argument."""
    registry = instruction_following._registry()
    assert len(registry) == 25
    assert not [k for k, cls in registry.items() if "prompt" in cls(k).get_instruction_args_keys()]


# ----------------------------------------------------------------------------------------------- coding
def test_func_name_from_metadata_text_or_mapping() -> None:
    assert coding.func_name({}) is None and coding.func_name({"original_json": None}) is None
    assert coding.func_name({"original_json": {"metadata": '{"func_name": "g"}'}}) == "g"
    assert coding.func_name({"original_json": {"metadata": {"func_name": "f"}}}) == "f"
    assert coding.func_name({"original_json": {"metadata": "{}"}}) is None


def test_coding_job_and_errors() -> None:
    q = synthetic.BUILDERS["LCB_generation"](random.Random(0))
    n = len(coding.test_cases(q)[0])
    assert coding.job_for(q, "```python\nprint(1)\n```", timeout_s=2).timeout_s == (2 + 1) * n + 5
    with pytest.raises(ValueError):  # one response per question
        coding.score_batch([q], [], {})
    empty = {**q, "question_id": "c9", "public_test_cases": "[]", "private_test_cases": "[]"}
    with pytest.raises(ValueError, match="livebench coding question c9: no test cases"):
        coding.test_cases(empty)
