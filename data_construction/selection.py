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

from data_construction.dedup import near_duplicates
from data_construction.sources import MAPPERS, RowError
from fusechat.io import write_parquet
from fusechat.recipe import REPO_ROOT, Recipe, SourceConfig
from fusechat.stage import Counts, StageContext, StageError, StageResult
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
def iter_source_rows(src: SourceConfig, world: TinyWorldSettings) -> Iterator[dict[str, Any]]:
    """Yield raw rows of a source: a local .parquet/.json/.jsonl file, ``tiny:<name>``, or a hub id."""
    ref = resolve(src.path, world)
    path = Path(ref) if Path(ref).is_absolute() else REPO_ROOT / ref
    if path.exists():
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
                yield from batch.to_pylist()
        elif path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError:
                            raise StageError(f"{path}:{lineno}: undecodable JSON line") from None
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, list):
                raise StageError(f"{path}: expected a JSON list of rows")
            yield from data
        else:
            raise StageError(f"{path}: unsupported file type {path.suffix} (use .parquet, .json or .jsonl)")
        return
    from datasets import load_dataset  # hub id with a pinned revision (GPU cluster / networked machines)

    yield from load_dataset(ref, revision=src.revision, split=src.split, streaming=True)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def prompt_id(source: str, text: str) -> str:
    return source + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def select_prompts(recipe: Recipe) -> tuple[list[dict[str, Any]], Counts, dict[str, Any]]:
    """Apply mapping, validation, domain filters, dedup and quotas to every source, in recipe order."""
    world = settings_from(recipe.world)
    sel = recipe.data.selection
    seen: set[str] = set()
    candidates: list[tuple[SourceConfig, list[dict[str, Any]], Counter[str]]] = []
    dropped: Counter[str] = Counter()
    per_source: dict[str, dict[str, Any]] = {}
    n_in = 0
    for src in recipe.data.sources:
        if src.name not in MAPPERS:
            raise StageError(f"source '{src.name}': no loader (known: {', '.join(sorted(MAPPERS))})")
        mapper = MAPPERS[src.name]
        src_kept: list[dict[str, Any]] = []
        src_drop: Counter[str] = Counter()
        for row in iter_source_rows(src, world):
            n_in += 1
            try:
                rec = mapper(row)
            except RowError as exc:
                src_drop[str(exc)] += 1
                continue
            text = rec["messages"][-1]["content"]
            reason = None
            if len(text) < sel.min_prompt_chars:
                reason = "empty_prompt"
            elif len(text) > sel.max_prompt_chars:
                reason = "prompt_too_long"
            else:
                filters = DOMAIN_FILTERS[src.domain] if sel.domain_filters else []
                reason = next((r for r, f in filters if f(text)), None)
            if reason is None and sel.dedup:
                key = normalise(text)
                reason = "duplicate" if key in seen else None
                seen.add(key)
            if reason:
                src_drop[reason] += 1
                continue
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
        if src.max_prompts is not None and len(src_kept) > src.max_prompts:
            rng = random.Random(f"{recipe.run.seed}-{src.name}")
            keep_idx = set(rng.sample(range(len(src_kept)), src.max_prompts))
            src_drop["over_quota"] += len(src_kept) - src.max_prompts
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
    return StageResult([counts], stats)
