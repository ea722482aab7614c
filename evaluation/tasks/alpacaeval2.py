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
  ``max_tokens=1``, ``temperature=1``, ``logprobs``, ``top_logprobs=5``, one instruction per request. Which output
  is shown first is alpaca_eval's own coin (``is_switched``: ``"is_switched_outputs" + instruction + seed``,
  ``options.order_seed`` = the annotator's seed, 0 as upstream; recorded per item). The template is split into
  messages before it is filled, and filled in one pass (``judge_request``), so a model's text is never read as a
  placeholder or a ChatML marker (a documented deviation for such texts; the same messages otherwise). An output
  identical to the reference is a tie (1.5) without a judge call, as the package's ``PairwiseAnnotator``.
  The preference is the package's ``logprob_parser`` on the reply's top logprobs: ``2 - P(m) / (P(m) + P(M))``
  (1: the first shown output is better, 2: the second), turned back to the unswitched orientation (1: reference,
  2: model).
* **Failures**: a failed request (``JudgeReply.error``) is left out of both win rates. A reply whose top logprobs
  hold neither ``m`` nor ``M``, or are an empty list, is the package's NaN (unparsable, ``Judge.note_unparsable``):
  as upstream, it is out of the raw win rate and the GLM still predicts its LC preference. Counts in ``summary``
  (``n_judged``, ``n_failed``, ``n_unparsable``, ``n_identical_to_reference``).
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

import logging
import math
import random
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

from evaluation.family_prompts import pairwise_prompt
from evaluation.judge import JudgeReply, JudgeRequest, LocalVerdict, judge_for
from evaluation.tasks._judged import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_UNPARSABLE,
    ask,
    fill_placeholders,
    status_counts,
)
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
    """The annotator's chat request for one instruction with ``first`` shown as ``m`` and ``second`` as ``M``.

    Upstream fills the whole template with ``make_prompts`` (one ``str.replace`` per placeholder, in turn) and then
    splits the text into messages with ``prompt_to_chatml``. Here the package's ``prompt_to_chatml`` splits the
    *template* (which holds no model text) and each message is filled by ``fill_placeholders`` in one pass: the
    same messages for every answer that holds no placeholder name and no ChatML marker (checked against the
    package's own pipeline by the golden tests); for those that do, the answer stays where it was written instead
    of absorbing the other output (``{output_2}``) or breaking the prompt (``<|im_start|>`` makes
    ``prompt_to_chatml`` fail, ``<|im_end|>`` truncates the message) — a documented deviation."""
    fields = {"instruction": instruction, "output_1": first, "output_2": second}
    messages = [(m["role"], fill_placeholders(m["content"], {k: v for k, v in fields.items()
                                                              if "{" + k + "}" in m["content"]}))
                for m in _template_messages()]
    return JudgeRequest(tuple(messages), **judge_params())


@cache
def _template_messages() -> tuple[dict[str, str], ...]:
    """The annotator's template split into ChatML messages by the package's ``prompt_to_chatml``; every
    placeholder must occur once in all (``make_prompts``' own check for ``batch_size=1``)."""
    from alpaca_eval import utils as ae_utils

    messages = tuple(ae_utils.prompt_to_chatml(annotator_config()["prompt_text"]))
    joined = "".join(m["content"] for m in messages)
    if any(joined.count("{" + k + "}") != 1 for k in ("instruction", "output_1", "output_2")):
        raise ValueError(f"{ANNOTATOR}: the prompt template does not hold each placeholder once")
    if any(set(m) - {"role", "content"} for m in messages):
        raise ValueError(f"{ANNOTATOR}: the prompt template has messages with more than a role and content")
    return messages


def shown_preference(reply: JudgeReply, asked_top_logprobs: int | None = None) -> float | None:
    """alpaca_eval's ``logprob_parser`` (with the annotator's parser kwargs) on the reply's first-token top
    logprobs: in [1, 2], 1 = the output shown as ``m`` is better. None (the package's NaN: the row is dropped)
    when the reply has no top logprobs, neither ``m`` nor ``M`` among them, or an empty list of alternatives. The
    judge client stores an empty ``top_logprobs`` list as the sampled token alone, so a single entry where
    ``asked_top_logprobs`` > 1 alternatives were asked for is read as that empty list."""
    from alpaca_eval.completion_parsers import logprob_parser

    if not reply.top_logprobs:
        return None
    first = reply.top_logprobs[0]
    if asked_top_logprobs is not None and asked_top_logprobs > 1 and len(first) < 2:
        first = {}
    completion = {"logprobs": {"content": [
        {"top_logprobs": [{"token": t, "logprob": lp} for t, lp in first.items()]}]}}
    kwargs = annotator_config()["completion_parser_kwargs"]
    with _quiet_logging():
        value = float(logprob_parser(completion, log_prob_index=0, **kwargs)[0])
    return None if math.isnan(value) else value


