"""Arena-Hard-Auto v0.1: 500 hard prompts, each answer judged pairwise against gpt-4-0314's in two games with the
positions swapped; a Bradley-Terry fit gives the model's win rate vs gpt-4-0314 (fixed at 50) with a bootstrap CI.

Protocol (lmarena/arena-hard-auto at ``ARENA_COMMIT``, the last v0.1-layout commit before the v2.0 rewrite,
https://github.com/lmarena/arena-hard-auto/tree/3071ef95d913bb5cd632641db336a3b6c7fe4bdd, as FuseEval's
``IF-Eval/Arena-Hard`` ran it):

* **Data** (pinned files, sha256-checked): ``data/arena-hard-v0.1/question.jsonl`` (500 questions; byte-identical
  to FuseEval's copy), FuseEval's ``IF-Eval/Arena-Hard/data/arena-hard-gpt-4-0314.json`` (the 500 gpt-4-0314
  baseline answers, the same text as upstream's ``model_answer/gpt-4-0314.jsonl``) and
  ``config/judge_config.yaml`` (judge system prompt, prompt template, temperature 0, max_tokens 4096, the verdict
  regex ``\\[\\[([AB<>=]+)\\]\\]``, 2 judgment attempts: the same values as FuseEval's ``judge_configs``).
* **Generation**: greedy, 4,096 new tokens, the question as the only user turn (``_pairwise.greedy_decoding``).
* **Judging**: game 1 shows the baseline as A and the model as B, game 2 the reverse. A reply is parsed as
  upstream ``gen_judgment.get_score`` does: every regex match of the accumulated judgment; no match -> one more
  attempt (the conversation continues with the judge's text and "continue your judgment and finish by outputting a
  final verdict label", so the second request differs from the first and has its own cache key); two different
  verdicts -> no score, no retry. ``options.verdict_fallback: true`` adds the single-bracket pattern
  ``\\[([AB<>=]+)\\]`` tried when the double one finds nothing (upstream's later configs; FuseEval used only the
  double one, the default here). Matching is case- and space-sensitive, as upstream (``[[a>b]]``, ``[[A > B]]``
  are not verdicts).
* **Failures**: a failed request (``JudgeReply.error``: upstream would have judged the text ``$ERROR$``), no
  verdict after both attempts, two different verdicts, or a verdict outside the five labels make the game
  unparsable/failed: it contributes no battle (upstream drops it silently with weight 0) and is counted
  (``Judge.note_unparsable`` and ``summary``).
* **Score** (upstream ``show_result.py`` / ``utils_math.py``): battles with ``>>`` verdicts repeated 3 times
  (``--weight 3``), ties as one win each way; ``compute_mle_elo``'s logistic regression without intercept or
  penalty on ``±log(10)`` design columns (SCALE 400, BASE 10, INIT 1000, gpt-4-0314 anchored at 1000); 100 bootstrap
  rounds (battles resampled with replacement, seeded 42 as upstream's ``np.random.seed(42)``) for the 2.5/97.5
  percentiles; the reported number is the predicted win rate vs gpt-4-0314, ``100 / (1 + 10^((1000 - elo) / 400))``.
  With several models in one run, all their battles are fitted and resampled together from one random stream, as
  upstream's ``show_result.py`` (``aggregate_models``, called by the scoring stage). A battle set with one outcome
  only (upstream's fit raises) reports 100 or 0 (a documented deviation).
* **Style control** (``options.style_control``, FuseEval's ``eval_sc.sh``): not implemented; FuseChat's documented
  step is ``eval.sh`` (no style control), the default. Setting it true is an error.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from evaluation.family_prompts import pairwise_prompt
from evaluation.judge import JudgeRequest, LocalVerdict, judge_for
from evaluation.tasks._judged import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_UNPARSABLE,
    ask,
    fill_format,
    status_counts,
)
from evaluation.tasks._pairwise import MAX_MODEL_LEN, greedy_decoding, task_file
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

ARENA_COMMIT = "3071ef95d913bb5cd632641db336a3b6c7fe4bdd"
_RAW = f"https://raw.githubusercontent.com/lmarena/arena-hard-auto/{ARENA_COMMIT}"
QUESTIONS = DataFile("question.jsonl", f"{_RAW}/data/arena-hard-v0.1/question.jsonl",
                     "4daad38811161c3ba5c248f26b90c3cef89634f4c772002ed9138c1e13f63e9f")
FUSECHAT_COMMIT = "5af2badba59fc4561202e19a7311ec119a19a73b"
#: FuseEval's copy of the 500 gpt-4-0314 baseline answers (alpaca_eval schema: ``dataset`` = question id,
#: ``instruction``, ``output``, ``generator``); the same 500 answers, character for character, as upstream's
#: ``data/arena-hard-v0.1/model_answer/gpt-4-0314.jsonl`` (sha256 245109b8...) at ``ARENA_COMMIT``.
BASELINE_ANSWERS = DataFile(
    "arena-hard-gpt-4-0314.json",
    f"https://raw.githubusercontent.com/SLIT-AI/FuseChat-3.0/{FUSECHAT_COMMIT}/FuseEval/IF-Eval/Arena-Hard/data/"
    "arena-hard-gpt-4-0314.json", "a204ddc14d03a2a9ff460a9307acf2df2e02da5198d159893a7890b91d33a3fe")
JUDGE_CONFIG = DataFile("judge_config.yaml", f"{_RAW}/config/judge_config.yaml",
                        "6e001736bacacdb1591ffca7eec953a7089f8f5604872d1ca4f9a6f9de1ee451")
BASELINE = "gpt-4-0314"
SYNTHETIC_CATEGORY = "arena-hard-tiny"
DOUBLE = r"\[\[([AB<>=]+)\]\]"
SINGLE = r"\[([AB<>=]+)\]"
VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
CONTINUE = "continue your judgment and finish by outputting a final verdict label"
#: upstream show_result.py defaults
WEIGHT, SCALE, BASE, INIT, NUM_ROUNDS, BOOT_SEED = 3, 400.0, 10.0, 1000.0, 100, 42
#: Local tiny judge: |reward(A) - reward(B)| below TIE_MARGIN -> A=B, at least STRONG_MARGIN -> ">>" (reward units).
LOCAL_TIE_MARGIN = 0.1
LOCAL_STRONG_MARGIN = 1.0


# ---------------------------------------------------------------------- verdict parsing
def parse_verdict(judgment: str, fallback: bool = False) -> tuple[str | None, bool]:
    """Upstream ``get_score``: (verdict, try_again). All matches of the double-bracket pattern (then, with
    ``fallback``, of the single-bracket one when the first finds none); one distinct verdict -> it; none ->
    (None, True); several different -> (None, False)."""
    matches = [m for m in re.findall(DOUBLE, judgment) if m != ""]
    if not matches and fallback:
        matches = [m for m in re.findall(SINGLE, judgment) if m != ""]
    if len(set(matches)) == 0:
        return None, True
    if len(set(matches)) == 1:
        return matches[0].strip("\n"), False
    return None, False


# ---------------------------------------------------------------------- Bradley-Terry
def battles_from_games(games: Sequence[tuple[str | None, str | None]]) -> list[str]:
    """Battle outcomes ("model" | "baseline" | "tie") from (game 1, game 2) verdicts, as upstream
    ``get_battles_from_row``: game 1 has the baseline as A, game 2 as B; ``>>`` counts ``WEIGHT`` times; a missing or
    unknown verdict gives no battle."""
    win_1 = {"A=B": "tie", "A>B": "baseline", "A>>B": "baseline", "B>A": "model", "B>>A": "model"}
    win_2 = {"A=B": "tie", "A>B": "model", "A>>B": "model", "B>A": "baseline", "B>>A": "baseline"}
    out: list[str] = []
    for g1, g2 in games:
        for verdict, table in ((g1, win_1), (g2, win_2)):
            if verdict in table:
                out += [table[verdict]] * (WEIGHT if ">>" in verdict else 1)
    return out


def battle_frame(battles_by_model: Mapping[str, Sequence[str]]):  # -> pandas.DataFrame
    """Upstream's battle table (``model_a`` = the baseline, ``model_b``, ``winner`` in model_a / model_b / tie):
    every model's battles, model after model, in one frame — what ``show_result.py`` builds from all judgment
    files of a run."""
    import pandas as pd

    winner = {"baseline": "model_a", "model": "model_b", "tie": "tie"}
    rows = [{"model_a": BASELINE, "model_b": label, "winner": winner[b]}
            for label, battles in battles_by_model.items() for b in battles]
    return pd.DataFrame(rows, columns=["model_a", "model_b", "winner"])


def mle_elo(frame) -> dict[str, float]:  # frame: pandas.DataFrame
    """Upstream ``compute_mle_elo`` on a battle table: models indexed in order of appearance (``model_a`` then
    ``model_b`` columns), each battle twice, design columns +log(BASE) for model_a and -log(BASE) for model_b,
    y = 1 when model_a won, a tie a model_a win in the first copy only; logistic regression without intercept or
    penalty; Elo = SCALE * coef + INIT, shifted so the baseline is at INIT. When every battle has one outcome
    upstream's fit raises (one class); here each model's Elo is then +inf (all won) or -inf (all lost) — a
    documented deviation."""
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    models = pd.Series(pd.concat([frame["model_a"], frame["model_b"]]).unique())
    index = {m: i for i, m in enumerate(models)}
    doubled = pd.concat([frame, frame], ignore_index=True)
    n = len(doubled)
    x = np.zeros((n, len(models)))
    x[np.arange(n), doubled["model_a"].map(index).to_numpy()] = math.log(BASE)
    x[np.arange(n), doubled["model_b"].map(index).to_numpy()] = -math.log(BASE)
    y = np.zeros(n)
    y[(doubled["winner"] == "model_a").to_numpy()] = 1.0
    tie = (doubled["winner"] == "tie").to_numpy()
    tie[n // 2:] = False
    y[tie] = 1.0
    if y.min() == y.max():  # one class only: the MLE is at infinity (upstream: sklearn raises)
        sign = -1.0 if y[0] == 1.0 else 1.0
        return {m: (INIT if m == BASELINE else sign * math.inf) for m in models}
    # C=inf is sklearn >= 1.8's spelling of upstream's penalty=None (no regularisation)
    lr = LogisticRegression(fit_intercept=False, C=np.inf, tol=1e-8).fit(x, y)
    elo = SCALE * lr.coef_[0] + INIT
    if BASELINE in index:
        elo = elo + INIT - elo[index[BASELINE]]
    return {m: float(elo[i]) for m, i in index.items()}


def bt_elo(battles: Sequence[str]) -> float:
    """One model's Elo against the baseline (``mle_elo`` on its battles alone)."""
    return mle_elo(battle_frame({"model": battles}))["model"]


