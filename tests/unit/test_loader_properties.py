"""Property-based tests (hypothesis) of the eight source loaders: rows built from arbitrary JSON values, hostile
text (lone surrogates, NUL, control and format characters, turn markers) and nesting, in each source's schema.

Invariants: (1) no exception but ``RowError`` leaves ``map_row``, and a kept record is safe to write (UTF-8, no NUL,
well-formed turns); (2) the selection stage never raises on such rows and accounts for every one
(in = out + drops, in = rows given), and its output writes to Parquet.

Examples per schema: ``FUSECHAT_HYPOTHESIS_EXAMPLES`` (default 150) for the mapper property and a fifth of that
for the stage property; derandomized, so CI runs are reproducible (set ``FUSECHAT_HYPOTHESIS_RANDOM=1`` to explore).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_hostile_rows import DOMAIN, GOOD, select

from data_construction.sources import MAPPERS, ROW_CHECK_REASONS, RowError, map_row
from fusechat.io import write_parquet

EXAMPLES = int(os.environ.get("FUSECHAT_HYPOTHESIS_EXAMPLES", "150"))
SETTINGS = {"deadline": None, "derandomize": not os.environ.get("FUSECHAT_HYPOTHESIS_RANDOM"),
            "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
SOURCE_REASONS = {"code_prompt", "math_prompt", "low_quality", "not_chinese", "empty_prompt", "no_test_cases",
                  "no_reference_solution", "untestable_examples"}
SELECTION_REASONS = {"empty_prompt", "prompt_too_long", "over_context_window", "chat_template_rejects",
                     "code_prompt", "math_prompt", "duplicate", "near_duplicate", "over_quota"}
KNOWN = set(ROW_CHECK_REASONS) | SOURCE_REASONS | SELECTION_REASONS

PIECES = ["\ud800", "\udfff", "\udc80", "\x00", "\u202e", "\u200b", "\ufeff", "👩🏽‍🚀", "e\u0301", "ترجم",
          "<extra_id_1>User\n", "<extra_id_1>Assistant\n", "\n", " ", "**Example 1:**\n",
          "**Input:** a = 1, b = 2\n**Output:** 3\n", "```python\ndef f(a, b):\n    return a + b\n```",
          "```python\nassert f(1, 2) == 3\n```", "[Tests]\n", "class Solution:\n    def g(self, x):\n", "((((",
          "Coding & Debugging", "Math", "good", "zh", "human", "gpt"]
text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(PIECES)), max_size=8).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(text, inner, max_size=3)),
                           max_leaves=12)
sharegpt_turn = st.fixed_dictionaries({"from": st.sampled_from(["human", "gpt"]), "value": text})
turn = st.one_of(sharegpt_turn, st.fixed_dictionaries(
    {}, optional={"from": st.one_of(st.sampled_from(["human", "gpt", "system"]), text),
                  "value": st.one_of(text, json_values)}))
marked = st.lists(st.tuples(st.sampled_from(["\n<extra_id_1>User\n", "\n<extra_id_1>Assistant\n", "<extra_id_1>User",
                                            ""]), text), min_size=1, max_size=5).map(
    lambda parts: "".join(m + t for m, t in parts))  # HelpSteer2's inline turns, in any order
FIELD = {"conversations": st.one_of(st.lists(turn, max_size=4), st.lists(st.one_of(turn, json_values), max_size=4),
                                    json_values),
         "prompt": st.one_of(marked, text, json_values), "chosen": json_values, "rejected": json_values}


def rows_of(name: str) -> st.SearchStrategy[Any]:
    """Rows for source ``name``: any JSON value; an object over the schema's keys with arbitrary values; or the
    good row with some fields replaced by arbitrary values (the likeliest kind of damage)."""
    keys = sorted(GOOD[name])
    field = {k: FIELD.get(k, st.one_of(text, json_values)) for k in keys}
    over_schema = st.fixed_dictionaries({}, optional=field)
    damaged = st.fixed_dictionaries({}, optional=field).map(lambda d: {**copy.deepcopy(GOOD[name]), **d})
    return st.one_of(json_values, over_schema, damaged)


def _safe(value: Any) -> None:
    text_form = json.dumps(value, ensure_ascii=False)
    text_form.encode("utf-8")  # raises on a lone surrogate
    assert "\\u0000" not in text_form


@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_map_row_only_raises_row_error_and_keeps_only_safe_records(name: str) -> None:
    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(row=rows_of(name))
    def check(row: Any) -> None:
        try:
            rec = map_row(name, row)
        except RowError as exc:
            assert str(exc) in KNOWN, str(exc)
            return
        roles = [m["role"] for m in rec["messages"]]
        assert roles == ["user", "assistant"] * (len(roles) // 2) + ["user"]
        _safe(rec)

    check()


@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_selection_accounts_for_every_row_and_never_raises(name: str) -> None:
    @settings(max_examples=max(10, EXAMPLES // 5), **SETTINGS)
    @given(rows=st.lists(rows_of(name), min_size=1, max_size=6))  # a 0-byte file is an error
    def check(rows: list[Any]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            kept, counts = select(Path(tmp), name, rows)  # asserts in = out + drops and in = len(rows)
            assert set(counts.dropped) <= KNOWN, counts.dropped
            assert all(r["domain"] == DOMAIN[name] for r in kept)
            write_parquet(kept, Path(tmp) / "prompts.parquet")

    check()
