"""``\\boxed{...}`` extraction as LiveBench's math and spatial scorers do it.

Rule (upstream ``last_boxed_only_string`` / ``remove_boxed`` in
https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/math/AMPS_Hard/utils.py,
shared by math_competitions and reasoning/spatial): if the text contains ``"\\boxed "`` (a space, no brace),
the answer is what follows the last such occurrence up to the next ``$``. Otherwise take the last ``\\boxed``
(or, failing that, the last ``\\fbox``) and match braces from there; ``$`` signs inside are dropped.
An unbalanced box yields nothing.
"""

from __future__ import annotations


def last_boxed(text: str) -> str | None:
    """The content of the last box in ``text`` (see module rule), or None when there is none."""
    if "\\boxed " in text:
        return text.split("\\boxed ")[-1].split("$")[0]
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    open_at = None
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
            if open_at is None:
                open_at = i
        elif ch == "}":
            depth -= 1
            if depth == 0:
                # upstream: the slice "\boxed{...}" minus "$", then the wrapper removed
                if open_at is None or text[start:open_at] not in ("\\boxed", "\\fbox"):
                    return None
                return text[open_at + 1:i].replace("$", "")
    return None