def is_switched(instruction: str, seed: int = 0) -> bool:
    """Whether the model's output is shown first (as ``m``): alpaca_eval's own coin. ``PairwiseAnnotator`` sets up
    ``RandomSwitchTwoColumnsProcessor`` with the switch column ``is_switched_outputs``, seeded on the instruction
    and the annotator's seed (0 by default): ``random_seeded_choice("is_switched_outputs" + instruction +
    str(seed), [False, True])``."""
    from alpaca_eval import utils as ae_utils

    return bool(ae_utils.random_seeded_choice(seed=f"is_switched_outputs{instruction}{seed}", choices=[False, True]))


@contextmanager
def _quiet_logging() -> Iterator[None]:
    """alpaca_eval logs a warning per reply without ``m``/``M``; the task counts those instead."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


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
        """One annotator request per instruction; the preference per item (see the module docstring). An output
        identical to the reference gets 1.5 without a judge call (the package's ``PairwiseAnnotator`` rule)."""
        seed = int(ctx.options.get("order_seed", self.order_seed))
        outputs = [rs[0] if rs else "" for rs in responses]
        switched = [is_switched(it["instruction"], seed) for it in items]
        asked = [i for i, (it, out) in enumerate(zip(items, outputs, strict=True)) if out != it["output"]]
        requests = [judge_request(items[i]["instruction"], *((outputs[i], items[i]["output"]) if switched[i]
                                                              else (items[i]["output"], outputs[i]))) for i in asked]
        n_logprobs = judge_params()["top_logprobs"]
        verdicts = dict(zip(asked, ask(judge_for(self, ctx), requests, lambda r: shown_preference(r, n_logprobs),
                                       f"{self.id} judging"), strict=True)) if asked else {}
        lc_source = "synthetic" if items and all(it.get("dataset") == SYNTHETIC_DATASET for it in items) \
            else str(task_file(ctx, self.id, DF_GAMED.name))
        results = []
        for i, (out, sw) in enumerate(zip(outputs, switched, strict=True)):
            detail: dict[str, Any] = {"model_shown_first": sw, "output": out, "df_gamed": lc_source}
            v = verdicts.get(i)
            if v is None:  # identical to the reference: a tie without asking
                results.append(ItemResult(0.5, 1.5, {**detail, "status": STATUS_OK, "identical_to_reference": True,
                                                     "judge_text": None}))
                continue
            detail.update(status=v.status, judge_text=v.text)
            if v.status == STATUS_FAILED:
                results.append(ItemResult(0.0, None, {**detail, "error": v.error}))
            elif v.status == STATUS_UNPARSABLE:
                results.append(ItemResult(0.0, None, detail))
            else:
                pref = 3.0 - v.value if sw else v.value  # back to output_1 = reference, output_2 = model
                results.append(ItemResult(pref - 1.0, pref, {**detail,
                                                             "top_logprobs": dict(v.reply.top_logprobs[0])}))
        return results

    def _metrics(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, float] | None:
        """The package's metrics over the judged items: an unparsable judgment is a NaN preference (the package
        leaves it out of the raw win rate and still predicts its LC preference, as upstream); a failed request
        is left out altogether."""
        kept = [(i, it, r) for i, (it, r) in enumerate(zip(items, results, strict=True))
                if r.detail.get("status") in (STATUS_OK, STATUS_UNPARSABLE)]
        if not any(r.detail.get("status") == STATUS_OK for _, _, r in kept):
            return None
        source = results[0].detail["df_gamed"]
        with tempfile.TemporaryDirectory() as tmp:
            if source == "synthetic":
                path = Path(tmp) / DF_GAMED.name
                synthetic_df_gamed(len(items)).to_csv(path, index=False)
            else:
                path = Path(source)
            return win_rates([math.nan if r.extracted is None else r.extracted for _, _, r in kept],
                             [i for i, _, _ in kept], [r.detail["output"] for _, _, r in kept],
                             [it["output"] for _, it, _ in kept], path)

    def aggregate_rows(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]
                       ) -> dict[str, float | None]:
        m = self._metrics(items, results)
        return {"alpacaeval2": None if m is None else m["length_controlled_winrate"],
                "alpacaeval2_wr": None if m is None else m["win_rate"]}

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        return self.aggregate_rows(items, results)["alpacaeval2"]

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Counts (judged / failed / unparsable / identical to the reference; ``excluded``: the items without a
        preference, i.e. failed or unparsable), the package's standard errors and win/draw counts, and how many
        items showed the model first."""
        status = [r.detail.get("status") for r in results]
        out: dict[str, Any] = {
            "n_items": len(results), **status_counts(status),
            "n_identical_to_reference": sum(bool(r.detail.get("identical_to_reference")) for r in results),
            "excluded": [i for i, s in enumerate(status) if s != STATUS_OK],
            "n_model_shown_first": sum(bool(r.detail.get("model_shown_first")) for r in results),
            "failures": "failed judgments are left out; unparsable ones are NaN preferences: out of WR, LC predicted "
                        "by the GLM (as upstream)",
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
