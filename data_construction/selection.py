"""Prompt selection (blog §Prompt Selection): load each source in its real schema, map it to one prompt record,
filter, deduplicate, apply quotas. Every dropped row is counted with its reason.

Prompt record: ``id, source, domain, messages, gold_answer, tests, dataset_response, dataset_response_model,
metadata`` (metadata is a JSON string with source-specific fields).

Rules written down where the blog is vague:
- "excluding code and math data" (general sets) and "filtering out code and math prompts" (Chinese sets) are
  implemented by ``looks_like_code`` / ``looks_like_math``: keyword and pattern heuristics (code fences, language
  names, ``def``/``class``/``#include``; equations, arithmetic expressions, math vocabulary in English and
  Chinese). The blog does not say how the authors filtered; this is our documented choice.
- Exact duplicates (after whitespace/case normalisation) and near duplicates (``dedup.py``: word-3-gram Jaccard
  ≥ ``near_dup_threshold``) are removed within and across sources; the first occurrence in recipe order wins.
- Length limits (paper silent) cover what the sampling model will see, the whole conversation: at most
  ``max_prompt_chars`` characters over all turns (``prompt_too_long``, a cheap first cut), then the context-window
  check of ``context_window.py`` in the sampling models' own tokens (``over_context_window``).

Rows are checked before any rule (``sources.map_row``): a hostile row is a counted drop, never an exception; a file
that cannot be read is a one-line ``StageError`` (``source_files.py``) and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from data_construction.context_window import ContextLimit, ModelBudget
from data_construction.dedup import near_duplicates
from data_construction.release import selection_cap
from data_construction.source_files import iter_file_rows, iter_hub_rows
from data_construction.sources import MAPPERS, RowError, map_row
from fusechat.io import write_parquet
from fusechat.recipe import REPO_ROOT, Recipe, SourceConfig
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult
from fusechat.tiny_world import TinyWorldSettings, resolve, settings_from

CODE_PATTERNS = re.compile(
    r"```|\bdef \w+\(|\bclass \w+[:(]|#include|\bpython\b|\bjava(script)?\b|c\+\+|\bsql\b|\bcode\b|"
    r"\bfunction\b|\bimplement\b|\bquicksort\b|\balgorithm\b|代码|编程|python|函数",
    re.IGNORECASE,
)
MATH_PATTERNS = re.compile(
    r"\d+\s*[-+*/^=]\s*\d+|\bsolve\b|\bcalculate\b|\bintegral\b|\bequation\b|\bderivative\b|\bx\s*=|"
    r"计算|方程|等于多少|求解|积分",
    re.IGNORECASE,
)


def looks_like_code(text: str) -> bool:
    return bool(CODE_PATTERNS.search(text))


def looks_like_math(text: str) -> bool:
    return bool(MATH_PATTERNS.search(text))


# Domain filters (blog): general and Chinese sets exclude code and math prompts.
DOMAIN_FILTERS: dict[str, list[tuple[str, Callable[[str], bool]]]] = {
    "general": [("code_prompt", looks_like_code), ("math_prompt", looks_like_math)],
    "chinese": [("code_prompt", looks_like_code), ("math_prompt", looks_like_math)],
    "math": [],
    "code": [],
}


# ------------------------------------------------------------------------------------------ loading
def iter_rows(ref: str, revision: str | None, split: str, world: TinyWorldSettings) -> Iterator[Any]:
    """Yield the raw rows of a dataset reference: a local .parquet/.json/.jsonl/.jsonl.gz file, ``tiny:<name>``, or
    a hub id (at ``revision``, ``split``). Rows are not checked here; a file that cannot be read is a one-line
    ``StageError``."""
    ref = resolve(ref, world)
    path = Path(ref) if Path(ref).is_absolute() else REPO_ROOT / ref
    if path.exists():
        return iter_file_rows(path)
    return iter_hub_rows(ref, revision, split)


def iter_source_rows(src: SourceConfig, world: TinyWorldSettings) -> Iterator[Any]:
    """Yield raw rows of a source (:func:`iter_rows`); ``map_row`` checks them."""
    return iter_rows(src.path, src.revision, src.split, world)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def prompt_id(source: str, text: str) -> str:
    return source + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def conversation_chars(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages)


def source_cap(recipe: Recipe, src: SourceConfig) -> int | None:
    """Seeded per-source cap before sampling: the source's ``max_prompts``, else (``data.selection.cap_from_release``)
    the paper's selected count for ``data.release`` with ``data.selection.headroom`` (``release.selection_cap``)."""
    if src.max_prompts is not None:
        return src.max_prompts
    if not recipe.data.selection.cap_from_release:
        return None
    return selection_cap(recipe.data.release, src.name, recipe.data.selection.headroom, recipe.data.release_scale)


