"""The published composition tables as quotas (data_construction/release.py): the column sums the paper states,
the selection cap formula max(Selected, ceil((SFT + DPO) x headroom)) x scale, and the scaled per-source targets."""

from __future__ import annotations

import math

import pytest

from data_construction import release as r
from fusechat.stage_runner import StageError


def test_tables_sum_to_the_published_totals() -> None:
    assert sum(s for s, _ in r.SEED.values()) == 94539 and sum(d for _, d in r.SEED.values()) == 64245
    assert sum(d for _, d in r.FINAL.values()) == 64128 and r.FINAL["self_oss_instruct"] == (10160, 2732)
    assert {k: v for k, v in r.FINAL.items() if k != "self_oss_instruct"} == \
        {k: v for k, v in r.SEED.items() if k != "self_oss_instruct"}
    assert r.SELECTED_FINAL["openmathinstruct2"] == 51803 and r.SELECTED_SEED["openmathinstruct2"] == 58546


def test_selection_cap_formula() -> None:
    assert r.selection_cap("seed", "ultrafeedback", 1.0) == 51098  # the selected count itself
    assert r.selection_cap("seed", "ultrafeedback", 1.5) == math.ceil((20439 + 30659) * 1.5)  # head-room wins
    assert r.selection_cap("seed", "ultrafeedback", 1.5, 0.5) == 38324  # ceil(76647 x 0.5)
    assert r.selection_cap("final", "alpaca_gpt4_zh", 1.2) == 2966  # Selected == SFT + DPO: ceil(2471 x 1.2)
    assert r.selection_cap("final", "self_oss_instruct", 1.0) == 12892
    assert r.selection_cap("none", "ultrafeedback", 1.5) is None and r.selection_cap("seed", "mystery", 1.5) is None


def test_quotas_scale_and_round_each_count() -> None:
    assert r.quotas_for("none", ["ultrafeedback"]) is None
    assert r.quotas_for("final", ["ultrafeedback", "self_oss_instruct"], 0.001) == {
        "ultrafeedback": (20, 31), "self_oss_instruct": (10, 3)}
    assert r.quotas_for("seed", ["self_oss_instruct"]) == {"self_oss_instruct": (10160, 2849)}
    with pytest.raises(StageError, match=r"data.release=seed: no published counts for source\(s\) \['mine'\]; use data.release=none for a custom "
                       r"source mix"):
        r.quotas_for("seed", ["ultrafeedback", "mine"])
