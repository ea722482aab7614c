"""Golden file for MT-Bench: FastChat's ``llm_judge`` at 0e6d3e4 on realistic and adversarial judge replies and
answers. Run: ``.venv/bin/python tests/golden/make_mt_bench.py <clone of lm-sys/FastChat>`` (writes
tests/golden/mt_bench/).

* ``rating.jsonl``: ``common.run_judge_single`` (its ``chat_completion_openai`` replaced by a stand-in returning the
  case's judgment; ``openai``, ``anthropic`` and ``fastchat.model.model_adapter`` stubbed, since only the prompt
  filling and the rating parsing run) with the project's stand-in judge templates (the real templates' names,
  fields and placeholders): per case the user prompt (sha256) and the rating, or the exception it raised.
* ``aggregate.json``: ``show_result.display_result_single`` on judgment tables (model, score, turn): the turn-1,
  turn-2 and overall means it prints.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tempfile
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from _upstream import export, write_cases  # noqa: E402
from judged_texts import text  # noqa: E402

COMMIT = "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
OUT = Path(__file__).parent / "mt_bench"


def stub_modules() -> None:
    """``openai``/``anthropic`` (never called here) and the model adapter (only its conversation object)."""
    class Conv:
        roles = ("user", "assistant")

        def set_system_message(self, text: str) -> None:
            self.system = text

        def append_message(self, role: str, text: str | None) -> None:
            pass

    adapter = types.ModuleType("fastchat.model.model_adapter")
    adapter.get_conversation_template = lambda model: Conv()
    adapter.ANTHROPIC_MODEL_LIST = ()
    adapter.OPENAI_MODEL_LIST = ("gpt-4", "gpt-4-0125-preview")
    model_pkg = types.ModuleType("fastchat.model")
    model_pkg.__path__ = []
    sys.modules.update({"openai": types.ModuleType("openai"), "anthropic": types.ModuleType("anthropic"),
                        "fastchat.model": model_pkg, "fastchat.model.model_adapter": adapter})


def judgment(rng: random.Random) -> str:
    r = rng.randint(1, 10)
    return rng.choice([
        f"The answer is good.\n\nRating: [[{r}]]", f"Rating: [[{r}.5]]", f"Rating: [{r}]", f"[[{r}]] and [[{r % 10 + 1}]]",
        f"Rating: [[0{r}]]", "Rating: [[0]]", "Rating: [[11]]", "Rating: [[100]]", f"Rating: [[{r}.]]",
        f"Rating: [[{r}.25]]", "No rating given.", "Rating: [[seven]]", f"Rating: [[ {r} ]]", f"Rating: [{r}.0]",
        f"Rating: [[-{r}]]", "$ERROR$", "", f"{text(rng, 0.9, False)} Rating: [[{r}]]", text(rng, 0.9, False),
        f"[1] first point [2] second. Rating: [[{r}]]", f"[{r}] then [[{r % 10 + 1}]]", f"Rating: [[{r}.5.5]]",
        f"Rating: [[{r}]]\n\n(citation [3])", f"Rating: [[1{r}]]", f"Rating: [[{r}/10]]",
    ])


def rating_cases(rng: random.Random) -> list[dict]:
    from fastchat.llm_judge import common

    from evaluation.tasks.mt_bench import STANDIN_JUDGE_PROMPTS

    cases = []
    for i in range(400):
        name = rng.choice(sorted(STANDIN_JUDGE_PROMPTS))
        multi = name.endswith("multi-turn")
        question = {"question_id": 10_000 + i, "turns": [f"Q{i}: " + text(rng, 0.2, False), "Second question."]}
        answers = [text(rng, 0.6, False), text(rng, 0.6, False)]
        ref = [f"Reference {i}: " + text(rng, 0.2, False), "Reference two."]
        reply = judgment(rng)
        case = {"id": i, "prompt": name, "question": question["turns"], "answers": answers,
                "reference": ref if "math" in name else None, "judgment": reply}
        common.chat_completion_openai = lambda model, conv, temperature, max_tokens, api_dict=None, _r=reply: _r
        judge = common.Judge("gpt-4-0125-preview", STANDIN_JUDGE_PROMPTS[name], ref_based="math" in name,
                             multi_turn=multi)
        ref_answer = {"choices": [{"turns": ref}]} if "math" in name else None
        try:
            rating, user_prompt, _ = common.run_judge_single(question, {"choices": [{"turns": answers}]}, judge,
                                                             ref_answer, multi_turn=multi)
            case["upstream"] = {"rating": rating, "error": None,
                                "user_prompt_sha256": hashlib.sha256(user_prompt.encode()).hexdigest()}
        except Exception as exc:
            case["upstream"] = {"rating": None, "error": type(exc).__name__, "user_prompt_sha256": None}
        cases.append(case)
    return cases


def aggregate_cases(rng: random.Random) -> list[dict]:
    import show_result

    out = []
    for _ in range(20):
        n = rng.randint(2, 30)
        ratings = [[rng.choice([-1, *range(1, 11), 7.5, 8.25]) for _ in range(2)] for _ in range(n)]
        rows = [{"question_id": q, "model": "m", "score": s, "turn": t + 1}
                for q, pair in enumerate(ratings) for t, s in enumerate(pair)]
        printed: list = []
        show_result.print = lambda *a, _p=printed: _p.append(a)
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as f:
            f.write("\n".join(json.dumps(r) for r in rows))
            f.flush()
            show_result.display_result_single(types.SimpleNamespace(input_file=f.name, bench_name="mt_bench",
                                                                    model_list=None, judge_model="gpt-4"))
        frames = [a[0] for a in printed if a and hasattr(a[0], "to_dict")]

        def value(frame) -> float | None:
            return float(frame["score"].iloc[0]) if len(frame) else None

        out.append({"ratings": ratings, "turn1": value(frames[0]), "turn2": value(frames[1]),
                    "overall": value(frames[2])})
    return out


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    where = export(Path(sys.argv[1]), COMMIT, ["fastchat/__init__.py", "fastchat/llm_judge/common.py",
                                               "fastchat/llm_judge/show_result.py"])
    sys.path.insert(0, str(where / "fastchat" / "llm_judge"))
    stub_modules()
    rng = random.Random(80)
    header = {"upstream": f"lm-sys/FastChat@{COMMIT}", "generator": "tests/golden/make_mt_bench.py",
              "templates": "evaluation.tasks.mt_bench.STANDIN_JUDGE_PROMPTS"}
    cases = rating_cases(rng)
    write_cases(OUT / "rating.jsonl", header, cases)
    agg = aggregate_cases(rng)
    (OUT / "aggregate.json").write_text(json.dumps({"header": header, "cases": agg}, indent=1) + "\n")
    print(f"{len(cases)} rating cases ({sum(c['upstream']['error'] is not None for c in cases)} upstream errors), "
          f"{len(agg)} aggregate cases")


if __name__ == "__main__":
    main()
