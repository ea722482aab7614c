"""Evaluation scoring (stage ``eval_score``): per model and benchmark, ``task.score_batch`` over every generation,
per-item verdicts, and one metrics JSON per model (schema ``fusechat-metrics/v2``, ``evaluation/metrics.py``).

Each task is scored with a fresh ``ScoreContext``: an RNG seeded 12345 (FuseEval MC-Eval's fallback seed; tasks
that follow FuseEval reseed it per guess), shared resources created lazily by the task (e.g. a sandbox pool) and
closed after it, and the entry's ``options`` plus ``data_dir``. The metrics cell of every table row a task
produces records the value, item count, the task version, ``task.protocol()`` and the data copy/revision used.

Judged tasks (``task.judge_model`` set) get the judge factory under ``options[JUDGE_OPTION]``
(``evaluation.judge.judge_for``): one ``OpenAIJudge`` per (model, task) over one judgment cache shared by the
stage; with ``eval.judge.local: tiny`` the local tiny judge is served on localhost for the stage and the same
client points at it. Each judge's ``JudgeStats`` (calls, cache hits, tokens, failed, unparsable) go into the
metrics cells the task fills (``judge_stats``, ``judge_model``, ``judge_endpoint``: the host only) and are summed
into the manifest (``stats.judge`` per model and task, ``stats.judge_totals``): a rerun with the stage forced
shows ``calls: 0``. The API key is never written anywhere.

Every scorer is guarded (``evaluation.score_guard``): responses that are not a list of strings are an
``invalid_response`` verdict, per-item scorers run in a killable worker under a per-item budget of CPU time and
memory (``scorer_timeout``), and a scorer that raises on an item gives ``scorer_error``; each count goes into the
metrics cells (``scoring_failures``), the manifest (``stats.scoring``) and the notes under the table. Verdict rows
are written with lone surrogates escaped, so broken model text never stops the stage.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation import metrics as metrics_mod
from evaluation import paper_rows, score_guard
from evaluation.data import default_data_dir
from evaluation.generate import ITEMS_DIR, selected_benchmarks
from evaluation.judge import JUDGE_OPTION, Judge, JudgeStats
from evaluation.tasks.base import ScoreContext, Task
from fusechat import __version__
from fusechat.depths import provenance as column_provenance
from fusechat.io import read_jsonl, write_jsonl
from fusechat.run_layout import slug
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult

FALLBACK_SEED = 12345


def _data_version(prov: dict[str, Any]) -> str:
    if prov.get("hub_id"):
        rev = prov.get("revision") or "unpinned"
        return f"{prov['hub_id']}@{rev} {'+'.join(c for c in prov.get('configs') or [] if c) or '-'}/{prov.get('split')}"
    return str(prov.get("path") or prov.get("source"))


def judge_factory(cfg: Any, world: Any, stack: ExitStack) -> Callable[[Task], Judge]:
    """``task -> Judge`` for ``eval.judge`` (``cfg``): one judgment cache for the stage and, with ``local: tiny``,
    the local tiny judge served until ``stack`` closes. A paid/remote judge whose key variable is unset fails here,
    before any scoring, with a one-line error."""
    from evaluation.judge.cache import JudgmentCache, default_cache_dir
    from evaluation.judge.client import api_key, make_judge

    base_url = local_model = None
    if cfg.local == "tiny":
        from evaluation.judge.local_server import local_model_name, serve_local_judge

        units = {"center": cfg.local_reward_center, "scale": cfg.local_reward_scale}
        local_model = local_model_name(cfg.local_reward_model, world, **units)
        base_url = stack.enter_context(serve_local_judge(cfg.local_reward_model, world, model=local_model, **units))
    else:
        api_key(cfg)
    cache = JudgmentCache(default_cache_dir(cfg.cache_dir))
    stack.callback(cache.close)
    return lambda task: make_judge(cfg, task, base_url, cache=cache, local_model=local_model)


@dataclass
class JudgeBook:
    """Judge bookkeeping of the stage: per model and task what judging cost (calls, cache hits, tokens, failed,
    unparsable), the judge model and its endpoint host, and the totals over the run (the manifest's ``judge`` and
    ``judge_totals``)."""

    log: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=lambda: JudgeStats().as_dict())

    def record(self, label: str, task_id: str, judged: dict[str, Any]) -> None:
        self.log.setdefault(label, {})[task_id] = {**judged["judge_stats"], "model": judged["judge_model"],
                                                   "endpoint": judged["judge_endpoint"]}
        for k, v in judged["judge_stats"].items():
            self.totals[k] = self.totals.get(k, 0) + v

    def judges_of(self, label: str) -> str | None:
        """The metrics file's ``protocol.judge``: every judge model @ endpoint this model was judged by."""
        return "; ".join(sorted({f"{j['model']} @ {j['endpoint']}" for j in self.log.get(label, {}).values()})) or None


