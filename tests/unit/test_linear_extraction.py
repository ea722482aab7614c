"""Linear-time extraction gives upstream's answers (issue 22 item 2).

Each rewritten extractor is compared with the upstream regular expression / function it replaces on short
inputs drawn from the characters that matter to it (hypothesis), and must finish on 1 MB adversarial inputs in
bounded time (the upstream patterns are quadratic or worse on them).
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from evaluation.livebench.mathematics import normalize_final_answer
from evaluation.tasks._mc import (
    UPSTREAM_STAGE2,
    UPSTREAM_STAGE3,
    answer_colon,
    extract_choice,
    last_lone_letter,
)
from fusechat.math_answers import ANSWER_IS_REFERENCE, GSM8K_REFERENCE, answer_is_matches, extract_answer


def _tokens(*pieces: str) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=30).map("".join)


def upstream_normalize(final_answer: str) -> str:
    """LiveBench e84e548 AMPS_Hard ``normalize_final_answer`` (Minerva appendix D), the reference."""
    final_answer = final_answer.split("=")[-1]
    final_answer = re.sub(r"(.*?)(\$)(.*?)(\$)(.*)", "$\\3$", final_answer)
    final_answer = re.sub(r"(\\text\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\textbf\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\overline\{)(.*?)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(\\boxed\{)(.*)(\})", "\\2", final_answer)
    final_answer = re.sub(r"(frac)([^{])(.)", "frac{\\2}{\\3}", final_answer)
    final_answer = re.sub(r"(sqrt)([^{])", "sqrt{\\2}", final_answer)
    final_answer = final_answer.replace("$", "")
    if final_answer.replace(",", "").isdigit():
        final_answer = final_answer.replace(",", "")
    return final_answer


def upstream_choice(text: str) -> str | None:
    """FuseEval MC-Eval ``extract_answer`` -> ``extract_again`` -> ``extract_final``."""
    if m := re.search(r"answer is \(?([A-J])\)?", text):
        return m.group(1)
    if m := re.search(UPSTREAM_STAGE2, text):
        return m.group(1)
    m = re.search(UPSTREAM_STAGE3, text, re.DOTALL)
    return m.group(0) if m else None


_LATEX = _tokens("\\text{", "\\textbf{", "\\overline{", "\\boxed{", "{", "}", "$", "\n", "=", "x", "1", ",",
                 "\\frac", "\\sqrt", "ab", " ", "\\")
_MC = _tokens("answer:", "Answer:", "answer is ", "(", ")", "A", "B", "J", "K", " ", "\n", "\t", "x", "nswer:",
              "a", ".", "é")
_ANSWER_IS = _tokens("answer is", "answer:", "ANSWER IS ", "answer i\u017f", "答案是", ":", "$", ".", " ", "\n",
                     "\t", "\r", "\u00a0", "\x1c", "\u2028", "x", "5", "answer", " is")
_GSM = _tokens("####", "#", " ", "\n", "$", "-", "1", "23", ",", ".", "5", "x")


@settings(max_examples=600, deadline=None)
@given(_LATEX)
@example("\\text{a\n\\text{b}")  # an opener unclosed on its line: the scan goes on at the next line's
@example("\\boxed{a}\nb}")  # the greedy box ends at the last brace of its own line, not of the text
@example("\\text{a\nb}\nc")  # a brace after the opener's line end closes nothing (the first newline counts)
@example("\\boxed{}x")  # an empty box is unwrapped too
@example("$a$b$c")  # the first two $ of a line, not the first and the last
def test_normalize_final_answer_is_upstreams(text: str) -> None:
    assert normalize_final_answer(text) == upstream_normalize(text)


@settings(max_examples=600, deadline=None)
@given(_MC)
def test_choice_extraction_is_upstreams(text: str) -> None:
    assert extract_choice(text)[0] == upstream_choice(text)
    m2 = re.search(UPSTREAM_STAGE2, text)
    assert answer_colon(text) == (m2.group(1) if m2 else None)
    m3 = re.search(UPSTREAM_STAGE3, text, re.DOTALL)
    assert last_lone_letter(text) == (m3.group(0) if m3 else None)


@settings(max_examples=400, deadline=None)
@given(_GSM)
def test_gsm8k_hashes_are_upstreams(text: str) -> None:
    found = re.findall(GSM8K_REFERENCE, text)
    assert extract_answer(text, "gsm8k") == (found[-1].replace(",", "").strip().strip("$").strip().rstrip(".")
                                             .strip() or None if found else None)


@settings(max_examples=1500, deadline=None)
@given(_ANSWER_IS)
@example("answer is $x. y$. then")  # the $…$ alternative wins over the lazy answer's first stop
@example("answer is $x$y. z")  # … and gives way to it when its tail does not match
@example("Answer: 5.\nthe answer is 7")  # the last of several matches
@example("answer is 5 \n . next answer is 6")  # the tail's blanks cross a newline to a stop dot
@example("answer:  :\n \n")  # blanks to the end of the text: the answer is the last non-newline blank
@example("answer is\n\n")  # … or there is none
@example("answer is x" + " " * 50 + "y.")
def test_answer_is_matches_are_upstreams(text: str) -> None:
    assert answer_is_matches(text) == re.findall(ANSWER_IS_REFERENCE, text, flags=re.IGNORECASE | re.MULTILINE)


MB = 1_000_000
_HOSTILE = {
    "normalize $": lambda: normalize_final_answer("\\boxed{$" * (MB // 8)),
    "normalize frac": lambda: normalize_final_answer("\\frac" * (MB // 5)),
    "normalize text{": lambda: normalize_final_answer("\\text{" * (MB // 6)),
    "normalize boxed{": lambda: normalize_final_answer("\\boxed{" * (MB // 7)),
    "mc stage 2": lambda: extract_choice("x" * MB + "\nanswer: B"),
    "mc stage 2 blanks": lambda: extract_choice("answer:" + " " * MB),
    "mc stage 3": lambda: extract_choice("A " * (MB // 2)),
    "gsm8k blanks": lambda: extract_answer("####" + " " * MB, "gsm8k"),
    "gsm8k hashes": lambda: extract_answer("#### " * (MB // 5), "gsm8k"),
    "answer is blanks": lambda: extract_answer("the answer is x" + " " * MB + "y", "answer_is"),
    "answer is sentences": lambda: extract_answer("the answer is x. " * (MB // 17), "answer_is"),
    "answer is dollars": lambda: extract_answer("answer is $" + "x. " * (MB // 3), "answer_is"),
}


@pytest.mark.parametrize("name", sorted(_HOSTILE))
def test_one_megabyte_inputs_finish_fast(name: str) -> None:
    start = time.process_time()
    _HOSTILE[name]()
    assert time.process_time() - start < 2.0, name
