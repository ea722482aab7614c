"""``\\boxed{...}`` extraction exactly as LiveBench's math and spatial scorers do it.

Upstream (https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/math/AMPS_Hard/utils.py,
the same ``last_boxed_only_string`` / ``remove_boxed`` copied into math_competitions and reasoning/spatial; FuseEval
5af2bad vendors the same files), in this order:

1. the caller rewrites every ``\\\\fbox{`` (two backslashes) to ``\\\\boxed{``, so a later double-backslash fbox
   is found by the ``rfind("\\boxed")`` below and wins over an earlier ``\\boxed{}``;
2. if the text contains ``"\\boxed "`` (a space), the box is ``"\\boxed "`` + what follows its last occurrence up
   to the next ``$``;
3. otherwise the slice from the last ``\\boxed`` (or, failing that, the last ``\\fbox``) through the brace that
   closes the first ``{`` after it; ``$`` are dropped and ``fbox`` becomes ``boxed`` in the whole slice (so
   ``\\boxed${B}$`` is the box ``\\boxed{B}``); no closing brace: no box;
4. the answer is the slice minus ``"\\boxed "`` or minus ``"\\boxed{"`` and the final ``}``.

Deviation: where the slice does not start with ``\\boxed{`` (e.g. ``\\boxedx{3}``), upstream's ``assert`` stops the
whole judgment run with an AssertionError; here that response has no box (scored 0). Counted in docs/livebench.md.
"""

from __future__ import annotations

_BOXED_SPACE = "\\boxed "
_BOXED_BRACE = "\\boxed{"


def rewrite_fbox(text: str) -> str:
    """Upstream's caller-side rewrite ``\\\\fbox{`` -> ``\\\\boxed{`` (the text as the scorers then read it)."""
    return text.replace("\\\\fbox{", "\\\\boxed{")


def last_boxed_only_string(text: str) -> str | None:
    """Upstream ``last_boxed_only_string``: the last box with its wrapper (rules 2-3), or None."""
    if _BOXED_SPACE in text:
        return _BOXED_SPACE + text.split(_BOXED_SPACE)[-1].split("$")[0]
    start = text.rfind("\\boxed")
    if start < 0:
        start = text.rfind("\\fbox")
        if start < 0:
            return None
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1].replace("$", "").replace("fbox", "boxed")
    return None


def remove_boxed(box: str) -> str | None:
    """Upstream ``remove_boxed`` (rule 4); None where upstream's assertion would fail."""
    if _BOXED_SPACE in box:
        return box[len(_BOXED_SPACE):] if box.startswith(_BOXED_SPACE) else None
    if box.startswith(_BOXED_BRACE) and box.endswith("}"):
        return box[len(_BOXED_BRACE):-1]
    return None


def last_boxed(text: str) -> str | None:
    """The answer in the last box of ``text`` after upstream's fbox rewrite (rules 1-4), or None when there is
    none (upstream's falsy ``last_boxed``) or upstream would raise."""
    box = last_boxed_only_string(rewrite_fbox(text))
    return remove_boxed(box) if box else None
