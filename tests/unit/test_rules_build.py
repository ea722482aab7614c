"""The build stage's grouping of scored responses (data_construction/build.py): every response lands with its own
prompt, model, sample index, RM score and verdict, in input order; non-finite scores are counted; keys are unique."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from data_construction.build import candidates_by_prompt
from data_construction.pairing import Candidate
from fusechat.stage_runner import StageError


def tables(rows: list[tuple[str, str, int, float, str]]) -> tuple[pa.Table, pa.Table]:
    keys = {"prompt_id": pa.array([r[0] for r in rows], pa.string()), "model": pa.array([r[1] for r in rows], pa.string()),
            "sample_index": pa.array([r[2] for r in rows], pa.int64())}
    return (pa.table({**keys, "score": pa.array([r[3] for r in rows], pa.float32())}),
            pa.table({**keys, "status": pa.array([r[4] for r in rows], pa.string())}))


def test_each_response_is_grouped_under_its_prompt_with_its_fields() -> None:
    rows = [("p2", "B", 1, 0.5, "correct"), ("p1", "A", 0, 0.25, "failed"), ("p2", "A", 3, -1.0, "incorrect"),
            ("p1", "B", 2, float("inf"), "passed"), ("p3", "C", 0, float("nan"), "not_applicable")]
    groups, non_finite = candidates_by_prompt(*tables(rows))
    assert list(groups) == ["p2", "p1", "p3"]
    assert groups["p2"] == [Candidate("B", 1, 0.5, "correct"), Candidate("A", 3, -1.0, "incorrect")]
    assert groups["p1"][0] == Candidate("A", 0, 0.25, "failed") and groups["p1"][1].score == math.inf
    assert math.isnan(groups["p3"][0].score) and non_finite == 2


def test_the_same_sample_index_under_another_model_or_prompt_is_not_a_duplicate() -> None:
    rows = [("p1", "A", 0, 0.1, "x"), ("p1", "B", 0, 0.2, "x"), ("p2", "A", 0, 0.3, "x"), ("p1", "A", 1, 0.4, "x")]
    groups, _ = candidates_by_prompt(*tables(rows))
    assert sum(len(g) for g in groups.values()) == 4
    with pytest.raises(StageError, match=r"row 4 repeats the key of row 1"):
        candidates_by_prompt(*tables([*rows, ("p1", "B", 0, 0.5, "x")]))


def test_scores_and_verdicts_must_line_up() -> None:
    scores, verdicts = tables([("p1", "A", 0, 0.1, "x"), ("p1", "A", 1, 0.2, "x")])
    with pytest.raises(StageError, match=r"2 scores but 1 verdicts"):
        candidates_by_prompt(scores, verdicts.slice(0, 1))
    swapped = verdicts.set_column(2, "sample_index", pa.array([1, 0]))
    with pytest.raises(StageError, match="disagree on column 'sample_index'"):
        candidates_by_prompt(scores, swapped)


def test_no_responses_is_no_groups() -> None:
    """An empty scores table (every prompt dropped upstream) groups to nothing rather than failing."""
    assert candidates_by_prompt(*tables([])) == ({}, 0)


def test_candidates_keep_input_order_within_a_prompt_on_a_large_table() -> None:
    """Input order is kept inside each prompt's group at any table size (a stable sort: numpy's default sort keeps
    order only on the short arrays a small test uses)."""
    import random

    rng = random.Random(0)
    rows = [(f"p{rng.randrange(3)}", "A", i, float(i), "x") for i in range(300)]
    groups, _ = candidates_by_prompt(*tables(rows))
    for pid, cands in groups.items():
        assert [c.sample_index for c in cands] == [r[2] for r in rows if r[0] == pid]


def test_a_null_score_is_non_finite_and_a_triple_repeat_names_its_first_repeat() -> None:
    scores, verdicts = tables([("p1", "A", 0, 0.5, "x"), ("p1", "B", 0, 0.5, "x")])
    scores = scores.set_column(3, "score", pa.array([None, 0.5], pa.float32()))
    groups, non_finite = candidates_by_prompt(scores, verdicts)
    assert math.isnan(groups["p1"][0].score) and non_finite == 1
    rows = [("p2", "A", 0, 0.1, "x"), ("p1", "A", 0, 0.1, "x"), ("p1", "A", 0, 0.2, "x"), ("p1", "A", 0, 0.3, "x")]
    with pytest.raises(StageError, match=r"row 2 repeats the key of row 1: \{'prompt_id': 'p1'"):
        candidates_by_prompt(*tables(rows))
