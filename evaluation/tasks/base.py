"""The evaluation task contract: one benchmark = one self-describing ``Task`` in one file of ``evaluation/tasks/``.

The idea is lm-evaluation-harness's (a task owns its data, prompt, decoding, extraction, metric and a version):
adding a benchmark means adding one module that defines ``TASK = MyTask()``; the registry
(``evaluation.tasks.all_tasks``) finds it, the generation and scoring stages run it, and the paper-table layout
is derived from the tasks' ``table_rows``. Nothing else is edited.

A task states, as data:

* ``data``: where the real items come from (hub id, config, split, pinned revision, expected item count, licence;
  extra files at pinned URLs with checksums), and ``synthetic`` builds a few items in the same schema for the tiny
  world (real benchmark items are never committed);
* ``prompt(item, family)``: the conversation exactly as the paper's harness (FuseEval) builds it for a model family
  (``llama3 | qwen2 | gemma2 | mistral``), with an optional assistant-turn ``prefill``, FuseEval's whole prompt
  string where it writes one by hand (``text``), and whether vLLM's BOS goes in front (``add_bos``);
* ``decoding`` / ``decoding_for``: greedy or sampled, n, max tokens, extra stop strings (per item when the protocol
  has per-category temperatures);
* ``score`` / ``score_batch``: extraction + per-item verdict, and ``aggregate``: the benchmark's metric;
* ``version``: bumped whenever anything above changes; it and ``protocol()`` go into every metrics JSON.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from fusechat.generation import SamplingParams

Scale = Literal["percent", "1-10"]

#: The FuseChat-3.0 results tables with 14 rows, and all five (the Llama-3.2-1B one has 13: "MMLU" instead of
#: "MMLU-redux", no LiveCodeBench). Table ids are those of ``results/reported/fusechat3_tables.csv``.
TABLES_14: tuple[str, ...] = ("llama31_8b", "qwen25_7b", "gemma2_9b", "llama32_3b")
FUSECHAT_TABLES: tuple[str, ...] = (*TABLES_14, "llama32_1b")
Family = Literal["llama3", "qwen2", "gemma2", "mistral"]


@dataclass(frozen=True)
class DataFile:
    """A file that no hub dataset or installed package provides, fetched at a pinned URL and checked."""

    name: str
    url: str
    sha256: str | None = None
    #: git's object id of the file in the tree it is fetched from (SHA-1 of "blob <size>", a NUL byte, the
    #: bytes): the checksum of a vendored copy whose bytes could not be hashed offline (FuseEval's HumanEval+)
    git_blob: str | None = None


FUSEEVAL_COMMIT = "5af2badba59fc4561202e19a7311ec119a19a73b"
#: FuseEval's tree at the pinned commit (its vendored benchmark files are read from here, sha256-checked).
FUSEEVAL_RAW = f"https://raw.githubusercontent.com/SLIT-AI/FuseChat-3.0/{FUSEEVAL_COMMIT}/FuseEval"


@dataclass(frozen=True)
class DataSpec:
    """Where a task's real items live. ``expected_items`` is checked after loading (a wrong copy fails loudly)."""

    hub_id: str | None
    config: str | None = None
    split: str = "test"
    revision: str | None = None
    expected_items: int | None = None
    licence: str = ""
    gated: bool = False
    files: tuple[DataFile, ...] = ()
    note: str = ""
    configs: tuple[str, ...] = ()  # several hub configs concatenated in this order (e.g. one per subject)
    #: ``YYYY-MM-DD``: where no commit is known, the revision is the last hub commit on or before this day,
    #: resolved at fetch and locked in ``evaluation/data_lock.json`` (``evaluation.hub_revisions``)
    era: str | None = None


@dataclass(frozen=True)
class Decoding:
    """Decoding for one request. ``temperature == 0`` is greedy; ``stop`` adds stop strings to the family's own."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1
    n: int = 1
    max_new_tokens: int = 2048
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = ()
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0

    def sampling(self, seed: int) -> SamplingParams:
        """The generation backends' parameters for this decoding."""
        return SamplingParams(n=self.n, temperature=self.temperature, top_p=self.top_p, top_k=self.top_k,
                              repetition_penalty=self.repetition_penalty, max_new_tokens=self.max_new_tokens,
                              seed=seed, stop=self.stop, presence_penalty=self.presence_penalty,
                              frequency_penalty=self.frequency_penalty)


@dataclass(frozen=True)
class Prompt:
    """A conversation to generate from; ``prefill`` starts the assistant turn (the response is prefill + output)."""

    messages: list[dict[str, str]]
    prefill: str = ""
    default_system: bool = True  # False: drop the family's default system prompt (FuseEval MC-Eval on Qwen2.5)
    #: the whole prompt string when FuseEval writes it by hand (AlpacaEval/Arena-Hard ``configs/*.txt``, Math-Eval
    #: prompt types, LiveCodeBench's CodeQwen style): no chat template is applied; ``messages`` stay as the record
    text: str | None = None
    #: FuseEval hands this prompt to vLLM as a string, and vLLM's tokenizer puts its own BOS in front of it (a
    #: second one when the string already starts with the template's BOS); False: exactly the rendered text
    add_bos: bool = False


