"""LiveBench-0831 (the FuseChat-3.0 tables' "LiveBench 0831" row), as FuseEval's vendored LiveBench runs it.

* **Data**: the six hub datasets ``livebench/{math,reasoning,coding,language,data_analysis,
  instruction_following}`` (split ``test``), each at its last commit on or before ``ERA`` (locked in
  ``evaluation/data_lock.json``), concatenated, filtered to release option ``2024-08-31``: released on
  or before it and not removed on or before it (``evaluation.livebench.release``). LiveBench kept 1,000
  questions from its 2024-07-26 update on (the 2024-08-31 update replaced math questions rather than adding any),
  which is the expected count, checked when the real data is fetched (not verifiable offline here). The hub
  cards carry no licence tag and the content comes from third parties (news, arXiv, AMC/IMO/USAMO,
  LeetCode/AtCoder): never committed.
* **Prompt**: the question's own first turn as the single user message, through the family's chat template with
  its default system prompt (FuseEval ``gen_model_answer_vllm.py``: ``apply_chat_template([{"role": "user",
  "content": turns[0]}])``, BOS stripped for Gemma/Mistral as everywhere else).
* **Decoding**: greedy, ``max_tokens`` 4,096, vLLM ``max_model_len`` 4,096 (the same script). ``options.generator:
  hf_fastchat`` selects FuseEval's other script, ``gen_model_answer.py`` (FastChat template, HF generate, no
  context cap; ``evaluation/tasks/_fastchat.py``).
* **Scoring**: one scorer per task in ``evaluation.livebench`` (rules of upstream LiveBench ``process_results`` at
  e84e548 = FuseEval 5af2bad); coding programs run only in ``fusechat.sandbox``.
* **Aggregation**: mean over the six categories of the mean over each category's tasks, in percent
  (``evaluation.livebench.aggregate``); every item's detail carries its category, task and score, and
  ``summary`` gives the per-category and per-task numbers for the metrics JSON.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from evaluation.family_prompts import BOS_STRIPPED_FAMILIES
from evaluation.hub_revisions import Resolved, resolve
from evaluation.livebench import FUSEEVAL, UPSTREAM, UPSTREAM_COMMIT, coding, synthetic
from evaluation.livebench.aggregate import Breakdown, breakdown
from evaluation.livebench.release import DEFAULT_RELEASE, in_release, select_release
from evaluation.livebench.scorers import CATEGORY_TASKS, is_coding, score_question
from evaluation.tasks._fastchat import check_generator, fastchat_prompt
from evaluation.tasks.base import (
    FUSECHAT_TABLES,
    DataSpec,
    Decoding,
    Family,
    ItemResult,
    Prompt,
    ScoreContext,
    Task,
)


def fetch_nltk_data() -> None:
    """Download the nltk data the IFEval checkers need (instruction following), so scoring works offline."""
    import nltk

    from evaluation.livebench.instruction_following import NLTK_DATA

    try:
        nltk.data.find(f"tokenizers/{NLTK_DATA}")
    except LookupError:
        if not nltk.download(NLTK_DATA, quiet=True):
            raise RuntimeError(f"cannot download nltk data {NLTK_DATA!r}") from None


#: The era of the paper's LiveBench run: 2024-12-12, the day FuseEval (with its LiveBench fork and release
#: option 2024-08-31) was published (SLIT-AI/FuseChat-3.0 commit 048cc0c "Add FuseEval"); the reported numbers
#: predate it. The hub datasets are read at their last commit on or before that day.
ERA = "2024-12-12"
CATEGORIES: tuple[str, ...] = ("math", "reasoning", "coding", "language", "data_analysis", "instruction_following")
_NOTE = ("six hub datasets livebench/<category> (split test) concatenated, then release option 2024-08-31; "
         "no licence tag on the cards, third-party content: never committed")


class LiveBench(Task):
    id = "livebench"
    version = "2"
    display = "LiveBench 0831"
    category = "general"
    metric = "mean over categories of the mean over tasks"
    tolerance = 2.0
    tolerance_why = ("ground truth on 1,000 questions; ±2 points covers template and vLLM batch "
                     "nondeterminism (one coding question is 1/128 of a category, 1/6 of the average)")
    tables = FUSECHAT_TABLES
    order = 5
    max_model_len = 4096
    release: ClassVar[str] = DEFAULT_RELEASE
    #: the hub datasets whose test splits are concatenated, each read at the last commit on or before
    #: ``ERA`` (no commit sha of these datasets could be confirmed from public sources; docs/evaluation.md)
    sources: ClassVar[tuple[DataSpec, ...]] = tuple(
        DataSpec(f"livebench/{c}", split="test", licence="none stated on the dataset card", era=ERA)
        for c in CATEGORIES)
    data = DataSpec(None, split="test", expected_items=1000, licence="none stated on the dataset cards",
                    note=_NOTE)
    decoding = Decoding(temperature=0.0, max_new_tokens=4096)
    #: ``options.generator``: FuseEval's vLLM script (default) or its HF/FastChat one (``evaluation/tasks/_fastchat.py``)
    generator: str = "vllm"

    def configured(self, options: dict[str, Any]) -> LiveBench:
        """``options.generator``: ``vllm`` (default) | ``hf_fastchat``."""
        if "generator" not in options or options["generator"] == self.generator:
            return self
        task = LiveBench()
        task.generator = check_generator(options["generator"], self.id)
        if task.generator == "hf_fastchat":
            task.max_model_len = None  # HF generate: no vLLM context cap
        return task

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> tuple[list[dict[str, Any]], dict[str, Resolved]]:
        """The rows of the six hub datasets that belong to the release (unmodified), and the commit each
        dataset was read at, by its era rule (network; the fetch step caches the rows and checks
        ``data.expected_items``)."""
        from datasets import load_dataset

        rows: list[dict[str, Any]] = []
        revisions: dict[str, Resolved] = {}
        for spec in self.sources:
            assert spec.hub_id is not None
            got = resolve(spec.hub_id, spec.revision, spec.era)
            revisions[spec.hub_id] = got
            rows.extend(dict(r) for r in load_dataset(spec.hub_id, split=spec.split, revision=got.revision)
                        if in_release(r, self.release))
        fetch_nltk_data()
        return rows, revisions

    def prepare(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The questions of the release, dates normalised to ``YYYY-MM-DD``."""
        return select_release(rows, self.release)

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in the hub schema for every task (``evaluation.livebench.synthetic``), cycling over tasks."""
        return synthetic.questions(rng, n)

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        """The question's first turn as the only user message (the family template adds its system prompt)."""
        if self.generator == "hf_fastchat":
            return fastchat_prompt(family, [item["turns"][0]], [])
        return Prompt(messages=[{"role": "user", "content": item["turns"][0]}],
                      add_bos=family not in BOS_STRIPPED_FAMILIES)  # FuseEval strips the template BOS for gemma/mistral paths only

    # ------------------------------------------------------------------ scoring
    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        return self.score_batch([item], [responses], ctx)[0]

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """Each item's first (only, greedy) response: coding items through the sandbox in one batch, the
        others through their task's scorer. The detail names category and task for the aggregation."""
        firsts = [rs[0] if rs else "" for rs in responses]
        results: list[ItemResult | None] = [None] * len(items)
        code_idx = [i for i, it in enumerate(items) if is_coding(it)]
        if code_idx:
            scored = coding.score_batch([items[i] for i in code_idx], [firsts[i] for i in code_idx], ctx.resources)
            for i, (value, detail) in zip(code_idx, scored, strict=True):
                results[i] = ItemResult(value, None, {**self._where(items[i]), **detail})
        for i, item in enumerate(items):
            if results[i] is None:
                results[i] = ItemResult(score_question(item, firsts[i]), None, self._where(item))
        return [r for r in results if r is not None]

    @staticmethod
    def isolate_item(item: dict[str, Any]) -> bool:
        """The scoring guard (``evaluation.score_guard``) runs the non-coding scorers in its killable worker; the
        coding items run in the sandbox."""
        return not is_coding(item)

    @staticmethod
    def _where(item: dict[str, Any]) -> dict[str, Any]:
        return {"category": item["category"], "task": item["task"], "question_id": item.get("question_id")}

    def breakdown(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> Breakdown:
        """Per-task and per-category means and the overall, in percent."""
        return breakdown((it["category"], it["task"], r.score) for it, r in zip(items, results, strict=True))

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Per-category and per-task means (percent) and per-task question counts (the scoring stage records
        this beside the number in the metrics JSON)."""
        b = self.breakdown(items, results)
        return {"categories": b.categories, "tasks": b.tasks, "counts": b.counts}

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        """LiveBench's average: mean over categories of the mean over tasks (percent)."""
        return self.breakdown(items, results).overall

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "release_option": self.release, "generator": self.generator,
                "sources": [s.hub_id for s in self.sources], "categories": CATEGORY_TASKS,
                "scorers": f"{UPSTREAM} process_results @ {UPSTREAM_COMMIT} (= {FUSEEVAL})",
                "prompt": "turns[0] as the single user message, family chat template with its default system"}


TASK = LiveBench()