def select_prompts(recipe: Recipe) -> tuple[list[dict[str, Any]], Counts, dict[str, Any]]:
    """Apply mapping, validation, domain filters, dedup and quotas to every source, in recipe order."""
    world = settings_from(recipe.world)
    sel = recipe.data.selection
    seen: set[str] = set()
    candidates: list[tuple[SourceConfig, list[dict[str, Any]], Counter[str]]] = []
    dropped: Counter[str] = Counter()
    per_source: dict[str, dict[str, Any]] = {}
    n_in = 0
    budgets: dict[str, ModelBudget] = {}
    for src in recipe.data.sources:
        if src.name not in MAPPERS:
            raise StageError(f"source '{src.name}': no loader (known: {', '.join(sorted(MAPPERS))})")
        src_drop: Counter[str] = Counter()
        passed: list[dict[str, Any]] = []
        for row in iter_source_rows(src, world):
            n_in += 1
            try:
                rec = map_row(src.name, row)
            except RowError as exc:
                src_drop[str(exc)] += 1
                continue
            text = rec["messages"][-1]["content"]
            if len(text) < sel.min_prompt_chars:
                reason = "empty_prompt"
            elif conversation_chars(rec["messages"]) > sel.max_prompt_chars:
                reason = "prompt_too_long"
            else:
                filters = DOMAIN_FILTERS[src.domain] if sel.domain_filters else []
                reason = next((r for r, f in filters if f(text)), None)
            if reason is None and sel.dedup:  # before the tokenizer: repeated prompts are tokenized once
                key = normalise(text)
                reason = "duplicate" if key in seen else None
                seen.add(key)
            if reason:
                src_drop[reason] += 1
                continue
            passed.append(rec)
        limit = ContextLimit.for_domain(recipe, src.domain, budgets)
        src_kept: list[dict[str, Any]] = []
        for rec, reason in zip(passed, limit.drops([r["messages"] for r in passed]), strict=True):
            if reason:
                src_drop[reason] += 1
                continue
            text = rec["messages"][-1]["content"]
            src_kept.append({
                "id": prompt_id(src.name, text),
                "source": src.name,
                "domain": src.domain,
                "messages": rec["messages"],
                "gold_answer": rec.get("gold_answer"),
                "tests": rec.get("tests"),
                "dataset_response": rec.get("dataset_response"),
                "dataset_response_model": rec.get("dataset_response_model"),
                "metadata": json.dumps(rec.get("metadata") or {}, ensure_ascii=False, sort_keys=True),
            })
        candidates.append((src, src_kept, src_drop))
    if sel.dedup and sel.near_dup_threshold:  # near duplicates across all sources, first occurrence wins
        flat = [r for _, rows, _ in candidates for r in rows]
        flags = iter(near_duplicates([r["messages"][-1]["content"] for r in flat], sel.near_dup_threshold))
        for _, rows, src_drop in candidates:
            keep = [not next(flags) for _ in rows]
            src_drop["near_duplicate"] += keep.count(False)
            rows[:] = [r for r, k in zip(rows, keep, strict=True) if k]
    kept: list[dict[str, Any]] = []
    for src, src_kept, src_drop in candidates:
        cap = source_cap(recipe, src)
        if cap is not None and len(src_kept) > cap:
            rng = random.Random(f"{recipe.run.seed}-{src.name}")
            keep_idx = set(rng.sample(range(len(src_kept)), cap))
            src_drop["over_quota"] += len(src_kept) - cap
            src_kept = [r for i, r in enumerate(src_kept) if i in keep_idx]
        kept.extend(src_kept)
        src_drop = Counter({k: v for k, v in src_drop.items() if v})
        dropped.update(src_drop)
        per_source[src.name] = {"kept": len(src_kept), "dropped": dict(sorted(src_drop.items()))}
    counts = Counts("source rows", n_in, len(kept), dict(dropped))
    return kept, counts, {"per_source": per_source}


PROMPT_FILE = "prompts.parquet"


def run(ctx: StageContext) -> StageResult:
    rows, counts, stats = select_prompts(ctx.recipe)
    write_parquet(rows, ctx.out_dir / PROMPT_FILE)
    from fusechat.plan import make_plan

    try:  # the cost plan of this run, on the prompts actually selected (compared with measured stages later)
        stats["plan"] = make_plan(ctx.recipe, rows).as_dict()
    except Exception as exc:  # informational: a plan that cannot be made never blocks the data work
        stats["plan"] = {"error": f"{type(exc).__name__}: {exc}"}
    return StageResult([counts], stats)
