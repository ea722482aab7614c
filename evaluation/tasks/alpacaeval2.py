"""AlpacaEval 2.0: 805 instructions, each model output judged against gpt-4-1106-preview's by the
``weighted_alpaca_eval_gpt4_turbo`` annotator; the length-controlled win rate (LC) and the raw win rate (WR).

Protocol (alpaca_eval 0.6.6, https://github.com/tatsu-lab/alpaca_eval, and FuseEval's ``IF-Eval/AlpacaEval-2``,
https://github.com/SLIT-AI/FuseChat-3.0/tree/5af2badba59fc4561202e19a7311ec119a19a73b/FuseEval/IF-Eval/AlpacaEval-2):

* **Data**: the hub dataset ``tatsu-lab/alpaca_eval`` config ``alpaca_eval_gpt4_baseline`` (instruction, reference
  ``output`` of gpt4_1106_preview, ``dataset``, ``generator``; CC BY-NC 4.0). On the hub it is a loading script that
  ``datasets`` 4 no longer runs, so the items are read from the JSON file itself, pinned: FuseEval's vendored copy
  of that file (``ref_data/alpaca_eval_gpt4_baseline.json``, the exact bytes the paper's harness read), and
  ``df_gamed.csv`` (the length-controlled GLM's instruction difficulties and the verbose/concise "gamed" baseline
  annotations, upstream ``hf_hub_download``-ed from the same hub dataset) from the same commit.
* **Generation**: the instruction as the only user turn; per-family decoding, see
  ``evaluation.tasks._pairwise.alpaca_decoding`` (``options.decoding``: ``fuseeval_sampling`` | ``greedy`` | ``leaderboard_config``).
* **Judge**: the annotator's prompt and request parameters are read at run time from the installed ``alpaca_eval``
  package (``evaluators_configs/weighted_alpaca_eval_gpt4_turbo/configs.yaml`` and the prompt file it names):
  ``max_tokens=1``, ``temperature=1``, ``logprobs``, ``top_logprobs=5``, one instruction per request. The two
  outputs are shown in an order drawn per instruction by a seeded RNG (``options.order_seed``, recorded per item).
  The preference is the package's ``logprob_parser`` on the reply's top logprobs: ``2 - P(m) / (P(m) + P(M))``
  (1: the first shown output is better, 2: the second), turned back to the unswitched orientation (1: reference,
  2: model).
* **Failures**: a failed request (``JudgeReply.error``) and a reply without ``m``/``M`` among its top logprobs
  (unparsable, ``Judge.note_unparsable``) are **excluded** from both win rates, never counted as ties, and their
  numbers are reported in ``summary`` (``n_judged``, ``n_failed``, ``n_unparsable``). Upstream alpaca_eval also
  drops unparsable preferences from the raw win rate; its GLM would still predict an LC preference for them.
* **Metrics**: computed by the ``alpaca_eval`` package itself: ``metrics.get_winrate`` (WR: mean preference - 1,
  x100) and ``metrics.glm_winrate.get_length_controlled_winrate`` (GLM ``length_controlled_v1``), given our
  fetched ``df_gamed.csv`` in place of its hub download and ``save_weights_dir=None`` (it would write into the
  installed package otherwise).
* **Tiny world**: synthetic items (``dataset == "tiny_synthetic"``) use the real judge prompt (the package ships
  it) and a synthetic ``df_gamed.csv`` in the real schema built by ``synthetic_df_gamed``. Measured: the package's
  GLM fits on 4-24 items (its 5-fold CV runs over the gamed rows too); on 4 items the L1 path keeps no weight and LC
  is exactly 50.0, on 8 and 24 it moves with the data.
"""

from __future__ import annotations

import math
import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from evaluation.families import pairwise_prompt
from evaluation.judge import JudgeReply, JudgeRequest, LocalVerdict, judge_for
from evaluation.tasks._pairwise import ALPACA_DECODING_CHOICES, MAX_MODEL_LEN, alpaca_decoding, task_file
from evaluation.tasks.base import (
    FUSECHAT_TABLES,
    DataFile,
    DataSpec,
    Decoding,
    Family,
    ItemResult,
    Prompt,
    ScoreContext,
    TableRow,
    Task,
)