# ------------------------------------------------------------------------------------------------------ I/O
def _generations(gen_dir: Path, folder: str, task: Task) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The task's items and one model's generations for them (a one-line error when they do not match)."""
    items = read_jsonl(gen_dir / ITEMS_DIR / f"{task.id}.jsonl")
    gens = read_jsonl(gen_dir / folder / f"{task.id}.jsonl")
    if [g.get("index") for g in gens] != list(range(len(items))):
        raise StageError(f"{gen_dir / folder / task.id}.jsonl: generations do not match the {len(items)} items")
    return items, gens


def _write_verdicts(gens: list[dict[str, Any]], results: list[Any], path: Path) -> None:
    write_jsonl((score_guard.storable({"index": g["index"], "score": r.score, "extracted": r.extracted,
                                       "detail": r.detail})
                 for g, r in zip(gens, results, strict=True)), path)


# --------------------------------------------------------------------------------------------------- scoring
def _score(task: Task, items: list[dict[str, Any]], gens: list[dict[str, Any]], options: dict[str, Any]
           ) -> tuple[list[Any], dict[str, Any]]:
    """Score one model's answers to one task: the verdicts (an invalid response is a marked failure) and, for a
    judged task, what the judge reported (``judge_stats``, ``judge_model``, ``judge_endpoint``)."""
    sctx = ScoreContext(rng=random.Random(FALLBACK_SEED), options=options)
    judged: dict[str, Any] = {}
    responses, invalid = score_guard.checked_responses(task, gens)
    try:
        results = score_guard.score_batch(task, items, responses, sctx)
        for i in invalid:
            results[i] = score_guard.mark_invalid(task, results[i])
        judge = sctx.resources.get("judge")  # read before close() clears the resources
        if judge is not None:
            judged = {"judge_stats": judge.stats.as_dict(), "judge_model": judge.model,
                      "judge_endpoint": getattr(judge, "host", None)}
    finally:
        sctx.close()
    return results, judged


# ------------------------------------------------------------------------------------------- metrics building
def _metrics_head(recipe: Any, label: str, info: dict[str, Any]) -> dict[str, Any]:
    """One model's metrics file before its benchmarks (schema ``evaluation.metrics``)."""
    cfg = recipe.eval
    metrics: dict[str, Any] = {
        "schema": metrics_mod.SCHEMA, "model": label, "model_path": info["path"], "run": recipe.run.name,
        "smoke": recipe.run.smoke, "benchmarks": {},
        # where the number comes from (fusechat/depths.py): released model / trained here on the released
        # data / rebuilt here, and the model's or the data's revision
        **column_provenance(recipe, cfg.models.get(label, "")),
        "protocol": {"harness": f"fusechat-eval {__version__}", "judge": None, "family": info["family"],
                     "decoding": {"per_task": "see benchmarks.<id>.protocol.decoding",
                                  "max_new_tokens_cap": cfg.max_new_tokens}},
    }
    if cfg.target_table:
        metrics["table"] = cfg.target_table
    return metrics


