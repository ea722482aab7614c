"""LiveBench math category: ``math_comp`` (AMC/SMC letters, AIME numbers), ``AMPS_Hard``, ``olympiad``.

Rules follow (no code copied):
https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/math/math_competitions/utils.py,
.../math/AMPS_Hard/utils.py and .../math/olympiad/utils.py, with the dispatch of
.../gen_ground_truth_judgment.py at the same commit (FuseEval 5af2bad carries the same files).
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from evaluation.livebench._boxed import last_boxed

# ----------------------------------------------------------------------------------------------- math_comp
_CHOICE = re.compile(r"\\textbf\{\(([A-E])\)\s?\}(.*?)(?:\\qquad|\$)")


def choice_value(question_text: str, letter: str) -> str:
    """The text of option ``letter`` in an AMC-style statement (``\\textbf{(B) }value\\qquad``), stripped of
    ``$`` and ``~``; ``"FAILURE"`` when the option cannot be found (upstream's sentinel, which then never
    matches a real answer)."""
    options = {m.group(1): m.group(2).strip() for m in _CHOICE.finditer(question_text)}
    value = options.get(letter) or "FAILURE"
    return value.strip().strip("$").strip("~")


def score_multiple_choice(ground_truth: str, response: str, question_text: str) -> float:
    """AMC/SMC: the prompt asks to repeat the letter five times. Correct when (1) the letter appears four
    times in a row anywhere, or (2) the last box holds exactly the letter, or (3) the option's value appears
    in the last ``20 + len(value)`` characters. The ground truth must be one letter A-E."""
    if not (isinstance(ground_truth, str) and len(ground_truth) == 1 and "A" <= ground_truth <= "E"):
        raise ValueError(f"math_comp ground truth must be one letter A-E, got {ground_truth!r}")
    if ground_truth * 4 in response:
        return 1.0
    if last_boxed(response) == ground_truth:
        return 1.0
    value = choice_value(question_text, ground_truth)
    return 1.0 if value in response[-(20 + len(value)):] else 0.0


def score_aime(ground_truth: str, response: str) -> float:
    """AIME: the integer answer appears in the last 20 characters."""
    return 1.0 if ground_truth in response[-20:] else 0.0


# ----------------------------------------------------------------------------------------------- AMPS_Hard
def normalize_final_answer(answer: str) -> str:
    """Minerva's normalisation as LiveBench's AMPS_Hard copy has it (Lewkowycz et al. 2022, appendix D, the
    short variant without unit removal): keep what follows the last ``=``; unwrap ``$..$``, ``\\text{}``,
    ``\\textbf{}``, ``\\overline{}``, ``\\boxed{}``; ``\\fracab -> \\frac{a}{b}``, ``\\sqrta -> \\sqrt{a}``;
    drop ``$``; ``100,000 -> 100000`` when only digits remain."""
    answer = answer.split("=")[-1]
    answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", answer)
    for wrapper in ("text", "textbf", "overline"):
        answer = re.sub(r"(\\" + wrapper + r"\{)(.*?)(\})", "\\2", answer)
    answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", answer)
    answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", answer)
    answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", answer)
    answer = answer.replace("$", "")
    if answer.replace(",", "").isdigit():
        answer = answer.replace(",", "")
    return answer


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """A limit of ``seconds`` of this process's CPU time (``ITIMER_PROF``); a no-op outside the main thread.

    Upstream uses a 5 s wall-clock ``alarm``; on a loaded machine that fails comparisons that merely waited for a
    core (seen here at load 18 on 2 cores), so we count CPU time instead: the limit still stops a runaway
    ``simplify`` but no longer depends on the neighbours."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise TimeoutError

    old = signal.signal(signal.SIGPROF, _raise)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def latex_equivalent(a: str, b: str, seconds: float = 5.0) -> bool:
    """Upstream ``is_equiv``: parse both LaTeX strings, and they are equal when ``|simplify(a - b)| < 0.001``;
    any parse/subtract/simplify failure or running out of the 5 s (CPU time, see ``_time_limit``) is "not equal".

    Deviation: upstream parses with ``sympy.parsing.latex.parse_latex`` (ANTLR 4.11 runtime); this environment
    carries ANTLR 4.13 for math-verify, so we parse with ``latex2sympy2_extended`` (math-verify's parser).
    The two parsers differ on a few constructs (e.g. ``\\log`` is base 10 in latex2sympy2_extended)."""
    import sympy
    from latex2sympy2_extended import latex2sympy

    try:
        with _time_limit(seconds):
            diff = latex2sympy(a) - latex2sympy(b)
            return bool(sympy.Abs(sympy.simplify(diff)) < 0.001)
    except Exception:  # noqa: BLE001 - upstream counts every failure (parse, type, timeout) as a miss
        return False