def win_rate(elo: float) -> float:
    """Predicted win rate (%) vs the baseline at ``INIT`` (upstream ``predict_win_rate``; upstream then rounds to two
    decimals in ``get_win_rate_column``, here the value is kept whole)."""
    if math.isinf(elo):
        return 100.0 if elo > 0 else 0.0
    return 100.0 / (1.0 + BASE ** ((INIT - elo) / SCALE))


def joint_bt(battles_by_model: Mapping[str, Sequence[str]], rounds: int = NUM_ROUNDS, seed: int = BOOT_SEED
             ) -> dict[str, dict[str, float]]:
    """Win rate and 95% bootstrap CI of every model scored in one run, as upstream ``show_result.py``: one Elo fit
    over all battles, then ``rounds`` resamples with replacement of *all* battles together from one random stream
    (``get_bootstrap_result``: ``battles.sample(frac=1, replace=True)`` after ``np.random.seed(42)``), the 2.5 / 97.5
    percentiles of each model's bootstrap Elos. A model absent from a resample (tiny sets only) is left out of that
    round's percentiles (upstream: NaN); when a resample has one outcome only, the percentiles are taken over win
    rates instead of infinite Elos."""
    import numpy as np

    labels = [m for m, b in battles_by_model.items() if b]
    if not labels:
        return {}
    frame = battle_frame({m: battles_by_model[m] for m in labels})
    elo = mle_elo(frame)
    state = np.random.RandomState(seed)
    boot = [mle_elo(frame.sample(frac=1.0, replace=True, random_state=state)) for _ in range(rounds)]
    out = {}
    for m in labels:
        draws = [b[m] for b in boot if m in b] or [elo[m]]  # never absent from every resample but in theory
        if all(math.isfinite(d) for d in draws):
            ci_low, ci_high = (win_rate(float(np.percentile(draws, q))) for q in (2.5, 97.5))
        else:
            rates = [win_rate(d) for d in draws]
            ci_low, ci_high = float(np.percentile(rates, 2.5)), float(np.percentile(rates, 97.5))
        out[m] = {"elo": elo[m], "win_rate": win_rate(elo[m]), "ci_low": ci_low, "ci_high": ci_high,
                  "n_battles": len(battles_by_model[m]), "rounds": rounds}
    return out