ANNOTATOR = "weighted_alpaca_eval_gpt4_turbo"
BASELINE = "gpt4_1106_preview"
SYNTHETIC_DATASET = "tiny_synthetic"
FUSECHAT_COMMIT = "5af2badba59fc4561202e19a7311ec119a19a73b"
_REF = f"https://raw.githubusercontent.com/SLIT-AI/FuseChat-3.0/{FUSECHAT_COMMIT}/FuseEval/IF-Eval/AlpacaEval-2/ref_data"
ITEMS_FILE = DataFile("alpaca_eval_gpt4_baseline.json", f"{_REF}/alpaca_eval_gpt4_baseline.json",
                      "83db546b872ddebee8965fd05fa48461ee3c32bc695c62fb57f2d214ff741ec4")
DF_GAMED = DataFile("df_gamed.csv", f"{_REF}/df_gamed.csv",
                    "97aeec3f1c7de6dee6fd31fe66f1702623f4614c3efe1c6fc5f4927cd5fd674d")
#: Temperature (in reward units) of the local tiny judge's logistic: P(m) = sigmoid((r_m - r_M) / T).
LOCAL_JUDGE_TEMPERATURE = 1.0
STATUS_OK, STATUS_FAILED, STATUS_UNPARSABLE = "ok", "failed", "unparsable"


# ---------------------------------------------------------------------- the annotator, from the installed package
@cache
def annotator_config() -> dict[str, Any]:
    """``weighted_alpaca_eval_gpt4_turbo``'s config and prompt template, read from the installed alpaca_eval."""
    import yaml
    from alpaca_eval import utils as ae_utils

    root = Path(ae_utils.__file__).parent / "evaluators_configs"
    cfg = yaml.safe_load((root / ANNOTATOR / "configs.yaml").read_text())[ANNOTATOR]
    cfg["prompt_text"] = (root / cfg["prompt_template"]).read_text()
    return cfg


def judge_params() -> dict[str, Any]:
    """The request parameters of the annotator (``max_tokens``, ``temperature``, ``logprobs``, ``top_logprobs``)."""
    kw = annotator_config()["completions_kwargs"]
    return {"temperature": float(kw["temperature"]), "max_tokens": int(kw["max_tokens"]),
            "logprobs": bool(kw["logprobs"]), "top_logprobs": int(kw["top_logprobs"])}


def judge_request(instruction: str, first: str, second: str) -> JudgeRequest:
    """The annotator's chat request for one instruction with ``first`` shown as ``m`` and ``second`` as ``M``
    (the package's own ``make_prompts`` fills the template, ``prompt_to_chatml`` splits it into messages)."""
    import pandas as pd
    from alpaca_eval import utils as ae_utils

    df = pd.DataFrame([{"instruction": instruction, "output_1": first, "output_2": second}])
    prompts, _ = ae_utils.make_prompts(df, annotator_config()["prompt_text"], batch_size=1)
    return JudgeRequest.of(ae_utils.prompt_to_chatml(prompts[0]), **judge_params())


def shown_preference(reply: JudgeReply) -> float | None:
    """alpaca_eval's ``logprob_parser`` (with the annotator's parser kwargs) on the reply: in [1, 2], 1 = the output
    shown as ``m`` is better. None when the reply carries no top logprobs or neither ``m`` nor ``M`` among them."""
    from alpaca_eval.completion_parsers import logprob_parser

    if not reply.top_logprobs:
        return None
    completion = {"logprobs": {"content": [
        {"top_logprobs": [{"token": t, "logprob": lp} for t, lp in reply.top_logprobs[0].items()]}]}}
    kwargs = annotator_config()["completion_parser_kwargs"]
    value = float(logprob_parser(completion, log_prob_index=0, **kwargs)[0])
    return None if math.isnan(value) else value


def is_switched(instruction: str, seed: int) -> bool:
    """Whether the model's output is shown first (as ``m``): a fair coin seeded by (seed, instruction), so the order
    does not depend on item order or on the other items."""
    return random.Random(f"{seed}\n{instruction}").random() < 0.5


