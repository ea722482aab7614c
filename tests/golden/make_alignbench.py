"""Golden file for AlignBench v1.1: THUDM/AlignBench ``judge.py`` at 5b79d4a, its ``post_process`` (the rating
dict and the 综合得分 score) on realistic and adversarial judgments. Run: ``.venv/bin/python
tests/golden/make_alignbench.py <clone of THUDM/AlignBench>`` (writes tests/golden/alignbench/). ``tenacity``
is stubbed when it is not installed (only the decorator of the request function, never called here).
"""

from __future__ import annotations

import contextlib
import io
import random
import sys
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _upstream import export, write_cases  # noqa: E402
from judged_texts import text  # noqa: E402

COMMIT = "5b79d4a84e566db26e755c719935c62a0e1b0527"
OUT = Path(__file__).parent / "alignbench"
DIMS = ["事实正确性", "满足用户需求", "清晰度", "完备性", "逻辑连贯性", "创造性"]


def judgment(rng: random.Random) -> str:
    dims = rng.sample(DIMS, rng.randint(1, 4))
    s = [rng.randint(1, 10) for _ in dims]
    overall = rng.randint(1, 10)
    pairs = ", ".join(f"'{d}': {v}" for d, v in zip(dims, s, strict=True))
    intro = rng.choice(["回答基本正确，但不够完整。\n", "", "The answer is fine.\n", text(rng, 0.9, False) + "\n"])
    return intro + rng.choice([
        f"{{{pairs}, '综合得分': {overall}}}", f"{{{pairs}, '综合得分': {overall}}}\n再次说明。",
        f'{{"综合得分": {overall}}}', f"{{{pairs}, '综合得分': {overall}.5}}", f"'综合得分': {overall}.55 总结",
        f"'综合得分': {overall}.555", f"{{{pairs}}} 综合来看 '综合得分': {overall}", f"{{{pairs}, '综合得分': 0}}",
        f"{{{pairs}, '综合得分': 11}}", f"{{{pairs}, '综合得分': 1{overall}}}", f"{{'综合得分':{overall}}}",
        f"{{{pairs},\n'综合得分': {overall}}}", f"{{a}} {{{pairs}, '综合得分': {overall}}} {{b}}",
        f"{{{pairs}, '综合得分': {overall}}} 以及 {{'综合得分': {overall % 10 + 1}}}", "没有打分。", "",
        f"{{{pairs}, '综合得分': -{overall}}}", f"{{{pairs}, '综合得分': '{overall}'}}",
        f"{{{{{pairs}, '综合得分': {overall}}}}}", f"{{'综合得分': {overall}, '综合得分': {overall % 10 + 1}}}",
        f"{{{pairs}, '综合得分': {overall}}}" + text(rng, 0.9, False),
    ])


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    export(Path(sys.argv[1]), COMMIT, ["judge.py"])
    try:
        import tenacity  # noqa: F401
    except ImportError:
        stub = types.ModuleType("tenacity")
        stub.retry = lambda **_kw: (lambda f: f)
        stub.wait_random_exponential = stub.stop_after_attempt = lambda *a, **k: None
        sys.modules["tenacity"] = stub
    import judge

    rng = random.Random(683)
    cases = []
    for i in range(400):
        reply = judgment(rng)
        with contextlib.redirect_stdout(io.StringIO()):  # post_process prints what it matched
            rating, score = judge.post_process(reply)
        cases.append({"id": i, "judgment": reply, "upstream": {"rating": rating, "score": score}})
    header = {"upstream": f"THUDM/AlignBench@{COMMIT} judge.post_process", "generator": "tests/golden/make_alignbench.py"}
    write_cases(OUT / "post_process.jsonl", header, cases, ascii_only=False)
    print(f"{len(cases)} cases, {sum(c['upstream']['score'] == -1 for c in cases)} without a score upstream")


if __name__ == "__main__":
    main()
