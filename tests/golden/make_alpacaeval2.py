"""Golden file for AlpacaEval-2: what alpaca_eval's own pipeline does with realistic and adversarial answers and
judge replies. Run: ``.venv/bin/python tests/golden/make_alpacaeval2.py`` (writes tests/golden/alpacaeval2/).

Upstream is the installed ``alpaca-eval`` package, version pinned by the lock (0.6.6): its ``PairwiseAnnotator``
with the ``weighted_alpaca_eval_gpt4_turbo`` config, whose completion function is replaced by a stand-in that
records what would be sent (``prompt_to_chatml`` of each prompt, as ``openai_completions`` does) and answers with
the case's top logprobs. Per case it records: the coin (``is_switched_outputs``), whether the judge was asked,
the messages it would have got (or the exception upstream raised) and the final preference (NaN -> null).
Metric cases run ``metrics.glm_winrate.get_length_controlled_winrate`` on preference vectors with NaN rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys
import tempfile
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from _upstream import write_cases  # noqa: E402
from judged_texts import text  # noqa: E402

OUT = Path(__file__).parent / "alpacaeval2"
N_CASES = 400


def messages_digest(messages: list[dict[str, str]]) -> str:
    """sha256 of the (role, content) pairs as JSON: the form the tests compare."""
    pairs = [[m["role"], m["content"]] for m in messages]
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def top_logprobs(rng: random.Random) -> tuple[list[dict[str, float]], str]:
    """A judge's first-token top-logprobs list (and the sampled token): realistic and degenerate ones."""
    kind = rng.choice(["both", "both", "both", "m_only", "M_only", "neither", "empty", "dup", "extreme", "five"])
    lm, lbig = -rng.expovariate(1.0), -rng.expovariate(1.0)
    lists = {
        "both": [{"token": "m", "logprob": lm}, {"token": "M", "logprob": lbig}],
        "m_only": [{"token": "m", "logprob": lm}, {"token": "Both", "logprob": -3.0}],
        "M_only": [{"token": "M", "logprob": lbig}, {"token": "The", "logprob": -5.0}],
        "neither": [{"token": "Both", "logprob": -0.1}, {"token": "The", "logprob": -2.0}],
        "empty": [],
        "dup": [{"token": "m", "logprob": lm}, {"token": "m", "logprob": lm - 1}, {"token": "M", "logprob": lbig}],
        "extreme": [{"token": "m", "logprob": -1e-9}, {"token": "M", "logprob": -60.0}],
        "five": [{"token": t, "logprob": -float(i) - 0.01} for i, t in enumerate(rng.sample(
            ["m", "M", " m", "Both", "The", "model", "MM"], 5))],
    }
    chosen = lists[kind]
    sampled = max(chosen, key=lambda t: t["logprob"])["token"] if chosen else rng.choice(["m", "M"])
    return chosen, sampled


def run_upstream(case: dict) -> dict:
    import alpaca_eval.annotators.base as base
    from alpaca_eval import processors, utils
    from alpaca_eval.annotators import PairwiseAnnotator

    sent: list = []

    def factory(_name):
        def fake(prompts, **_kw):
            out = []
            for p in prompts:
                try:
                    sent.append(utils.prompt_to_chatml(p))
                except Exception as exc:  # what openai_completions would raise
                    sent.append(f"{type(exc).__name__}")
                    raise
                out.append({"logprobs": {"content": [{"top_logprobs": case["top_logprobs"]}]}})
            n = len(prompts)
            return {"completions": [case["sampled"]] * n, "completions_all": out,
                    "price_per_example": [0.0] * n, "time_per_example": [0.0] * n}
        return fake

    row = {"instruction": case["instruction"], "output_1": case["reference"], "output_2": case["output"]}
    coin = processors.RandomSwitchTwoColumnsProcessor(
        two_columns_to_switch=["output_1", "output_2"], random_seed_columns=["instruction"],
        _switch_column="is_switched_outputs", seed=case["seed"])
    import pandas as pd

    switched = bool(coin.preprocess(pd.DataFrame([row]))["is_switched_outputs"].iloc[0])
    result: dict = {"is_switched": switched}
    with mock.patch.object(base, "get_fn_completions", factory):
        annotator = PairwiseAnnotator(annotators_config="weighted_alpaca_eval_gpt4_turbo", caching_path=None,
                                      seed=case["seed"], is_avoid_reannotations=False)
        try:
            pref = annotator([row])[0]["preference"]
            result["preference"] = None if pref is None or math.isnan(float(pref)) else float(pref)
            result["error"] = None
        except Exception as exc:
            result["preference"], result["error"] = None, type(exc).__name__
    result["judge_called"] = bool(sent)
    if sent and isinstance(sent[0], list):
        result["messages_sha256"] = messages_digest(sent[0])
    else:
        result["messages_sha256"] = None
    return result


def metric_cases(rng: random.Random) -> list[dict]:
    import pandas as pd
    from alpaca_eval.metrics import glm_winrate

    from evaluation.tasks.alpacaeval2 import ANNOTATOR, BASELINE, synthetic_df_gamed

    out = []
    for k in range(8):
        n = rng.choice([8, 12, 24])
        prefs = [rng.choice([1.0, 2.0, 1.5, rng.uniform(1, 2), math.nan if k % 2 else rng.uniform(1, 2)])
                 for _ in range(n)]
        model = [" ".join(["word"] * rng.randint(1, 200)) for _ in range(n)]
        base_out = [" ".join(["base"] * rng.randint(1, 200)) for _ in range(n)]
        df = pd.DataFrame({"preference": prefs, "output_1": base_out, "output_2": model, "generator_1": BASELINE,
                           "generator_2": "model", "annotator": ANNOTATOR}, index=list(range(n)))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "df_gamed.csv"
            synthetic_df_gamed(n).to_csv(path, index=False)
            with mock.patch.object(glm_winrate, "hf_hub_download", return_value=str(path)):
                m = glm_winrate.get_length_controlled_winrate(df, save_weights_dir=None, is_warn_extreme_changes=False)
        out.append({"preferences": [None if math.isnan(p) else p for p in prefs], "outputs": model,
                    "references": base_out, "win_rate": float(m["win_rate"]),
                    "length_controlled_winrate": float(m["length_controlled_winrate"])})
    return out


def main() -> None:
    import logging
    import warnings

    import alpaca_eval

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    rng = random.Random(20241206)
    cases = []
    for i in range(N_CASES):
        instruction = text(rng, 0.3, model_text=False)
        reference = text(rng, 0.3, model_text=False)
        output = reference if i % 25 == 0 else text(rng, 0.5)
        lps, sampled = top_logprobs(rng)
        case = {"id": i, "seed": 0 if i % 5 else 1, "instruction": instruction, "reference": reference,
                "output": output, "top_logprobs": lps, "sampled": sampled}
        case["upstream"] = run_upstream(case)
        cases.append(case)
    header = {"upstream": f"alpaca-eval {alpaca_eval.__version__} (PyPI, installed from requirements/locks)",
              "annotator": "weighted_alpaca_eval_gpt4_turbo", "generator": "tests/golden/make_alpacaeval2.py"}
    write_cases(OUT / "cases.jsonl", header, cases)
    (OUT / "metrics.json").write_text(json.dumps({"header": header, "cases": metric_cases(rng)}, indent=1) + "\n")
    print(f"{len(cases)} cases, {sum(c['upstream']['error'] is not None for c in cases)} upstream errors")


if __name__ == "__main__":
    main()