def score_amps_hard(ground_truth: str | list[str], response: str) -> float:
    """AMPS_Hard: drop ``+C`` / ``+ C``; the normalised last box must be equivalent to the ground truth (the
    last element when the ground truth is a list)."""
    if isinstance(ground_truth, list):
        ground_truth = ground_truth[-1]
    boxed = last_boxed(response.replace("+C", "").replace("+ C", ""))
    if boxed is None:
        return 0.0
    return 1.0 if latex_equivalent(ground_truth, normalize_final_answer(boxed)) else 0.0


# ----------------------------------------------------------------------------------------------- olympiad
def _digits_core(token: str) -> tuple[str, int]:
    """The first run of characters with ``str.isdigit`` in ``token`` and how many characters are not in it."""
    start = 0
    while start < len(token) and not token[start].isdigit():
        start += 1
    end = start
    while end < len(token) and token[end].isdigit():
        end += 1
    return token[start:end], len(token) - (end - start)


def extract_expression_order(response: str) -> list[int]:
    """The comma-separated list after the last ``Answer``: each token keeps its first run of digits; the list
    stops after the first token (other than the first) that carried extra characters. Digit-like characters
    that are not decimal (``₂``, ``²``) are skipped (upstream skips a lone subscript two and would crash on
    the others)."""
    numbers: list[int] = []
    for i, token in enumerate(t.strip() for t in response.split("Answer")[-1].split(",")):
        core, extra = _digits_core(token)
        if core.isdecimal():  # a number past int()'s 4,300-digit limit names no expression: -1 (never an index)
            numbers.append(int(core) if len(core) < 4300 else -1)
        if i > 0 and extra > 0:
            break
    return numbers


def sequence_edit_distance(a: list[int], b: list[int]) -> int:
    """Levenshtein distance between two sequences (insert, delete, substitute cost 1)."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        prev = cur
    return prev[-1]


def score_proof_rearrangement(ground_truth: str, response: str) -> float:
    """Olympiad (IMO/USAMO proof rearrangement), edit-distance mode as the release scores it:
    ``1 - distance(answer, truth) / max(len(answer), len(truth))``."""
    truth = [int(n) for n in ground_truth.split(",")]
    answer = extract_expression_order(response)
    return 1.0 - sequence_edit_distance(answer, truth) / max(len(answer), len(truth))


# ----------------------------------------------------------------------------------------------- dispatch
def scorer_for(question: dict[str, Any]) -> Callable[[dict[str, Any], str], float]:
    """Upstream dispatches on ``subtask`` (else ``task``): ``amc*``/``smc*`` (or ``*_amc*``) -> multiple
    choice; ``aime*`` -> AIME; ``imo*``/``usamo*`` -> proof rearrangement; anything containing ``amps_hard``
    -> AMPS_Hard. When the subtask names none of these we fall back on the task (``AMPS_Hard``,
    ``olympiad``; ``math_comp`` by the ground truth's shape), where upstream would stop with an error."""
    name = str(question.get("subtask") or question["task"])
    parts = name.split("_")
    if parts[0] in ("amc", "smc") or (len(parts) > 1 and parts[1] == "amc"):
        return _mc
    if parts[0] == "aime":
        return _aime
    if parts[0] in ("imo", "usamo"):
        return _olympiad
    if "amps_hard" in name.lower():
        return _amps
    task = question["task"]
    if task == "AMPS_Hard":
        return _amps
    if task == "olympiad":
        return _olympiad
    if task == "math_comp":
        gt = question.get("ground_truth", "")
        return _mc if isinstance(gt, str) and len(gt) == 1 and gt.isalpha() else _aime
    raise ValueError(f"livebench math: no scorer for task {task!r} subtask {name!r}")


def _mc(q: dict[str, Any], r: str) -> float:
    return score_multiple_choice(q["ground_truth"], r, q["turns"][0])


def _aime(q: dict[str, Any], r: str) -> float:
    return score_aime(q["ground_truth"], r)


def _olympiad(q: dict[str, Any], r: str) -> float:
    return score_proof_rearrangement(q["ground_truth"], r)


def _amps(q: dict[str, Any], r: str) -> float:
    return score_amps_hard(q["ground_truth"], r)


def score(question: dict[str, Any], response: str) -> float:
    """Score one math question (any of the three tasks)."""
    return scorer_for(question)(question, response)


SCORERS: dict[str, Callable[[dict[str, Any], str], float]] = {
    "math_comp": score, "AMPS_Hard": score, "olympiad": score,
}
