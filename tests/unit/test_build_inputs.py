"""Bad build inputs: NaN scores are counted drops, duplicate response keys and misaligned tables are clear errors."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from data_construction.build import candidates_by_prompt
from data_construction.pairing import build
from fusechat.recipe import BuildConfig
from fusechat.stage_runner import StageError


def _tables(rows: list[tuple[str, str, int, float, str]]) -> tuple[pa.Table, pa.Table]:
    cols = list(zip(*rows, strict=True))
    keys = {"prompt_id": pa.array(cols[0]), "model": pa.array(cols[1]), "sample_index": pa.array(cols[2], pa.int32())}
    return pa.table({**keys, "score": pa.array(cols[3], pa.float64())}), pa.table({**keys, "status": pa.array(cols[4])})


def test_nan_scores_are_counted_and_a_prompt_with_only_nan_is_dropped() -> None:
    scores, verdicts = _tables([("p1", "A", 0, 0.2, "na"), ("p1", "A", 1, math.nan, "na"), ("p2", "A", 0, math.nan, "na")])
    groups, non_finite = candidates_by_prompt(scores, verdicts)
    assert non_finite == 2 and sorted(groups) == ["p1", "p2"]
    prompts = [{"id": p, "source": "s", "domain": "chinese"} for p in ("p1", "p2")]
    res = build(prompts, groups, BuildConfig(), seed=0)
    assert len(res.sft) == 1 and res.dropped == {"no_scored_response": 1}


def test_duplicate_response_key_names_the_rows() -> None:
    scores, verdicts = _tables([("p1", "A", 0, 0.2, "na"), ("p2", "A", 0, 0.1, "na"), ("p1", "A", 0, 0.3, "na")])
    with pytest.raises(StageError, match=r"scores.parquet: row 2 repeats the key of row 0: .*'p1'"):
        candidates_by_prompt(scores, verdicts)


def test_misaligned_verdicts_are_an_error() -> None:
    scores, _ = _tables([("p1", "A", 0, 0.2, "na"), ("p1", "A", 1, 0.3, "na")])
    _, verdicts = _tables([("p1", "A", 1, 0.2, "na"), ("p1", "A", 0, 0.3, "na")])
    with pytest.raises(StageError, match="disagree on column 'sample_index'"):
        candidates_by_prompt(scores, verdicts)