# ---------------------------------------------------------------------- the tiny world's df_gamed.csv
def synthetic_df_gamed(n: int, seed: int = 0):  # -> pandas.DataFrame
    """A ``df_gamed.csv`` for ``n`` instructions in the real file's schema (``preference, index, std_delta_len,
    instruction_difficulty, not_gamed_baseline, model``): two gamed baselines (verbose: longer, mostly preferred;
    concise: shorter, mostly not), the ``n`` rows of each in index order as in the real file, difficulty per
    instruction shared by both. Numbers are made up (seeded); only the structure is the real one."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    difficulty = rng.normal(0.0, 1.5, n)
    difficulty[0] = 0.0  # the real file's first instruction is the reference level
    rows = []
    for model, sign in (("gpt4_1106_preview_verbose", -1.0), ("gpt4_1106_preview_concise", 1.0)):
        delta = sign * np.abs(rng.normal(1.0, 0.8, n))  # len(baseline) - len(gamed), standardised
        pref = 1.0 / (1.0 + np.exp(1.5 * delta + 0.3 * difficulty))
        rows += [{"preference": float(pref[i]), "index": i, "std_delta_len": float(delta[i]),
                  "instruction_difficulty": float(difficulty[i]), "not_gamed_baseline": False, "model": model}
                 for i in range(n)]
    return pd.DataFrame(rows)


def win_rates(preferences: Sequence[float], positions: Sequence[int], model_outputs: Sequence[str],
              baseline_outputs: Sequence[str], df_gamed_path: Path) -> dict[str, float]:
    """Raw and length-controlled win rate by the alpaca_eval package (``get_length_controlled_winrate``, which also
    returns ``get_winrate``'s figures). ``preferences`` in [1, 2] (2 = model wins); ``positions`` = each item's
    index in the benchmark (the GLM looks the instruction difficulty up by it)."""
    from unittest import mock

    import pandas as pd
    from alpaca_eval.metrics import glm_winrate

    df = pd.DataFrame({"preference": list(preferences), "output_1": list(baseline_outputs),
                       "output_2": list(model_outputs), "generator_1": BASELINE, "generator_2": "model",
                       "annotator": ANNOTATOR}, index=list(positions))
    with mock.patch.object(glm_winrate, "hf_hub_download", return_value=str(df_gamed_path)):
        out = glm_winrate.get_length_controlled_winrate(df, save_weights_dir=None, is_warn_extreme_changes=False)
    return {k: float(v) for k, v in out.items()}


# ---------------------------------------------------------------------- the task
class AlpacaEval2(Task):
    id = "alpacaeval2"
    version = "2"
    display = "AlpacaEval-2 (LC %)"
    category = "instruction_following"
    metric = "length-controlled win rate"
    tolerance = 3.0
    tolerance_why = "LLM judge + sampled decoding (T 0.5-0.7); 805 prompts"
    judge = "gpt-4-1106-preview (weighted_alpaca_eval_gpt4_turbo)"
    judge_model = "gpt-4-1106-preview"
    tables = (*FUSECHAT_TABLES, "wrpo_main")
    order = 1
    max_model_len = MAX_MODEL_LEN
    decoding = Decoding(temperature=0.6, top_p=0.9, max_new_tokens=4096)  # Llama-3.1's; per family: decoding_for
    data = DataSpec(None, split="eval", expected_items=805, licence="CC BY-NC 4.0", files=(DF_GAMED,),
                    note="tatsu-lab/alpaca_eval alpaca_eval_gpt4_baseline (gpt4_1106_preview reference outputs), "
                         f"read as FuseEval's vendored JSON at SLIT-AI/FuseChat-3.0@{FUSECHAT_COMMIT[:7]}")

    def __init__(self, decoding_choice: str = "fuseeval_sampling", order_seed: int = 0) -> None:
        if decoding_choice not in ALPACA_DECODING_CHOICES:
            raise ValueError(f"alpacaeval2: options.decoding {decoding_choice!r} is not one of "
                             f"{', '.join(ALPACA_DECODING_CHOICES)}")
        self.decoding_choice = decoding_choice
        self.order_seed = order_seed

    def configured(self, options: dict[str, Any]) -> AlpacaEval2:
        """``options.decoding`` (``fuseeval_sampling`` default | ``greedy`` | ``leaderboard_config``) and ``options.order_seed`` (int)."""
        return AlpacaEval2(options.get("decoding", self.decoding_choice), int(options.get("order_seed", self.order_seed)))

    def table_rows(self) -> tuple[TableRow, ...]:
        return (TableRow(self.id, self.display, self.tables, self.order),
                TableRow("alpacaeval2_wr", "AlpacaEval-2 (WR %)", ("wrpo_main",), 1.5, metric="raw win rate",
                         tolerance_why="LLM judge + sampled decoding", judge="gpt-4-1106-preview"))

    def protocol(self) -> dict[str, Any]:
        out = super().protocol()
        out.update(decoding_choice=self.decoding_choice, order_seed=self.order_seed, annotator=ANNOTATOR,
                   judge_params=judge_params(), per_family={f: asdict(alpaca_decoding(f, self.decoding_choice))
                                                            for f in ("llama3", "qwen2", "gemma2", "mistral")})
        return out

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
        """The 805 rows of the pinned JSON (sha256-checked by ``evaluation.fetch_data.download``)."""
        from evaluation.fetch_data import pinned_file_rows

        return pinned_file_rows(ITEMS_FILE), {"tatsu-lab/alpaca_eval alpaca_eval_gpt4_baseline (SLIT-AI/FuseChat-3.0 copy)": FUSECHAT_COMMIT}

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Instructions in the hub schema (``dataset``, ``instruction``, ``output`` = the reference's answer,
        ``generator``) with a mid-quality synthetic reference answer."""
        from fusechat.tiny_world.synthetic import general_prompt, general_response

        out = []
        for _ in range(n):
            instruction = general_prompt(rng)
            out.append({"dataset": SYNTHETIC_DATASET, "instruction": instruction,
                        "output": general_response(instruction, rng, quality=0.5), "generator": BASELINE})
        return out

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        return pairwise_prompt(item["instruction"], family)  # FuseEval configs/*.txt, no system block

    def decoding_for(self, item: dict[str, Any], family: Family) -> Decoding:
        return alpaca_decoding(family, self.decoding_choice)

    # ------------------------------------------------------------------ scoring
    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """One annotator request per instruction; the preference per item (see the module docstring)."""
        judge = judge_for(self, ctx)
        seed = int(ctx.options.get("order_seed", self.order_seed))
        switched = [is_switched(it["instruction"], seed) for it in items]
        outputs = [rs[0] if rs else "" for rs in responses]
        requests = [judge_request(it["instruction"], *((out, it["output"]) if sw else (it["output"], out)))
                    for it, out, sw in zip(items, outputs, switched, strict=True)]
        replies = judge.chat(requests, desc=f"{self.id} judging")
        results = []
        for out, sw, reply in zip(outputs, switched, replies, strict=True):
            detail: dict[str, Any] = {"model_shown_first": sw, "judge_text": reply.text}
            if reply.error is not None:
                results.append(ItemResult(0.0, None, {**detail, "status": STATUS_FAILED, "error": reply.error,
                                                      "output": out}))
                continue
            shown = shown_preference(reply)
            if shown is None:
                judge.note_unparsable()
                results.append(ItemResult(0.0, None, {**detail, "status": STATUS_UNPARSABLE, "output": out}))
                continue
            pref = 3.0 - shown if sw else shown  # back to output_1 = reference, output_2 = model
            results.append(ItemResult(pref - 1.0, pref, {**detail, "status": STATUS_OK, "output": out,
                                                         "top_logprobs": dict(reply.top_logprobs[0])}))
        lc_source = "synthetic" if items and all(it.get("dataset") == SYNTHETIC_DATASET for it in items) \
            else str(task_file(ctx, self.id, DF_GAMED.name))
        for r in results:
            r.detail["df_gamed"] = lc_source
        return results

    def _metrics(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, float] | None:
        kept = [(i, it, r) for i, (it, r) in enumerate(zip(items, results, strict=True))
                if r.detail.get("status") == STATUS_OK]
        if not kept:
            return None
        source = results[0].detail["df_gamed"]
        with tempfile.TemporaryDirectory() as tmp:
            if source == "synthetic":
                path = Path(tmp) / DF_GAMED.name
                synthetic_df_gamed(len(items)).to_csv(path, index=False)
            else:
                path = Path(source)
            return win_rates([r.extracted for _, _, r in kept], [i for i, _, _ in kept],
                             [r.detail["output"] for _, _, r in kept], [it["output"] for _, it, _ in kept], path)

    def aggregate_rows(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]
                       ) -> dict[str, float | None]:
        m = self._metrics(items, results)
        return {"alpacaeval2": None if m is None else m["length_controlled_winrate"],
                "alpacaeval2_wr": None if m is None else m["win_rate"]}

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        return self.aggregate_rows(items, results)["alpacaeval2"]

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Counts (judged / failed / unparsable, all excluded ones listed), the package's standard errors and
        win/draw counts, and how many items showed the model first."""
        status = [r.detail.get("status") for r in results]
        out: dict[str, Any] = {
            "n_items": len(results), "n_judged": status.count(STATUS_OK), "n_failed": status.count(STATUS_FAILED),
            "n_unparsable": status.count(STATUS_UNPARSABLE),
            "excluded": [i for i, s in enumerate(status) if s != STATUS_OK],
            "n_model_shown_first": sum(bool(r.detail.get("model_shown_first")) for r in results),
            "failures": "failed and unparsable judgments are excluded from WR and LC (not ties)",
        }
        m = self._metrics(items, results)
        if m is not None:
            out.update({k: m[k] for k in ("standard_error", "lc_standard_error", "n_wins", "n_wins_base",
                                          "n_draws", "n_total", "discrete_win_rate") if k in m})
        return out

    # ------------------------------------------------------------------ local tiny judge
    def local_verdict(self, request: Any, reward: Callable[[str, str], float]) -> LocalVerdict | None:
        """The annotator's prompt -> a one-token reply ``m`` or ``M`` (the output with the higher reward) with top
        logprobs for both tokens from ``P(m) = sigmoid((reward(m) - reward(M)) / LOCAL_JUDGE_TEMPERATURE)``."""
        parsed = parse_judge_prompt(request)
        if parsed is None:
            return None
        instruction, first, second = parsed
        diff = (reward(instruction, first) - reward(instruction, second)) / LOCAL_JUDGE_TEMPERATURE
        lp_m = -math.log1p(math.exp(-diff)) if diff > -30 else diff  # log sigmoid(diff)
        lp_big = -math.log1p(math.exp(diff)) if diff < 30 else -diff  # log sigmoid(-diff)
        return LocalVerdict("m" if diff >= 0 else "M", ({"m": lp_m, "M": lp_big},))


@cache
def _prompt_pattern() -> re.Pattern[str]:
    """A regex over the annotator's user message, built from the package's template (its literal text around the
    ``{instruction}``, ``{output_1}``, ``{output_2}`` placeholders)."""
    from alpaca_eval import utils as ae_utils

    user = next(m["content"] for m in ae_utils.prompt_to_chatml(annotator_config()["prompt_text"])
                if m["role"] == "user")
    parts = re.split(r"\{instruction\}|\{output_1\}|\{output_2\}", user)
    if len(parts) != 4:
        raise ValueError(f"{ANNOTATOR}: unexpected prompt template (placeholders {len(parts) - 1}, expected 3)")
    return re.compile("".join((re.escape(parts[0]), "(.*)", re.escape(parts[1]), "(.*)", re.escape(parts[2]),
                               "(.*)", re.escape(parts[3]))), re.DOTALL)


def parse_judge_prompt(request: Any) -> tuple[str, str, str] | None:
    """(instruction, output shown as m, output shown as M) of an annotator request, else None."""
    users = [c for r, c in request.messages if r == "user"]
    if len(users) != 1 or "model_identifier" not in users[0]:
        return None
    found = _prompt_pattern().fullmatch(users[0])
    return None if found is None else (found.group(1), found.group(2), found.group(3))


TASK = AlpacaEval2()