@dataclass(frozen=True)
class ItemResult:
    """One item's verdict: ``score`` in the task's per-item unit (1/0, an estimated pass@1, a rating …)."""

    score: float
    extracted: Any = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScoreContext:
    """What scoring may need besides the item: a seeded RNG (FuseEval's random fallback) and shared resources
    (e.g. a sandbox pool for code tasks), created lazily by the scoring stage and closed after it."""

    rng: random.Random = field(default_factory=lambda: random.Random(12345))
    resources: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def resource(self, name: str, factory: Callable[[], Any]) -> Any:
        """The shared resource ``name``, created by ``factory`` on first use (e.g. one sandbox pool for a run)."""
        if name not in self.resources:
            self.resources[name] = factory()
        return self.resources[name]

    def close(self) -> None:
        """Close every resource that has a ``close()`` (the scoring stage calls this after each task)."""
        for res in self.resources.values():
            closer = getattr(res, "close", None)
            if callable(closer):
                closer()
        self.resources.clear()


@dataclass(frozen=True)
class TableRow:
    """One reported number of the paper's tables that a task produces (most tasks produce exactly one, whose
    ``id`` is the task id; a judged task may add e.g. MT-Bench turn 1 and turn 2).

    ``tables`` are the reported table ids (``evaluation.paper_rows.RESULT_TABLES``) the row belongs to and
    ``order`` its position there (the seed blog's row order); the paper-table layout is derived from these.
    ``None`` fields default to the task's own attribute."""

    id: str
    display: str
    tables: tuple[str, ...]
    order: float
    metric: str | None = None
    scale: Scale | None = None
    tolerance: float | None = None
    tolerance_why: str | None = None
    judge: str | None = None
    category: str | None = None


class Task:
    """Base class of every benchmark. Subclasses set the class attributes and override what differs."""

    id: ClassVar[str]
    version: ClassVar[str]
    display: ClassVar[str]
    category: ClassVar[str]  # instruction_following | general | math | code
    metric: ClassVar[str]
    scale: ClassVar[Scale] = "percent"
    tolerance: ClassVar[float]
    tolerance_why: ClassVar[str]
    judge: ClassVar[str | None] = None
    data: ClassVar[DataSpec]
    decoding: ClassVar[Decoding] = Decoding()
    #: reported tables this task is a row of, and its row position there (see ``table_rows``)
    tables: ClassVar[tuple[str, ...]] = ()
    order: ClassVar[float] = 1000.0
    #: FuseEval's vLLM context length for this task (prompt + generation); None: the model's own
    max_model_len: ClassVar[int | None] = None
    #: the paper's judge model (API name) of an LLM-judged task; ``eval.judge.model`` overrides it
    judge_model: ClassVar[str | None] = None
    #: conversation turns generated per item (MT-Bench: 2). With ``turns > 1`` the generation stage asks
    #: ``prompt_turn`` for each turn (with the model's earlier answers) and an item's responses are its answers,
    #: one per turn (n = 1).
    turns: ClassVar[int] = 1

    # ------------------------------------------------------------------ data
    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """``n`` made-up items in the real dataset's schema, for the tiny world and tests."""
        raise NotImplementedError

    def configured(self, options: dict[str, Any]) -> Task:
        """The task with the recipe entry's ``options`` applied (``eval.benchmarks.N.options``); default: itself.

        Tasks with parameters (a data release, a date window, ...) return a new instance; keys they do not know
        are left to ``ScoreContext.options``."""
        return self

    def prepare(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Hub rows -> benchmark items (filtering / field fixes the protocol applies); default: unchanged."""
        return rows

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        raise NotImplementedError

    def prompt_turn(self, item: dict[str, Any], family: Family, previous: Sequence[str]) -> Prompt:
        """The prompt of turn ``len(previous) + 1`` given the model's answers so far; default: ``prompt``."""
        if previous:
            raise NotImplementedError(f"{self.id}: multi-turn tasks override prompt_turn")
        return self.prompt(item, family)

    def decoding_for(self, item: dict[str, Any], family: Family) -> Decoding:
        """Per-item decoding; the default is the task's single ``decoding``."""
        return self.decoding

    # ------------------------------------------------------------------ scoring
    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        raise NotImplementedError

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """Score every item; override to batch (e.g. run all programs through one sandbox pool)."""
        return [self.score(it, rs, ctx) for it, rs in zip(items, responses, strict=True)]

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        """The benchmark's number; default: mean per-item score, ×100 on the percent scale."""
        if not results:
            return None
        total = sum(r.score for r in results)  # ×100 before dividing: 11 of 40 is exactly 27.5
        return 100.0 * total / len(results) if self.scale == "percent" else total / len(results)

    def aggregate_rows(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]
                       ) -> dict[str, float | None]:
        """``{table row id: value}``; default: the task's one row, ``aggregate``."""
        return {self.id: self.aggregate(items, results)}

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Further figures recorded beside the number (e.g. base and plus, per-category means); default none."""
        return {}

    def local_verdict(self, request: Any, reward: Callable[[str, str], float]) -> Any:
        """Judged tasks: the local tiny judge's answer (``evaluation.judge.LocalVerdict``) to ``request`` (an
        ``evaluation.judge.JudgeRequest``) when it is this task's judge prompt, else None. ``reward(question,
        answer)`` is the tiny world's reward model; the verdict must follow from it (real measurements)."""
        return None

    # ------------------------------------------------------------------ table layout
    @property
    def ground_truth(self) -> bool:
        """Scored against ground truth (no LLM judge)."""
        return self.judge is None

    def table_rows(self) -> tuple[TableRow, ...]:
        """The paper-table rows this task produces; default: one row ``id`` in ``tables`` at ``order``."""
        return (TableRow(self.id, self.display, self.tables, self.order),)

    # ------------------------------------------------------------------ provenance
    def protocol(self) -> dict[str, Any]:
        """The full protocol as data, written into every metrics JSON beside ``version``."""
        return {
            "task": self.id, "version": self.version, "metric": self.metric, "scale": self.scale,
            "judge": self.judge, "data": asdict(self.data), "decoding": asdict(self.decoding),
        }