@lru_cache(maxsize=8)
def bt_result(battles: tuple[str, ...], rounds: int = NUM_ROUNDS, seed: int = BOOT_SEED) -> dict[str, float]:
    """One model's win rate and 95% bootstrap CI (``joint_bt`` with that model alone)."""
    return joint_bt({"model": battles}, rounds, seed)["model"]


# ---------------------------------------------------------------------- judge config (fetched or stand-in)
@dataclass(frozen=True)
class JudgeConfig:
    system_prompt: str
    prompt_template: str
    temperature: float
    max_tokens: int
    attempts: int


def load_judge_config(path: Path) -> JudgeConfig:
    import yaml

    raw = yaml.safe_load(Path(path).read_text())
    if raw.get("regex_pattern") not in (None, DOUBLE):
        raise ValueError(f"{path}: regex_pattern {raw.get('regex_pattern')!r} is not v0.1's {DOUBLE!r}")
    return JudgeConfig(raw["system_prompt"], raw["prompt_template"][0], float(raw["temperature"]),
                       int(raw["max_tokens"]), int(raw["number_of_judgment_attempts"]))


#: Tiny-world stand-in, written by us: the real file's markers and verdict labels, shorter wording.
STANDIN_CONFIG = JudgeConfig(
    system_prompt=("You judge two AI assistants' answers to the user prompt below. Write your own short answer "
                   "first, then compare both answers for correctness, helpfulness, relevance and concision.\n\n"
                   "End with exactly one final verdict label:\n\n1. A much better: [[A>>B]]\n2. A better: "
                   "[[A>B]]\n3. Tie: [[A=B]]\n4. B better: [[B>A]]\n5. B much better: [[B>>A]]"),
    prompt_template=("<|User Prompt|>\n{question_1}\n\n<|The Start of Assistant A's Answer|>\n{answer_1}\n"
                     "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answer_2}\n"
                     "<|The End of Assistant B's Answer|>"),
    temperature=0.0, max_tokens=4096, attempts=2)