def _cells(task: Task, label: str, items: list[dict[str, Any]], results: list[Any], prov: dict[str, Any],
           judged: dict[str, Any], failures: dict[str, int]) -> dict[str, dict[str, Any]]:
    """The metrics cells of the paper rows this task fills (``Task.aggregate_rows``), with the task's protocol, the
    data copy used, its further figures (``Task.summary``), the judge's report and the scoring failures."""
    try:
        summary = task.summary(items, results)  # further figures (e.g. base and plus), once per task
        rows = task.aggregate_rows(items, results)
    except Exception as exc:  # noqa: BLE001 - one line naming the task, never a traceback
        raise StageError(f"{task.id} ({label}): cannot aggregate the verdicts: "
                         f"{score_guard.one_line(exc)}") from None
    cells = {}
    for row_id, value in rows.items():
        spec = paper_rows.get(row_id)
        cell = {"value": value, "n": len(results), "metric": spec.metric, "scale": spec.scale, "judge": spec.judge,
                "data_version": _data_version(prov), "task": task.id, "task_version": task.version,
                "protocol": task.protocol(), "data": prov}
        if summary:
            cell["summary"] = summary
        cell.update(judged)
        if failures:
            cell["scoring_failures"] = failures
        cells[row_id] = cell
    return cells


def run(ctx: StageContext) -> StageResult:
    with ExitStack() as stack:
        return _run(ctx, stack)


def _run(ctx: StageContext, stack: ExitStack) -> StageResult:
    """Every model x every selected task: read, score (judge bookkeeping), build the metrics cells; then the
    tasks whose numbers depend on every model (Arena-Hard's joint bootstrap); then write the metrics files."""
    recipe = ctx.recipe
    cfg = recipe.eval
    gen_dir = ctx.input("eval_generate")
    index = json.loads((gen_dir / "models.json").read_text())
    provenance = json.loads((gen_dir / "benchmarks.json").read_text())
    data_dir = default_data_dir(cfg.data_dir)
    tasks = [(t, e) for t, e in selected_benchmarks(cfg) if t.id in provenance]
    factory = None
    if any(t.judge_model for t, _ in tasks):
        from fusechat.tiny_world import settings_from

        factory = judge_factory(cfg.judge, settings_from(recipe.world), stack)
    book = JudgeBook()
    scoring_log: dict[str, dict[str, dict[str, int]]] = {}
    n = 0
    scored: dict[str, dict[str, tuple[Any, Any]]] = {}  # task -> model -> (items, results), for joint aggregation
    all_metrics: dict[str, dict[str, Any]] = {}
    for label, info in index.items():
        metrics = _metrics_head(recipe, label, info)
        for task, entry in tasks:
            items, gens = _generations(gen_dir, info["folder"], task)
            options = {**entry.options, "data_dir": str(data_dir / task.id)}
            if task.judge_model and factory is not None:
                options[JUDGE_OPTION] = factory
            results, judged = _score(task, items, gens, options)
            if judged:
                book.record(label, task.id, judged)
            _write_verdicts(gens, results, ctx.out_dir / slug(label) / f"{task.id}.verdicts.jsonl")
            scored.setdefault(task.id, {})[label] = (items, results)
            failures = score_guard.counts(results)
            if failures:
                scoring_log.setdefault(label, {})[task.id] = failures
            metrics["benchmarks"].update(_cells(task, label, items, results, provenance[task.id]["data"], judged,
                                                failures))
            n += len(results)
        metrics["protocol"]["judge"] = book.judges_of(label)
        all_metrics[label] = metrics
    for task, _ in tasks:  # tasks whose numbers depend on every model of the run (Arena-Hard's joint bootstrap)
        if hasattr(task, "aggregate_models") and len(scored.get(task.id, {})) > 1:
            for label, (rows, summary) in task.aggregate_models(scored[task.id]).items():
                for row_id, value in rows.items():
                    all_metrics[label]["benchmarks"][row_id].update(value=value, summary=summary)
    for label, metrics in all_metrics.items():
        metrics_mod.write(metrics, ctx.out_dir / f"{slug(label)}.metrics.json")
    stats: dict[str, Any] = {"models": list(index), "benchmarks": [t.id for t, _ in tasks]}
    if book.log:
        stats["judge"] = book.log
        stats["judge_totals"] = book.totals
    if scoring_log:
        stats["scoring"] = scoring_log
    return StageResult([Counts("verdicts", n, n)], stats)
