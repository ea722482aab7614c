"""Hostile rows in each of the eight source schemas (and WRPO's prompt set): every one is a counted drop with a named reason, never an
exception; valid but unusual text passes unchanged. Through ``map_row`` and through the whole selection stage."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from test_sources import ALPACA, ARMORM, HS2, LEETCODE, MAGPIE, OMI, SELF_OSS, UF, ZH

from data_construction.selection import select_prompts
from data_construction.sources import MAPPERS, RowError, UndecodableRow, map_row
from fusechat.io import write_parquet
from fusechat.recipe import load_recipe

REPO = Path(__file__).resolve().parents[2]
GOOD: dict[str, dict[str, Any]] = {"ultrafeedback": UF, "openmathinstruct2": OMI, "alpaca_gpt4_zh": ALPACA,
                                   "magpie_pro_dpo": MAGPIE, "helpsteer2": HS2, "leetcode": LEETCODE,
                                   "self_oss_instruct": SELF_OSS, "magpie_qwen2_zh": ZH,
                                   "llama3_ultrafeedback_armorm": ARMORM}
DOMAIN = {"ultrafeedback": "general", "magpie_pro_dpo": "general", "helpsteer2": "general",
          "openmathinstruct2": "math", "leetcode": "code", "self_oss_instruct": "code",
          "alpaca_gpt4_zh": "chinese", "magpie_qwen2_zh": "chinese", "llama3_ultrafeedback_armorm": "general"}
# Metadata fields kept for the manifest, per source (the ones the issue saw crash write_parquet).
META = {"ultrafeedback": "source", "openmathinstruct2": "problem_source", "magpie_pro_dpo": "uuid",
        "leetcode": "title", "self_oss_instruct": "sha1", "magpie_qwen2_zh": "uuid", "helpsteer2": "helpfulness",
        "llama3_ultrafeedback_armorm": "prompt_id"}


def with_prompt(name: str, text: str) -> dict[str, Any]:
    """The good row of ``name`` with its prompt text replaced by (for LeetCode: prefixed with) ``text``."""
    row = copy.deepcopy(GOOD[name])
    if name == "leetcode":
        row["content"] = text + "\n\n" + row["content"]
    elif name == "magpie_qwen2_zh":
        row["conversations"][0]["value"] = text
    else:
        row[{"openmathinstruct2": "problem", "helpsteer2": "prompt",
             "llama3_ultrafeedback_armorm": "prompt"}.get(name, "instruction")] = text
    return row


def prompt_of(rec: dict[str, Any]) -> str:
    return rec["messages"][-1]["content"]


def select(tmp_path: Path, name: str, rows: list[Any], *extra: str) -> tuple[list[dict], Any]:
    """Run the real selection stage on ``rows`` written as JSONL (JSON escapes keep lone surrogates intact)."""
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="ascii")
    src = [{"name": name, "domain": DOMAIN[name], "path": str(path)}]
    recipe = load_recipe(REPO / "recipes" / "smoke.yaml",
                         [f"data.sources={json.dumps(src)}", "data.selection.near_dup_threshold=null", *extra])
    rows_out, counts, _ = select_prompts(recipe)
    assert counts.n_in == len(rows) == counts.n_out + sum(counts.dropped.values())
    return rows_out, counts


# ------------------------------------------------------------------------------------------ class 1: surrogates
@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_lone_surrogate_in_the_prompt_is_a_drop(name: str, tmp_path: Path) -> None:
    rows = [with_prompt(name, "Describe the \ud800 river"), GOOD[name]]
    kept, counts = select(tmp_path, name, rows)
    assert counts.dropped.get("lone_surrogate") == 1 and counts.n_out == 1


@pytest.mark.parametrize("name", sorted(META))
def test_lone_surrogate_in_kept_metadata_is_a_drop_and_the_output_writes(name: str, tmp_path: Path) -> None:
    bad = {**copy.deepcopy(GOOD[name]), META[name]: "id-\udc00-x"}
    with pytest.raises(RowError, match="^lone_surrogate$"):
        map_row(name, bad)
    kept, counts = select(tmp_path, name, [bad, GOOD[name]])
    assert counts.dropped == {"lone_surrogate": 1}
    write_parquet(kept, tmp_path / "prompts.parquet")  # crashed with UnicodeEncodeError before


@pytest.mark.parametrize("name", sorted(META))
def test_metadata_of_the_wrong_kind_is_wrong_type(name: str) -> None:
    with pytest.raises(RowError, match="^wrong_type$"):
        map_row(name, {**copy.deepcopy(GOOD[name]), META[name]: {"nested": ["x"]}})


# ------------------------------------------------------------------------------------------ class 2: not an object
@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_rows_that_are_not_objects_are_drops(name: str, tmp_path: Path) -> None:
    rows = [None, 3, 2.5, "a string", [GOOD[name]], True, GOOD[name]]
    kept, counts = select(tmp_path, name, rows)
    assert counts.dropped == {"not_an_object": 6} and counts.n_out == 1


def test_an_undecodable_row_is_invalid_utf8() -> None:
    with pytest.raises(RowError, match="^invalid_utf8$"):
        map_row("ultrafeedback", UndecodableRow("f.jsonl:3"))


# ------------------------------------------------------------------------------------------ class 6: NUL, turns
@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_nul_character_in_the_prompt_is_a_drop(name: str, tmp_path: Path) -> None:
    kept, counts = select(tmp_path, name, [with_prompt(name, "Describe the\x00river"), GOOD[name]])
    assert counts.dropped == {"nul_character": 1}
    assert all("\x00" not in m["content"] for r in kept for m in r["messages"])


@pytest.mark.parametrize(("turns", "reason"), [
    ([{"from": "gpt", "value": "hi"}, {"from": "human", "value": "介绍一下长城。"}], "wrong_role_order"),
    ([{"from": "human", "value": "介绍一下长城。"}, {"from": "human", "value": "再说一遍。"}], "wrong_role_order"),
    ([{"from": "human", "value": "介绍一下长城。"}, {"from": "system", "value": "x"}], "wrong_role_order"),
    ([{"from": "human", "value": "介绍一下长城。"}, {"from": "gpt", "value": "  "}], "empty_turn"),
    ([{"from": "human", "value": "介绍一下长城。"}, "gpt: hi"], "wrong_type"),
    ([{"from": "human"}], "missing_field"),
])
def test_magpie_qwen2_conversation_must_be_well_formed(turns: list, reason: str) -> None:
    with pytest.raises(RowError, match=f"^{reason}$"):
        map_row("magpie_qwen2_zh", {**ZH, "conversations": turns})


def test_wrong_role_order_never_reaches_the_output(tmp_path: Path) -> None:
    gpt_first = {**ZH, "conversations": [{"from": "gpt", "value": "长城很长。"}, {"from": "human", "value": "介绍长城"}]}
    kept, counts = select(tmp_path, "magpie_qwen2_zh", [gpt_first, ZH])
    assert counts.dropped == {"wrong_role_order": 1} and len(kept) == 1


# ------------------------------------------------------------------------------------------ valid unusual text
UNUSUAL = [
    "Explain this emoji sequence: 👩🏽‍🚀🚀✨ and 🇯🇵",
    "ترجم هذه الجملة إلى الإنجليزية من فضلك",  # Arabic (RTL)
    "Mix \u202eRTL override\u202c and עברית text",
    "Zalgo: Z\u0335\u0351a\u0336l\u0337g\u0338o and e\u0301 vs \u00e9",  # combining marks
    "Tabs\tand\u00a0non-breaking spaces and zero\u200bwidth",
    "古典诗词：床前明月光，疑是地上霜。𠀀𪚥",  # astral CJK
]


@pytest.mark.parametrize("name", sorted(MAPPERS))
@pytest.mark.parametrize("text", UNUSUAL)
def test_valid_unusual_text_passes_unchanged(name: str, text: str) -> None:
    rec = map_row(name, with_prompt(name, text))
    expected = {"alpaca_gpt4_zh": f"{text}\nhello", "leetcode": prompt_of(rec)}.get(name, text)
    assert text in prompt_of(rec) and prompt_of(rec) == expected


@pytest.mark.parametrize("name", sorted(MAPPERS))
def test_a_one_megabyte_prompt_maps_unchanged(name: str) -> None:
    text = ("A long but valid request about rivers and mountains. " * 20000)[:1_000_000].strip()
    assert text in prompt_of(map_row(name, with_prompt(name, text)))


def test_unusual_text_survives_selection_byte_for_byte(tmp_path: Path) -> None:
    rows = [with_prompt("ultrafeedback", t) for t in UNUSUAL]
    kept, counts = select(tmp_path, "ultrafeedback", rows)
    assert [prompt_of(r) for r in kept] == UNUSUAL and counts.dropped == {}
