"""The scoring stage's guard (``evaluation.score_guard``): responses that are not text are counted
``invalid_response`` verdicts, a per-item scorer that loops or eats memory is killed at its budget and counted
``scorer_timeout``, one that raises is ``scorer_error``, and each count reaches the manifest, the metrics cell and
the notes under the table, through the real scoring stage."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evaluation import score, score_guard
from evaluation.render import write_run_table
from evaluation.tasks.base import DataSpec, ItemResult, Prompt, ScoreContext, Task
from fusechat.io import write_jsonl
from fusechat.recipe import REPO_ROOT, EvalBenchmarkConfig, load_recipe
from fusechat.stage_runner import MANIFEST, run_stage
from fusechat.stage_table import STAGES


class HostileScorerTask(Task):
    """A per-item task (row id ``gsm8k``, so its metrics validate) whose scorer misbehaves on cue: ``loop`` spins
    forever, ``alloc`` allocates without end, ``raise`` raises; anything else is right when it equals the
    item's answer."""

    id, version, display, category = "gsm8k", "test", "Hostile scorer", "math"
    metric, tolerance, tolerance_why = "accuracy", 1.0, "test"
    data = DataSpec(None)

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        return [{"answer": str(i)} for i in range(n)]

    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return Prompt([{"role": "user", "content": "?"}])

    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        text = responses[0]
        if text == "loop":
            while True:
                pass
        if text == "alloc":
            hog = []
            while True:
                hog.append(bytearray(64 << 20))
        if text == "raise":
            raise ValueError("cannot read \ud800 this")
        return ItemResult(float(text == item["answer"]), text)


TASK = HostileScorerTask()
BUDGET = score_guard.Budget(cpu_s=1.0, memory_mb=256, wall_s=60.0)


def test_guard_kills_loops_and_memory_hogs_and_counts_them() -> None:
    items = TASK.synthetic(random.Random(0), 6)
    answers = [["0"], ["loop"], ["2"], ["alloc"], ["raise"], ["wrong"]]
    t0 = time.monotonic()
    results = score_guard.score_batch(TASK, items, answers, ScoreContext(), BUDGET)
    assert time.monotonic() - t0 < 60
    assert [r.score for r in results] == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    verdicts = [r.detail.get("verdict") for r in results]
    assert verdicts == [None, "scorer_timeout", None, "scorer_timeout", "scorer_error", None]
    assert results[1].detail["over"] == "cpu_s" and results[3].detail["over"] == "memory_mb"
    assert "ValueError" in results[4].detail["error"]
    assert score_guard.counts(results) == {"scorer_timeout": 2, "scorer_error": 1}


def test_budget_is_cpu_time_not_wall_time() -> None:
    """A scorer that sleeps (no work) past the CPU budget is not a timeout; the wall limit still ends it."""

    class Sleeper(HostileScorerTask):
        def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
            time.sleep(float(responses[0]))
            return ItemResult(1.0, None)

    res = score_guard.score_batch(Sleeper(), [{}, {}], [["1.5"], ["30"]], ScoreContext(),
                                  score_guard.Budget(cpu_s=0.5, memory_mb=256, wall_s=3.0))
    assert res[0].score == 1.0 and res[0].detail.get("verdict") is None
    assert res[1].detail == {"verdict": "scorer_timeout", "over": "wall_s", "budget": 3.0}


def test_checked_responses_replaces_what_is_not_text() -> None:
    gens = [{"responses": ["a"]}, {"responses": 42}, {"responses": None}, {"responses": "bare"},
            {"responses": [1]}, {"responses": ["b"]}]
    texts, bad = score_guard.checked_responses(TASK, gens)
    assert bad == [1, 2, 3, 4] and texts == [["a"], [""], [""], [""], [""], ["b"]]


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(score, "selected_benchmarks", lambda cfg: [(TASK, EvalBenchmarkConfig(
        name=TASK.id, options={"scorer_cpu_s": 1.0, "scorer_memory_mb": 256}))])


def test_stage_counts_invalid_responses_and_timeouts_and_lists_them(stage: None, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    gen = run_dir / STAGES["eval_generate"].folder
    responses: list[Any] = [["0"], 42, None, ["loop"], ["4"], ["\ud800"], "5"]
    write_jsonl(TASK.synthetic(random.Random(0), len(responses)), gen / "items" / f"{TASK.id}.jsonl")
    (gen / "m").mkdir(parents=True)
    with (gen / "m" / f"{TASK.id}.jsonl").open("w") as fh:  # json, not orjson: it writes the lone surrogate
        for i, r in enumerate(responses):
            fh.write(json.dumps({"index": i, "responses": r}) + "\n")
    (gen / "models.json").write_text(json.dumps({"M": {"path": "tiny:m", "folder": "m", "family": "llama3"}}))
    (gen / "benchmarks.json").write_text(json.dumps({TASK.id: {"data": {"source": "test", "path": "tiny:m"}}}))
    (gen / MANIFEST).write_text(json.dumps({"fingerprint": "generations-fp"}))
    recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml", [f"run.dir={run_dir}"])
    folder = run_stage(STAGES["eval_score"], recipe, score.run, STAGES)
    man = json.loads((folder / MANIFEST).read_text())
    assert man["stats"]["scoring"] == {"M": {TASK.id: {"invalid_response": 3, "scorer_timeout": 1}}}
    metrics = json.loads(next(folder.glob("*.metrics.json")).read_text())
    cell = metrics["benchmarks"][TASK.id]
    assert cell["scoring_failures"] == {"invalid_response": 3, "scorer_timeout": 1}
    assert cell["value"] == pytest.approx(100 * 2 / 7)  # "0" and "4" right; nothing else
    rows = [json.loads(x) for x in next(folder.rglob("*.verdicts.jsonl")).read_text().splitlines()]
    assert [r["detail"].get("verdict") for r in rows] == [None, "invalid_response", "invalid_response",
                                                          "scorer_timeout", None, None, "invalid_response"]
    assert rows[5]["extracted"] == "\\ud800"  # broken text is stored escaped, and scored wrong
    table = write_run_table([metrics], tmp_path / "tables", "t", smoke=True).read_text()
    assert "GSM8K: 3 invalid_response, 1 scorer_timeout (M)." in table  # the registered task's name
