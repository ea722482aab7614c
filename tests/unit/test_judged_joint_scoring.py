"""The scoring stage's hook for numbers that depend on every model of a run (Arena-Hard's joint bootstrap, as
upstream's show_result.py): with two models, ``aggregate_models`` sees both models' results once both are scored,
and its rows and summaries are what the metrics files hold."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from evaluation import score
from evaluation.tasks.base import DataSpec, ItemResult, Prompt, ScoreContext, Task
from fusechat.io import write_jsonl
from fusechat.recipe import REPO_ROOT, EvalBenchmarkConfig, load_recipe
from fusechat.stage_runner import MANIFEST, run_stage
from fusechat.stage_table import STAGES

MODELS = {"A (tiny)": ("a", ["x", "xx", "xxx"]), "B (tiny)": ("b", ["yyyy", "y", "yy"])}


class JointToyTask(Task):
    """Row ``arena_hard`` (a registry row, so the metrics validate): per model the mean answer length; jointly,
    each model's share of all characters written by the run."""

    id, version, display, category = "arena_hard", "test", "Joint toy", "instruction_following"
    metric, tolerance, tolerance_why = "share", 1.0, "test"
    data = DataSpec(None)
    seen: list[list[str]] = []

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        return [{"q": i} for i in range(n)]

    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return Prompt([{"role": "user", "content": str(item["q"])}])

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        return [ItemResult(float(len(rs[0])), rs[0]) for rs in responses]

    def aggregate_models(self, per_model: Mapping[str, tuple[Sequence[dict[str, Any]], Sequence[ItemResult]]]
                         ) -> dict[str, tuple[dict[str, float | None], dict[str, Any]]]:
        self.seen.append(list(per_model))
        total = sum(r.score for _, results in per_model.values() for r in results)
        return {label: ({self.id: 100 * sum(r.score for r in results) / total}, {"joint_with": list(per_model)})
                for label, (_, results) in per_model.items()}


def test_joint_rows_reach_every_models_metrics(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    task = JointToyTask()
    monkeypatch.setattr(score, "selected_benchmarks", lambda cfg: [(task, EvalBenchmarkConfig(name=task.id))])
    run_dir = tmp_path / "run"
    gen = run_dir / STAGES["eval_generate"].folder
    write_jsonl([{"q": i} for i in range(3)], gen / "items" / f"{task.id}.jsonl")
    index = {}
    for label, (folder, answers) in MODELS.items():
        write_jsonl(({"index": i, "responses": [a]} for i, a in enumerate(answers)), gen / folder / f"{task.id}.jsonl")
        index[label] = {"path": f"tiny:{folder}", "folder": folder, "family": "llama3"}
    (gen / "models.json").write_text(json.dumps(index))
    (gen / "benchmarks.json").write_text(json.dumps({task.id: {"data": {"source": "test", "path": "tiny"}}}))
    (gen / MANIFEST).write_text(json.dumps({"fingerprint": "generations-fp"}))
    recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml", [f"run.dir={run_dir}", "eval.judge.local=none"])
    folder = run_stage(STAGES["eval_score"], recipe, score.run, STAGES)
    assert task.seen == [list(MODELS)]
    values = {}
    for label in MODELS:
        metrics = json.loads(next(folder.glob(f"{label.split()[0]}*.metrics.json")).read_text())
        row = metrics["benchmarks"]["arena_hard"]
        values[label] = row["value"]
        assert row["summary"] == {"joint_with": list(MODELS)}
    assert values == pytest.approx({"A (tiny)": 600 / 13, "B (tiny)": 700 / 13})