_PROMPT = re.compile(r"<\|User Prompt\|>\n(.*)\n\n<\|The Start of Assistant A's Answer\|>\n(.*)\n"
                     r"<\|The End of Assistant A's Answer\|>\n\n<\|The Start of Assistant B's Answer\|>\n(.*)\n"
                     r"<\|The End of Assistant B's Answer\|>", re.DOTALL)


def standin_baseline(item: dict[str, Any]) -> str:
    """The tiny world's gpt-4-0314 answer to a synthetic question (seeded by its question id)."""
    from fusechat.tiny_world.synthetic import general_response

    return general_response(item["turns"][0]["content"], random.Random(item["question_id"]), quality=0.5)


# ---------------------------------------------------------------------- the task
class ArenaHard(Task):
    id = "arena_hard"
    version = "2"
    display = "Arena-Hard (WR %)"
    category = "instruction_following"
    metric = "win rate vs gpt-4-0314"
    tolerance = 4.0
    tolerance_why = "LLM judge; Bradley-Terry bootstrap CIs are about ±2-3 on 500 prompts"
    judge = "gpt-4-1106-preview"
    judge_model = "gpt-4-1106-preview"
    tables = (*FUSECHAT_TABLES, "wrpo_main")
    order = 2
    max_model_len = MAX_MODEL_LEN
    decoding = Decoding(temperature=0.0, max_new_tokens=4096)
    data = DataSpec(None, split="test", expected_items=500, licence="Apache-2.0",
                    files=(BASELINE_ANSWERS, JUDGE_CONFIG),
                    note=f"lmarena/arena-hard-auto@{ARENA_COMMIT[:7]} data/arena-hard-v0.1/question.jsonl")

    def __init__(self, style_control: bool = False, verdict_fallback: bool = False) -> None:
        if style_control:
            raise NotImplementedError("arena_hard: options.style_control is not implemented (FuseChat's documented "
                                      "eval.sh has no style control); remove the option or set it to false")
        self.style_control = style_control
        self.verdict_fallback = verdict_fallback
        self.bootstrap_rounds = NUM_ROUNDS

    def configured(self, options: dict[str, Any]) -> ArenaHard:
        """``options.style_control`` (false; true is an error) and ``options.verdict_fallback`` (false)."""
        return ArenaHard(bool(options.get("style_control", False)),
                         bool(options.get("verdict_fallback", self.verdict_fallback)))

    def table_rows(self) -> tuple[TableRow, ...]:
        return (TableRow(self.id, self.display, self.tables, self.order),)

    def protocol(self) -> dict[str, Any]:
        out = super().protocol()
        out.update(style_control=self.style_control, verdict_fallback=self.verdict_fallback, weight=WEIGHT,
                   bootstrap_rounds=NUM_ROUNDS, bootstrap_seed=BOOT_SEED, baseline=BASELINE, source=ARENA_COMMIT)
        return out

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
        """The 500 questions of the pinned ``question.jsonl`` (sha256-checked)."""
        from evaluation.fetch_data import pinned_file_rows

        return pinned_file_rows(QUESTIONS), {"lmarena/arena-hard-auto data/arena-hard-v0.1/question.jsonl": ARENA_COMMIT}

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in ``question.jsonl``'s schema (``question_id``, ``category``, ``cluster``, ``turns``)."""
        from fusechat.tiny_world.synthetic import general_prompt

        return [{"question_id": f"{rng.getrandbits(128):032x}", "category": SYNTHETIC_CATEGORY,
                 "cluster": "Synthetic questions", "turns": [{"content": general_prompt(rng)}]} for _ in range(n)]

    def _sources(self, items: Sequence[dict[str, Any]], ctx: ScoreContext
                 ) -> tuple[JudgeConfig, dict[str, str]]:
        """The judge config and baseline answers: stand-ins for synthetic items, else the fetched files."""
        if items and all(it.get("category") == SYNTHETIC_CATEGORY for it in items):
            return STANDIN_CONFIG, {it["question_id"]: standin_baseline(it) for it in items}
        from evaluation.data import read_rows

        config = load_judge_config(task_file(ctx, self.id, JUDGE_CONFIG.name))
        rows = read_rows(task_file(ctx, self.id, BASELINE_ANSWERS.name))
        return config, {r["dataset"]: r["output"] for r in rows}

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        return pairwise_prompt(item["turns"][0]["content"], family)  # FuseEval configs/*.txt, no system block

    def decoding_for(self, item: dict[str, Any], family: Family) -> Decoding:
        return greedy_decoding(family)

    # ------------------------------------------------------------------ scoring
    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """Two games per question (baseline as A, then as B), up to ``attempts`` requests each."""
        judge = judge_for(self, ctx)
        fallback = bool(ctx.options.get("verdict_fallback", self.verdict_fallback))
        config, baseline = self._sources(items, ctx)
        params = {"temperature": config.temperature, "max_tokens": config.max_tokens}
        convs: list[list[dict[str, str]]] = []
        for it, rs in zip(items, responses, strict=True):
            question, answer, base = it["turns"][0]["content"], rs[0] if rs else "", baseline[it["question_id"]]
            for a, b in ((base, answer), (answer, base)):
                user = fill_format(config.prompt_template, question_1=question, answer_1=a, answer_2=b)
                convs.append([{"role": "system", "content": config.system_prompt}, {"role": "user", "content": user}])
        games: list[dict[str, Any]] = [{"judgment": "", "verdict": None, "status": None, "attempts": 0}
                                       for _ in convs]
        pending = list(range(len(convs)))
        for attempt in range(config.attempts):
            if not pending:
                break
            replies = ask(judge, [JudgeRequest.of(convs[g], **params) for g in pending], lambda r: r.text,
                          f"{self.id} judging (attempt {attempt + 1})", count_unparsable=False)
            retry = []
            for g, reply in zip(pending, replies, strict=True):
                game = games[g]
                game["attempts"] = attempt + 1
                if reply.status == STATUS_FAILED:
                    game.update(status=STATUS_FAILED, error=reply.error)
                    continue
                game["judgment"] += "\n" + reply.text
                verdict, again = parse_verdict(game["judgment"], fallback)
                if verdict is not None:
                    game.update(verdict=verdict, status=STATUS_OK if verdict in VERDICTS else STATUS_UNPARSABLE)
                elif again and attempt + 1 < config.attempts:
                    convs[g] += [{"role": "assistant", "content": reply.text}, {"role": "user", "content": CONTINUE}]
                    retry.append(g)
                else:
                    game["status"] = STATUS_UNPARSABLE
            pending = retry
        unparsable = sum(g["status"] == STATUS_UNPARSABLE for g in games)
        if unparsable:
            judge.note_unparsable(unparsable)
        results = []
        for i, rs in enumerate(responses):
            g1, g2 = games[2 * i], games[2 * i + 1]
            pair = tuple(g["verdict"] if g["status"] == STATUS_OK else None for g in (g1, g2))
            battles = battles_from_games([pair])
            score = sum(b == "model" for b in battles) + 0.5 * sum(b == "tie" for b in battles)
            results.append(ItemResult(score / len(battles) if battles else 0.0, list(pair),
                                      {"games": [g1, g2], "battles": battles, "output_chars": len(rs[0]) if rs else 0}))
        return results

    @staticmethod
    def _battles(results: Sequence[ItemResult]) -> tuple[str, ...]:
        return tuple(b for r in results for b in r.detail.get("battles", []))

    def _bt(self, results: Sequence[ItemResult]) -> dict[str, float] | None:
        battles = self._battles(results)
        return bt_result(battles) if battles else None

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        bt = self._bt(results)
        return None if bt is None else bt["win_rate"]

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """The 95% bootstrap CI, the battle count and how many games failed or were unparsable (excluded)."""
        return self._summary(results, self._bt(results), jointly_with=())

    @staticmethod
    def _summary(results: Sequence[ItemResult], bt: dict[str, float] | None, jointly_with: Sequence[str]
                 ) -> dict[str, Any]:
        status = [g["status"] for r in results for g in r.detail.get("games", [])]
        out: dict[str, Any] = {"n_games": len(status), **status_counts(status),
                               "failures": "failed and unparsable games give no battle (excluded, as upstream)"}
        if bt is not None:
            out.update(ci95=[bt["ci_low"], bt["ci_high"]], elo=bt["elo"], n_battles=bt["n_battles"],
                       bootstrap_rounds=bt["rounds"], bootstrapped_with=list(jointly_with))
        return out

    def aggregate_models(self, per_model: Mapping[str, tuple[Sequence[dict[str, Any]], Sequence[ItemResult]]]
                         ) -> dict[str, tuple[dict[str, float | None], dict[str, Any]]]:
        """Every model scored in one run, as upstream ``show_result.py`` scores them: one fit and one bootstrap over
        all models' battles together (``joint_bt``). Per model: its table rows and its summary (which names the
        models it was bootstrapped with). The scoring stage calls this once all models are judged."""
        battles = {label: self._battles(results) for label, (_, results) in per_model.items()}
        joint = joint_bt(battles, rounds=self.bootstrap_rounds)
        together = [label for label in per_model if battles[label]]
        out = {}
        for label, (_, results) in per_model.items():
            bt = joint.get(label)
            out[label] = ({self.id: None if bt is None else bt["win_rate"]},
                          self._summary(results, bt, jointly_with=[m for m in together if m != label]))
        return out

    # ------------------------------------------------------------------ local tiny judge
    def local_verdict(self, request: Any, reward: Callable[[str, str], float]) -> LocalVerdict | None:
        """The pairwise prompt (real or stand-in: same markers) -> a short judgment ending in one verdict label
        chosen by the reward difference and ``LOCAL_TIE_MARGIN`` / ``LOCAL_STRONG_MARGIN``."""
        users = [c for r, c in request.messages if r == "user"]
        system = next((c for r, c in request.messages if r == "system"), "")
        found = _PROMPT.fullmatch(users[0]) if users else None
        if found is None or "[[A>>B]]" not in system:
            return None
        question, a, b = found.groups()
        diff = reward(question, a) - reward(question, b)
        if abs(diff) < LOCAL_TIE_MARGIN:
            verdict = "A=B"
        elif diff > 0:
            verdict = "A>>B" if diff >= LOCAL_STRONG_MARGIN else "A>B"
        else:
            verdict = "B>>A" if -diff >= LOCAL_STRONG_MARGIN else "B>A"
        return LocalVerdict(f"Reward of A minus reward of B: {diff:+.3f}.\n\nMy final verdict is: [[{verdict}]]")


TASK = ArenaHard()
