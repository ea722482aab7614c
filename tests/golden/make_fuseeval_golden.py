"""Record FuseEval's own verdicts for the multiple-choice extraction and the math graders: the golden files of
tests/unit/test_fuseeval_golden.py.

Upstream: https://github.com/SLIT-AI/FuseChat-3.0 at commit 5af2bad, folder FuseEval/:
* ``General-Eval/MC-Eval/evaluate_from_local.py``: ``extract_answer`` -> ``extract_again`` -> ``extract_final``
  (MMLU-Pro, MMLU, MMLU-Redux, GPQA-Diamond). The module imports vllm and torch at the top, so this script reads
  the three functions' source from the file (``ast``) and runs exactly that code;
* ``Math-Eval`` (the Qwen2.5-Math toolkit): ``parser.parse_ground_truth`` for the gold, ``parser.run_execute`` with
  prompt type ``qwen25-math-cot`` for the prediction, ``grader.math_equal(pred, gt)`` for the verdict, with a 3 s
  limit (``evaluate.py``'s pebble timeout; a timeout is wrong), for data names gsm8k, math and amc23.

Run it in a throwaway environment with FuseEval's math dependencies (not this repository's .venv):

    uv venv /tmp/feenv && uv pip install --python /tmp/feenv/bin/python sympy==1.12 \\
        antlr4-python3-runtime==4.11.1 mpmath==1.3.0 regex word2number numpy
    /tmp/feenv/bin/python tests/golden/make_fuseeval_golden.py --git-dir /path/to/FuseChat-3.0/.git

The files needed are read with ``git show 5af2bad:<path>`` into a temporary folder. Cases are generated
deterministically; each math case carries the ``kind`` it was built as (exact, reformatted, percent, near,
wrong, extraction, hostile), by which the test counts the documented grader deviations.
Output: tests/golden/fuseeval/{mc_extraction,math_graders}_5af2bad.jsonl.gz. Not run by CI.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

COMMIT = "5af2bad"
OUT = Path(__file__).resolve().parent / "fuseeval"
MC_FILE = "FuseEval/General-Eval/MC-Eval/evaluate_from_local.py"
MATH_DIR = "FuseEval/Math-Eval"
HOSTILE = ["", " ", "\n", "\ud800", "\x00", "\u202e", "e\u0301", "a" * 3000, "{" * 40, "}" * 40, "$$", "\\boxed",
           "\\boxed{", "\\boxed{}", "####", "The answer is", "答案是", "NaN", "inf", "None"]


def git_show(git_dir: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "show", f"{COMMIT}:{path}"], check=True,
                          capture_output=True, text=True).stdout


# ------------------------------------------------------------------------------------------------ multiple choice
def mc_cases(rng: random.Random) -> list[str]:
    letters = "ABCDEFGHIJ"
    pieces = ["The answer is (B).", "the answer is C", "answer is (J)", "The best answer is D.", "Answer: E",
              "answer:\n\nF", "Answer:  G", "ANSWER: H", "answer: K", "The answer is: B", "**Answer: C**",
              "I think A", "Option B is wrong", "A and B", "Between C and D, D.", "\\boxed{E}", "(A)", "A.", "a",
              "final answer: I", "The answer is $\\boxed{A}$", "Answer: (C)", "answer is(D)", "I", "J!",
              "Let's think step by step.", "Step 1: compare.", "\n", " ", "é", "Ｂ", "ANSWER IS B"]
    out = list(pieces)
    for _ in range(400):
        k = rng.randint(1, 5)
        out.append(rng.choice(["", " ", "\n"]).join(rng.choice(pieces) for _ in range(k)))
    for _ in range(60):
        out.append(" ".join(rng.choice(letters + "xyz") for _ in range(rng.randint(1, 12))))
    return out + HOSTILE


def mc_golden(git_dir: str) -> list[dict[str, Any]]:
    tree = ast.parse(git_show(git_dir, MC_FILE))
    wanted = {"extract_answer", "extract_again", "extract_final"}
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in wanted]
    assert {f.name for f in funcs} == wanted
    ns: dict[str, Any] = {"re": re}
    exec(compile(ast.Module(body=funcs, type_ignores=[]), MC_FILE, "exec"), ns)  # noqa: S102 - upstream's code
    return [{"response": t, "upstream": ns["extract_answer"](t)} for t in mc_cases(random.Random(5))]


# ------------------------------------------------------------------------------------------------ math graders
def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def math_items(rng: random.Random) -> list[tuple[str, dict[str, Any], str, str]]:
    """(data name, dataset row, response, kind)."""
    out: list[tuple[str, dict[str, Any], str, str]] = []

    def responses(gold: str, alts: list[str], num: float | None) -> list[tuple[str, str]]:
        r = [(f"So the answer is $\\boxed{{{gold}}}$.", "exact"), (f"\\boxed{{{gold}}}", "exact"),
             (f"The answer is {gold}.", "extraction"), (f"We get {gold}", "extraction"),
             (f"\\boxed{{0}} no wait \\boxed{{{gold}}}", "extraction"), (f"\\fbox{{{gold}}}", "extraction"),
             (f"\\boxed {gold}$", "extraction"), (f"#### {gold}", "extraction"), (f"{gold} is the answer", "extraction"),
             ("\\boxed{wrong}", "wrong"), (f"\\boxed{{{gold}1}}", "wrong")]
        r += [(f"\\boxed{{{a}}}", "reformatted") for a in alts]
        if num is not None:
            r += [(f"\\boxed{{{_num(num * 100)}}}", "percent"), (f"\\boxed{{{_num(num / 100)}}}", "percent"),
                  (f"\\boxed{{{_num(num * 100)}\\%}}", "percent"),
                  (f"\\boxed{{{num * (1 + 3e-5)!r}}}", "near"), (f"\\boxed{{{num * (1 + 3e-3)!r}}}", "near"),
                  (f"\\boxed{{{_num(num + 1)}}}", "wrong"), (f"\\boxed{{{_num(-num)}}}", "wrong")]
        return r

    for n in [18, 1234, 5, 0, 72, 3.5, -4, 1000000, 260, 0.25]:
        gold = f"{n:,}" if isinstance(n, int) else str(n)
        alts = [_num(n), f"{_num(n)}.00", f"\\${_num(n)}", f"{_num(n)} \\text{{ dollars}}", f"{_num(n)}\\%",
                f"\\frac{{{_num(n * 2)}}}{{2}}", f"{n:,}"]
        row = {"question": "q", "answer": f"Work <<1+1=2>>.\n#### {gold}"}
        for r, kind in responses(_num(n), alts, float(n)):
            out.append(("gsm8k", row, r, kind))
    maths = [("\\frac{1}{2}", ["0.5", "\\dfrac{1}{2}", "1/2", "\\tfrac12", "\\frac12"], 0.5),
             ("3\\sqrt{2}", ["\\sqrt{18}", "3 \\sqrt 2", "4.2426"], None),
             ("(1,2)", ["(1, 2)", "\\left(1,2\\right)", "1,2"], None),
             ("x^2+1", ["1+x^2", "x^{2}+1"], None),
             ("\\text{(A)}", ["A", "(A)", "\\textbf{(A)}"], None),
             ("[0,1)", ["[0, 1)", "0\\le x<1"], None),
             ("2\\pi", ["2 \\pi", "6.2832", "\\pi \\cdot 2"], None),
             ("10^\\circ", ["10", "10^{\\circ}", "10 degrees"], 10.0),
             ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", ["(1,2)", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"], None),
             ("-3", ["- 3", "-3.0", "x=-3"], -3.0), ("0.25", ["\\frac14", "25\\%", "1/4"], 0.25),
             ("5\\%", ["5", "0.05", "5 \\%"], 5.0), ("\\infty", ["\\inf", "infinity"], None),
             ("12 \\text{ cm}", ["12", "12cm", "12\\mbox{ cm}"], 12.0),
             ("\\{1,2\\}", ["1, 2", "\\{2,1\\}"], None)]
    for gold, alts, num in maths:
        row = {"problem": "p", "solution": f"Work.\nThus, the answer is $\\boxed{{{gold}}}$."}
        for r, kind in responses(gold, alts, num):
            out.append(("math", row, r, kind))
    for n in [27.0, 2.5, 3.0, 901.0, 0.0, 36.0, 7.0, 50.0]:
        row = {"question": "q", "answer": n}
        alts = [_num(n), repr(n), f"\\frac{{{_num(n * 4)}}}{{4}}", f"{_num(n)}.0", f"\\text{{{_num(n)}}}"]
        for r, kind in responses(_num(n), alts, n):
            out.append(("amc23", row, r, kind))
    for name, row in [("gsm8k", {"question": "q", "answer": "x\n#### 7"}),
                      ("math", {"problem": "p", "solution": "\\boxed{7}"}), ("amc23", {"question": "q", "answer": 7.0})]:
        out += [(name, row, h, "hostile") for h in HOSTILE]
    rng.shuffle(out)
    return out


def _alarm(signum: int, frame: Any) -> None:
    raise TimeoutError


def math_golden(git_dir: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        listing = subprocess.run(["git", "--git-dir", git_dir, "ls-tree", "-r", "--name-only", COMMIT, MATH_DIR],
                                 check=True, capture_output=True, text=True).stdout.split()
        for path in listing:
            rel = path[len(MATH_DIR) + 1:]
            if re.fullmatch(r"(grader|parser|utils|examples)\.py|latex2sympy/.*\.py", rel):
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(git_show(git_dir, path), encoding="utf-8")
        sys.path[:0] = [str(root), str(root / "latex2sympy")]
        from grader import math_equal  # type: ignore[import-not-found]
        from parser import parse_ground_truth, run_execute  # type: ignore[import-not-found]

        signal.signal(signal.SIGALRM, _alarm)
        rows = []
        for name, row, response, kind in math_items(random.Random(7)):
            _, gt = parse_ground_truth(dict(row), name)
            try:
                pred = run_execute(None, response, "qwen25-math-cot", name)[0]
            except Exception as exc:  # noqa: BLE001
                pred, verdict = f"error:{type(exc).__name__}", False
            else:
                signal.alarm(3)
                try:
                    verdict = bool(math_equal(pred, gt))
                except TimeoutError:
                    verdict = False
                except Exception:  # noqa: BLE001 - evaluate.py would stop; recorded as wrong
                    verdict = False
                finally:
                    signal.alarm(0)
            rows.append({"data": name, "row": row, "response": response, "kind": kind, "gt": gt, "pred": pred,
                         "upstream": verdict})
        return rows


def write(path: Path, header: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as gz:
        gz.write(json.dumps({**header, "cases": len(rows)}).encode() + b"\n")
        for r in rows:
            gz.write(json.dumps(r, ensure_ascii=True).encode() + b"\n")
    print(f"wrote {path} ({len(rows)} cases)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--git-dir", required=True, help="a clone or mirror of github.com/SLIT-AI/FuseChat-3.0")
    args = ap.parse_args()
    up = "https://github.com/SLIT-AI/FuseChat-3.0"
    write(OUT / f"mc_extraction_{COMMIT}.jsonl.gz", {"upstream": up, "commit": COMMIT, "file": MC_FILE},
          mc_golden(args.git_dir))
    write(OUT / f"math_graders_{COMMIT}.jsonl.gz", {"upstream": up, "commit": COMMIT, "dir": MATH_DIR,
                                                   "prompt_type": "qwen25-math-cot"}, math_golden(args.git_dir))


if __name__ == "__main__":
    main()
