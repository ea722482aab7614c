"""Evaluation generation (stage ``eval_generate``): every model of ``eval.models`` answers every item of every
benchmark of ``eval.benchmarks`` (task ids of ``evaluation/tasks/``), under each task's own protocol.

Per model: its prompt family (``evaluation/family_prompts.py``: config ``model_type`` or ``eval.families``); per task
and item: ``task.prompt(item, family)`` rendered through the model's chat template (+ the assistant prefill;
the stored response is prefill + continuation) and ``task.decoding_for(item, family)``. Items are grouped by
decoding (so per-category temperatures and n samples work) and cut into fixed chunks of ``eval.batch_size`` in
item order; each chunk is written as soon as it is done and its seed depends only on (run seed, model, task,
group, chunk), so a crashed run resumes at the next missing chunk and gives the same bytes
(``data_construction.sampling``'s scheme). ``eval.max_new_tokens`` caps every task's budget (smoke runs only).

Multi-turn tasks (``task.turns > 1``, MT-Bench) run turn by turn inside each chunk: turn t's prompt comes from
``task.prompt_turn(item, family, the model's earlier answers)``, batched over the chunk's items, with a seed per
(run seed, model, task, turn, group, chunk); the row's ``responses`` are the answers, one per turn, beside the
per-turn ``prompts``, ``prefills``, ``finish_reasons``, ``completion_tokens`` and ``seeds``. A chunk is written
once all its turns are done, so resuming reruns an interrupted chunk from turn 1 with the same seeds.

Outputs: ``items/<task>.jsonl`` (the exact items, read back by scoring), ``<model>/<task>.jsonl`` (prompt text,
prefill, responses, finish reasons, decoding), ``models.json`` and ``benchmarks.json`` (data provenance).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluation.data import DataError, Items, default_data_dir, load_items
from evaluation.family_prompts import FamilyError, detect_family, render, stop_strings
from evaluation.tasks import (
    all_tasks,
    get_task,
    training_formats,  # noqa: F401 - the eval_generate stage's hook (fusechat/stage_table.py)
)
from evaluation.tasks.base import Decoding, Task
from fusechat.generation import load_generator
from fusechat.io import read_jsonl, write_jsonl
from fusechat.recipe import REPO_ROOT, EvalBenchmarkConfig, EvalConfig
from fusechat.run_layout import MODEL_SUBDIR, chunk_seed, slug
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult
from fusechat.tiny_world import TinyWorldSettings, settings_from

ITEMS_DIR = "items"


def model_path(ref: str, ctx: StageContext, world: TinyWorldSettings) -> str:
    if ref == "@sft":
        return str(ctx.input("sft") / MODEL_SUBDIR)
    if ref == "@dpo":
        return str(ctx.input("dpo") / MODEL_SUBDIR)
    if ref.startswith("@"):
        raise StageError(f"eval.models: unknown run reference {ref!r} (use @sft or @dpo)")
    from fusechat.tiny_release import resolve_ref

    return resolve_ref(ref, world)  # tiny world, tiny release, or a hub id pinned as owner/name@<revision>


def selected_benchmarks(cfg: EvalConfig) -> list[tuple[Task, EvalBenchmarkConfig]]:
    """(task, entry) for ``eval.benchmarks``: explicit entries, or every ('all') / every ground-truth task.

    A name that is a further table row of a task (``mt_bench_turn1``) is an error naming the task."""
    if isinstance(cfg.benchmarks, str):
        tasks = [t for t in all_tasks().values() if cfg.benchmarks == "all" or t.ground_truth]
        entries = [EvalBenchmarkConfig(name=t.id) for t in tasks]
    else:
        entries = list(cfg.benchmarks)
    out = []
    for i, entry in enumerate(entries):
        if cfg.tiny and entry.path is None:
            entry = entry.model_copy(update={"path": f"tiny:{entry.name}"})
        try:
            out.append((get_task(entry.name).configured(entry.options), entry))
        except KeyError as exc:
            from evaluation import paper_rows

            row = paper_rows.BENCHMARKS.get(entry.name)
            if row and row.task:
                why = f"{entry.name} is a table row of task {row.task!r}: name the task"
            else:
                why = exc.args[0]
            raise StageError(f"eval.benchmarks.{i}.name: {why}") from None
    return out


def benchmark_items(recipe: Any) -> list[tuple[Task, EvalBenchmarkConfig, Items]]:
    """Every selected task with its items (one-line ``StageError`` when data is missing)."""
    cfg = recipe.eval
    data_dir = default_data_dir(cfg.data_dir)
    src = getattr(recipe, "_source", None)
    recipe_file = None if src is None else str(src.relative_to(REPO_ROOT) if src.is_relative_to(REPO_ROOT) else src)
    out = []
    for task, entry in selected_benchmarks(cfg):
        limit = entry.limit if entry.limit is not None else cfg.limit
        try:
            got = load_items(task, entry.path, data_dir=data_dir, limit=limit, world_seed=recipe.world.seed,
                             world_items=recipe.world.bench_items, recipe_file=recipe_file)
        except DataError as exc:
            raise StageError(str(exc)) from None
        if not got.items:
            raise StageError(f"{task.id}: no items to evaluate ({got.provenance.get('source')})")
        out.append((task, entry, got))
    return out


def capped(dec: Decoding, cap: int | None) -> Decoding:
    return dec if cap is None or dec.max_new_tokens <= cap else replace(dec, max_new_tokens=cap)


def _groups(task: Task, items: list[dict[str, Any]], family: str, cap: int | None) -> list[tuple[Decoding, list[int]]]:
    """Item indices grouped by their decoding, groups in order of first appearance."""
    groups: dict[Decoding, list[int]] = {}
    for i, it in enumerate(items):
        groups.setdefault(capped(task.decoding_for(it, family), cap), []).append(i)  # type: ignore[arg-type]
    return list(groups.items())


def _multi_turn_rows(gen: Any, task: Task, items: list[dict[str, Any]], part: list[int], family: str,
                     dec: Decoding, label: str, run_seed: int, group: int, chunk: int) -> list[dict[str, Any]]:
    """One chunk of a multi-turn task, turn by turn (FuseEval's MT-Bench vLLM path): turn t's prompts are
    ``task.prompt_turn(item, family, answers so far)``, batched over the chunk's items, each turn with its own
    seed from (run seed, model, task, turn, group, chunk). A row holds per-turn lists; ``responses`` are the
    answers, one per turn (n = 1)."""
    if dec.n != 1:
        raise StageError(f"{task.id}: a multi-turn task generates one answer per turn (decoding n={dec.n})")
    answers: list[list[str]] = [[] for _ in part]
    texts: list[list[str]] = [[] for _ in part]
    prefills: list[list[str]] = [[] for _ in part]
    finish: list[list[str | None]] = [[] for _ in part]
    tokens: list[list[int]] = [[] for _ in part]
    seeds: list[int] = []
    for turn in range(1, task.turns + 1):
        prompts = [task.prompt_turn(items[i], family, answers[k])  # type: ignore[arg-type]
                   for k, i in enumerate(part)]
        rendered = [render(gen.tokenizer, p) for p in prompts]
        seed = chunk_seed(run_seed, f"{label}/{task.id}/turn{turn}/{group}", chunk)
        seeds.append(seed)
        params = replace(dec.sampling(seed), stop=stop_strings(family, dec.stop))
        outs = gen.complete(rendered, params)
        for k, (text, p, (out,)) in enumerate(zip(rendered, prompts, outs, strict=True)):
            answers[k].append(p.prefill + out.text)
            texts[k].append(text)
            prefills[k].append(p.prefill)
            finish[k].append(out.finish_reason)
            tokens[k].append(out.completion_tokens)
    return [{"index": i, "prompts": texts[k], "prefills": prefills[k], "responses": answers[k],
             "finish_reasons": finish[k], "completion_tokens": tokens[k], "decoding": asdict(dec), "seeds": seeds}
            for k, i in enumerate(part)]


def generate_task(gen_factory: Any, task: Task, items: list[dict[str, Any]], family: str, folder: Path,
                  label: str, run_seed: int, batch_size: int, cap: int | None) -> int:
    """Generate one model's answers to one task in resumable chunks; returns the number of items."""
    final = folder / f"{task.id}.jsonl"
    if final.is_file():
        return len(items)
    chunk_dir = folder / ".chunks" / task.id
    for g, (dec, idxs) in enumerate(_groups(task, items, family, cap)):
        for c in range(0, len(idxs), batch_size):
            path = chunk_dir / f"{g:03d}-{c // batch_size:06d}.jsonl"
            if path.is_file():
                continue
            gen = gen_factory()
            part = idxs[c:c + batch_size]
            if task.turns > 1:
                write_jsonl(_multi_turn_rows(gen, task, items, part, family, dec, label, run_seed, g,
                                             c // batch_size), path)
                continue
            prompts = [task.prompt(items[i], family) for i in part]  # type: ignore[arg-type]
            texts = [render(gen.tokenizer, p) for p in prompts]
            seed = chunk_seed(run_seed, f"{label}/{task.id}/{g}", c // batch_size)
            params = replace(dec.sampling(seed), stop=stop_strings(family, dec.stop))
            outs = gen.complete(texts, params)
            rows = [{"index": i, "prompt": text, "prefill": p.prefill,
                     "responses": [p.prefill + o.text for o in completions],
                     "finish_reasons": [o.finish_reason for o in completions],
                     "completion_tokens": [o.completion_tokens for o in completions],
                     "decoding": asdict(dec), "seed": seed}
                    for i, text, p, completions in zip(part, texts, prompts, outs, strict=True)]
            write_jsonl(rows, path)
    rows = [r for p in sorted(chunk_dir.glob("*.jsonl")) for r in read_jsonl(p)]
    rows.sort(key=lambda r: r["index"])
    if [r["index"] for r in rows] != list(range(len(items))):
        raise StageError(f"{chunk_dir}: chunks do not cover items 0..{len(items) - 1}; delete the folder and rerun")
    write_jsonl(rows, final)
    shutil.rmtree(chunk_dir)
    return len(items)


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.eval
    world = settings_from(recipe.world)
    benches = benchmark_items(recipe)
    for task, _, got in benches:
        write_jsonl(got.items, ctx.out_dir / ITEMS_DIR / f"{task.id}.jsonl")
    index: dict[str, Any] = {}
    n_items = 0
    max_len = max((t.max_model_len or 0 for t, _, _ in benches), default=0) or None
    for label, ref in cfg.models.items():
        path = model_path(ref, ctx, world)
        try:
            family = detect_family(path, label, cfg.families.get(label))
        except FamilyError as exc:
            raise StageError(str(exc)) from None
        folder = ctx.out_dir / slug(label)
        index[label] = {"path": path, "folder": slug(label), "family": family}
        holder: dict[str, Any] = {}

        opts = cfg.model_options.get(label)

        def factory(path: str = path, holder: dict[str, Any] = holder, opts: Any = opts) -> Any:
            if "gen" not in holder:  # loaded only when some chunk is missing
                holder["gen"] = load_generator(path, backend=cfg.backend, batch_size=cfg.batch_size,
                                               max_model_len=max_len,
                                               tensor_parallel_size=opts.tensor_parallel_size if opts else 1,
                                               trust_remote_code=opts.trust_remote_code if opts else False)
            return holder["gen"]

        for task, _, got in tqdm(benches, desc=f"eval {label}", unit="benchmark"):
            n_items += generate_task(factory, task, got.items, family, folder, label, recipe.run.seed,
                                     cfg.batch_size, cfg.max_new_tokens)
        holder.clear()
    (ctx.out_dir / "models.json").write_text(json.dumps(index, indent=2))
    provenance = {t.id: {"version": t.version, "data": got.provenance, "options": entry.options}
                  for t, entry, got in benches}
    (ctx.out_dir / "benchmarks.json").write_text(json.dumps(provenance, indent=2, default=str))
    return StageResult([Counts("generations", n_items, n_items)],
                       {"models": index, "benchmarks": {t.id: len(got.items) for t, _, got in benches},
                        "max_new_tokens_cap": cfg.max_new_tokens})
