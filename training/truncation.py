"""Long preference rows truncated as the authors' trainers truncate them, on token ids.

Upstream rule (TRL 0.9.6 ``DPOTrainer.tokenize_row``, tag v0.9.6 = commit 314e8eb, which alignment-handbook's
``run_dpo.py`` drives; the same code in WRPO's ``scripts/wrpo_trainer.py`` at commit e6f2867, applied to the three
responses of a WRPO row together). With L the length of the row's *longest* response (its EOS included):

1. if |prompt| + L > ``max_length``: the prompt is cut to ``max_prompt_length`` tokens: its last ones under
   ``truncation_mode: keep_end`` (both upstream trainers' default), its first ones under ``keep_start``;
2. if still |prompt| + L > ``max_length``: *every* response of the row is cut to its first
   ``max_length − max_prompt_length`` tokens (not ``max_length − |prompt|``: upstream subtracts the prompt budget).

A row that fits is left whole (the prompt is not cut to ``max_prompt_length`` unless the row is too long). After
this every sequence is at most ``max_length`` tokens, so TRL 0.24's own batch-level truncation (which otherwise keeps
the last ``max_length`` tokens of prompt+response and drops the start of the prompt, sometimes all of it) never
removes a token, and every response token is scored (it has a prompt token before it).

TRL 0.24's ``CPOTrainer`` (the ``simpo`` loss) still carries this rule in its own ``tokenize_row``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def truncate_like_upstream(prompt: Sequence[int], responses: Sequence[Sequence[int]], max_length: int | None,
                           max_prompt_length: int | None, truncation_mode: str = "keep_end",
                           ) -> tuple[list[int], list[list[int]]]:
    """(prompt, responses) token ids → the same truncated by the upstream rule (module docstring)."""
    prompt = list(prompt)
    out = [list(r) for r in responses]
    if max_length is None or not out:
        return prompt, out
    if max_prompt_length is None or not 0 < max_prompt_length < max_length:
        raise ValueError(f"max_prompt_length must lie in (0, max_length={max_length}) (got {max_prompt_length})")
    if truncation_mode not in ("keep_end", "keep_start"):
        raise ValueError(f"unknown truncation_mode {truncation_mode!r} (keep_end or keep_start)")
    longest = max(len(r) for r in out)
    if len(prompt) + longest > max_length:
        prompt = prompt[-max_prompt_length:] if truncation_mode == "keep_end" else prompt[:max_prompt_length]
    if len(prompt) + longest > max_length:
        out = [r[: max_length - max_prompt_length] for r in out]
    return prompt, out


def truncate_row(row: dict[str, Any], max_length: int | None, max_prompt_length: int | None, truncation_mode: str,
                 max_completion_length: int | None = None,
                 sides: Sequence[str] = ("chosen", "rejected")) -> dict[str, list[int]]:
    """A tokenized row (``prompt_input_ids`` and ``<side>_input_ids``, TRL's columns) truncated jointly by the upstream
    rule; ``max_completion_length`` (a TRL 0.24 field, unset in the recipes) first caps each response."""
    responses = [row[f"{s}_input_ids"] for s in sides]
    if max_completion_length is not None:
        responses = [r[:max_completion_length] for r in responses]
    prompt, responses = truncate_like_upstream(row["prompt_input_ids"], responses, max_length, max_prompt_length,
                                               truncation_mode)
    return {"prompt_input_ids": prompt, **{f"{s}_input_ids": r for s, r in zip(sides, responses, strict=True)}}


class ArgsView:
    """Read-only view of a TRL config with some attributes replaced (TRL's tokenisation runs untruncated, the
    upstream rule is applied afterwards)."""

    def __init__(self, args: Any, **replaced: Any) -> None:
        self._args = args
        self._replaced = replaced

    def __getattr__(self, name: str) -> Any:
        replaced = self.__dict__.get("_replaced", {})
        if name in replaced:
            return replaced[name]
        return getattr(self.__dict__["_args"], name)
