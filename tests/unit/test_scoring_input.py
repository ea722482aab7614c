"""What ArmoRM reads of a code response (``data.scoring.code_input``): the whole response or its code blocks."""

from __future__ import annotations

from data_construction.scoring import rm_text
from fusechat.recipe import ScoringConfig

RESPONSE = "Here is my plan.\n\n```python\ndef f(x):\n    return x + 1\n```\n\nIt adds one.\n```\nf(1)\n```\n"


def test_whole_response_is_the_default() -> None:
    assert ScoringConfig().code_input == "response"
    assert rm_text(RESPONSE, code_only=False) == RESPONSE


def test_code_blocks_only_keeps_every_block_and_drops_the_prose() -> None:
    out = rm_text(RESPONSE, code_only=True)
    assert out == "```python\ndef f(x):\n    return x + 1\n```\n\n```\nf(1)\n```"
    assert "plan" not in out and "adds one" not in out


def test_a_response_without_code_is_read_whole() -> None:
    assert rm_text("No code here, sorry.", code_only=True) == "No code here, sorry."
