"""Math answers: extraction from a response and equivalence with the gold answer (math-verify).

Rule (blog §Filtering, Math): a response is *correct* when its final answer is mathematically equivalent to the
dataset's gold ``expected_answer``. Extraction conventions: ``boxed`` (last ``\\boxed{…}``, the Qwen2.5-Math
harness and OpenMathInstruct-2 convention), ``gsm8k`` (``#### N``), ``answer_is`` ("the answer is …"),
``last_number``, or ``auto`` (the first of those that finds something).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"-?\d[\d,]*(?:\.\d+)?"


@dataclass(frozen=True)
class Verdict:
    status: str  # "correct" | "incorrect" | "no_answer" | "error"
    extracted: str | None

    @property
    def correct(self) -> bool:
        return self.status == "correct"


def _last_boxed(text: str) -> str | None:
    idx = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if idx < 0:
        return None
    start = text.index("{", idx) + 1
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i].strip()
    return None


def extract_answer(text: str, convention: str = "auto") -> str | None:
    """Return the final answer string of ``text`` under ``convention`` (None when there is none)."""
    if not text:
        return None
    order = ["boxed", "gsm8k", "answer_is", "last_number"] if convention == "auto" else [convention]
    for conv in order:
        if conv == "boxed":
            found = _last_boxed(text)
        elif conv == "gsm8k":
            m = re.findall(r"####\s*(" + _NUM + ")", text)
            found = m[-1] if m else None
        elif conv == "answer_is":
            m = re.findall(r"answer is:?\s*\$?([^\n$]+?)\$?\s*(?:\.|$)", text, flags=re.IGNORECASE)
            found = m[-1].strip() if m else None
        elif conv == "last_number":
            m = re.findall(_NUM, text)
            found = m[-1] if m else None
        else:
            raise ValueError(f"unknown answer convention {conv!r}")
        if found:
            return found
    return None


def is_equivalent(pred: str, gold: str) -> bool:
    """math-verify equivalence of two answer strings (gold first, as math-verify expects)."""
    from math_verify import parse, verify

    def _wrap(s: str) -> str:
        return s if "$" in s or "\\boxed" in s else f"${s}$"

    try:
        return bool(verify(parse(_wrap(gold)), parse(_wrap(pred))))
    except Exception:
        return False


def check_response(response: str, gold: str, convention: str = "auto") -> Verdict:
    """Verdict for one response against one gold answer."""
    extracted = extract_answer(response, convention)
    if extracted is None:
        return Verdict("no_answer", None)
    try:
        return Verdict("correct" if is_equivalent(extracted, gold) else "incorrect", extracted)
    except Exception:
        return Verdict("error", extracted)


def check_many(items: list[tuple[str, str]], convention: str = "auto", workers: int = 1,
               timeout_s: float = 5.0) -> list[Verdict]:
    """Verdicts for (response, gold) pairs, in order."""
    return [check_response(resp, gold, convention) for resp, gold in items]
