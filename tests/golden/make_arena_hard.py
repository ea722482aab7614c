"""Golden file for Arena-Hard v0.1: upstream lmarena/arena-hard-auto at 3071ef9 run on realistic and adversarial
judge replies and battle sets. Run: ``.venv/bin/python tests/golden/make_arena_hard.py <clone of
arena-hard-auto>`` (writes tests/golden/arena_hard/).

* ``judging.jsonl``: upstream ``gen_judgment.judgment`` (its ``get_answer`` replaced by a stand-in that returns the
  case's judge replies in turn) on one question and answer per case: per game the user prompt (sha256), the
  accumulated judgment, the score and the number of requests.
* ``bootstrap.json``: upstream ``show_result.py``'s path without style control — ``get_battles_from_row`` over
  every model's judgment rows in one frame, ``compute_mle_elo``, ``get_bootstrap_result`` after
  ``np.random.seed(42)`` (as at import), percentiles, ``get_win_rate_column`` — on sets of one to three models;
  an exception upstream raises is recorded by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _upstream import export, write_cases  # noqa: E402
from judged_texts import text  # noqa: E402

COMMIT = "3071ef95d913bb5cd632641db336a3b6c7fe4bdd"
OUT = Path(__file__).parent / "arena_hard"
LABELS = ["A>>B", "A>B", "A=B", "B>A", "B>>A"]
ROUNDS = 5
SYSTEM = "Judge the two answers. End with one verdict label: [[A>>B]], [[A>B]], [[A=B]], [[B>A]] or [[B>>A]]."
TEMPLATE = ("<|User Prompt|>\n{question_1}\n\n<|The Start of Assistant A's Answer|>\n{answer_1}\n"
            "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answer_2}\n"
            "<|The End of Assistant B's Answer|>")


def reply(rng: random.Random) -> str:
    """A judge reply: a clean verdict, none, two, malformed ones, verdict-like text from an answer."""
    label = rng.choice(LABELS)
    other = rng.choice([x for x in LABELS if x != label])
    return rng.choice([
        f"My final verdict is: [[{label}]]", f"... so [[{label}]]. Final: [[{label}]]", "I need more time.",
        f"first [[{label}]] then [[{other}]]", f"[[{label.lower()}]]", f"[[{label.replace('>', ' > ')}]]",
        f"[{label}]", "[[A>>>B]]", "[[]]", "[[AB]]", f"[[[{label}]]]", f"[[{label}]\n]", f"[[\n{label}]]",
        f"Verdict:\n[[{label}]]\n", "$ERROR$", "", f"{text(rng, 0.8, False)} [[{label}]]", text(rng, 0.8, False),
    ])


def judging_cases(rng: random.Random) -> list[dict]:
    import gen_judgment

    cases = []
    for i in range(300):
        question = f"Question {i}: " + text(rng, 0.3, model_text=False)
        answer, baseline = text(rng, 0.6, model_text=False), f"Baseline {i}: " + text(rng, 0.2, model_text=False)
        replies = [[reply(rng) for _ in range(2)] for _ in range(2)]  # per game, per attempt
        case = {"id": i, "question": question, "answer": answer, "baseline": baseline, "replies": replies}
        calls: list[tuple[int, list]] = []
        first_prompt = TEMPLATE.format(question_1=question, answer_1=baseline, answer_2=answer)

        def fake(model, conv, temperature, max_tokens, endpoint_dict=None, _r=replies, _c=calls, _p=first_prompt):
            game = 0 if conv[1]["content"] == _p else 1
            attempt = sum(1 for g, _ in _c if g == game)
            _c.append((game, conv))
            return _r[game][attempt]

        gen_judgment.get_answer = fake
        gen_judgment.endpoint_info = {"model_name": "judge"}
        with tempfile.NamedTemporaryFile("w+", suffix=".jsonl") as f:
            gen_judgment.judgment(
                question={"question_id": str(i), "turns": [{"content": question}]},
                answer={"model_id": "model", "choices": [{"turns": [{"content": answer}]}]},
                baseline_answer={"model_id": "gpt-4-0314", "choices": [{"turns": [{"content": baseline}]}]},
                reference=None, configs={"judge_model": "judge", "pairwise": True, "system_prompt": SYSTEM,
                                         "prompt_template": [TEMPLATE], "number_of_judgment_attempts": 2,
                                         "temperature": 0, "max_tokens": 4096},
                output_file=f.name, regex_pattern=re.compile(r"\[\[([AB<>=]+)\]\]"), endpoint_dict={})
            f.seek(0)
            row = json.loads(f.read())
        case["upstream"] = [{"user_prompt_sha256": hashlib.sha256(g["user_prompt"].encode("utf-8", "surrogatepass"))
                             .hexdigest(), "judgment": g["judgment"], "score": g["score"],
                             "requests": sum(1 for k, _ in calls if k == n)} for n, g in enumerate(row["games"])]
        cases.append(case)
    return cases


def bootstrap_cases(rng: random.Random) -> list[dict]:
    import numpy as np
    import pandas as pd
    import show_result
    import utils_math

    np.NAN = np.nan  # numpy 2 dropped the alias upstream's predict_win_rate uses (a name only, same value)
    cases = []
    for i in range(12):
        models = [f"model-{k}" for k in range(rng.choice([1, 2, 3]))] or ["model-0"]
        games: dict[str, list[list[str | None]]] = {}
        for m in models:
            kind = rng.choice(["mixed", "mixed", "strong", "weak", "all_win"] if i > 1 else ["all_win"])
            pool = {"mixed": LABELS + [None], "strong": ["B>>A", "B>A", "A=B"], "weak": ["A>>B", "A>B", "B>A"],
                    "all_win": ["B>A", "B>>A"]}[kind]
            n = rng.choice([5, 12, 30])
            games[m] = [[rng.choice(pool), rng.choice(pool) if kind != "all_win" else rng.choice(["A>B", "A>>B"])]
                        for _ in range(n)]
        rows = [{"question_id": f"q{j}", "model": m, "games": [{"score": g1}, {"score": g2}]}
                for m in models for j, (g1, g2) in enumerate(games[m])]
        judgments = pd.DataFrame(rows)
        case: dict = {"id": i, "games": games, "rounds": ROUNDS}
        try:
            battles = judgments.apply(lambda row: show_result.get_battles_from_row(row, False, 3, "gpt-4-0314"),
                                      axis=1)
            battles = pd.DataFrame(battles[battles.map(len) > 0].explode().tolist())
            coef = utils_math.compute_mle_elo(battles)
            np.random.seed(42)
            with contextlib.redirect_stderr(io.StringIO()):  # tqdm's progress bar
                boot = utils_math.get_bootstrap_result(battles, utils_math.compute_mle_elo, ROUNDS)
            stats = pd.DataFrame([{"model": m, "score": coef[m], "lower": np.percentile(boot[m], 2.5),
                                   "upper": np.percentile(boot[m], 97.5)} for m in coef.index])
            stats.sort_values(by="model", inplace=True)
            out = {}
            for col in ("score", "lower", "upper"):
                stats[col] = utils_math.get_win_rate_column(stats, col, "gpt-4-0314").tolist()
            for _, r in stats.iterrows():
                if r["model"] != "gpt-4-0314":
                    out[r["model"]] = {"score": r["score"], "lower": r["lower"], "upper": r["upper"],
                                       "elo": float(coef[r["model"]])}
            case["upstream"] = {"models": out, "n_battles": {m: int((battles["model_b"] == m).sum()) for m in models},
                                "error": None}
        except Exception as exc:
            case["upstream"] = {"models": None, "error": type(exc).__name__}
        cases.append(case)
    return cases


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    export(Path(sys.argv[1]), COMMIT, ["gen_judgment.py", "show_result.py", "utils.py", "utils_math.py"])
    rng = random.Random(3071)
    header = {"upstream": f"lmarena/arena-hard-auto@{COMMIT}", "generator": "tests/golden/make_arena_hard.py",
              "system_prompt": SYSTEM, "prompt_template": TEMPLATE}
    cases = judging_cases(rng)
    write_cases(OUT / "judging.jsonl", header, cases)
    boot = bootstrap_cases(rng)
    (OUT / "bootstrap.json").write_text(json.dumps({"header": header, "cases": boot}, indent=1) + "\n")
    print(f"{len(cases)} judging cases, {len(boot)} bootstrap cases "
          f"({sum(c['upstream']['error'] is not None for c in boot)} upstream errors)")


if __name__ == "__main__":
    main()
