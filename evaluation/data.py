"""Benchmark items for a task: from the fetched cache (default), a local file, or the tiny world.

The cache (``python evaluation/fetch_data.py``) holds, per task, ``<data_dir>/<task>/items.jsonl`` (the rows of
the real dataset, unmodified) and ``fetch.json`` (hub id, configs, split, the resolved revision and the rule that
chose it, row count and the sha256 of every file). Loading re-checks the checksum; a task that was never fetched is a one-line error
naming it and the command that fetches it. ``Task.prepare`` then applies the protocol's filtering, and ``limit``
keeps the first N items.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.tasks.base import Task
from fusechat.recipe import REPO_ROOT

ITEMS_FILE = "items.jsonl"
FETCH_FILE = "fetch.json"


class DataError(ValueError):
    """Benchmark data missing or corrupt; the message is one line naming the task and what to run."""


@dataclass
class Items:
    """A task's items and where they came from (written into the metrics JSON)."""

    items: list[dict[str, Any]]
    provenance: dict[str, Any] = field(default_factory=dict)


def default_data_dir(configured: str | None = None) -> Path:
    """``eval.data_dir``, else ``$FUSECHAT_EVAL_DATA``, else ``<repo>/.cache/eval_data``."""
    raw = configured or os.environ.get("FUSECHAT_EVAL_DATA") or str(REPO_ROOT / ".cache" / "eval_data")
    p = Path(raw)
    return p if p.is_absolute() else REPO_ROOT / p


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL (also gzipped) / JSON (a list) / Parquet file."""
    if path.name.endswith(".jsonl.gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if path.suffix == ".jsonl":
        from fusechat.io import read_jsonl

        return read_jsonl(path)
    if path.suffix == ".json":
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list):
            raise DataError(f"{path}: a benchmark JSON file must hold a list of items")
        return rows
    if path.suffix == ".parquet":
        from fusechat.io import read_parquet

        return read_parquet(path)
    raise DataError(f"{path}: unsupported benchmark file type (use .jsonl, .json or .parquet)")


def fetch_hint(task: Task, recipe_file: str | None = None) -> str:
    where = f"--recipe {recipe_file}" if recipe_file else f"--task {task.id}"
    return f"python evaluation/fetch_data.py {where}"


def load_cached(task: Task, data_dir: Path, recipe_file: str | None = None) -> Items:
    """The fetched rows of ``task``, checksum-verified; one-line ``DataError`` when missing or altered."""
    folder = data_dir / task.id
    meta_path, items_path = folder / FETCH_FILE, folder / ITEMS_FILE
    src = task.data.hub_id or (task.data.files[0].url if task.data.files else "?")
    if not meta_path.is_file() or not items_path.is_file():
        raise DataError(f"{task.id}: benchmark data not fetched ({src}) in {data_dir}; run: "
                        f"{fetch_hint(task, recipe_file)}")
    meta = json.loads(meta_path.read_text())
    got = sha256_file(items_path)
    if got != meta.get("sha256"):
        raise DataError(f"{items_path}: sha256 {got[:12]}… does not match fetch.json ({str(meta.get('sha256'))[:12]}…);"
                        f" re-run: {fetch_hint(task, recipe_file)}")
    wanted = {f.name for f in task.data.files}
    if wanted and not wanted <= set(meta.get("files", {})):
        raise DataError(f"{task.id}: the cache in {folder} holds {sorted(meta.get('files', {}))}, not "
                        f"{sorted(wanted)} (another release?); run: {fetch_hint(task, recipe_file)} --force")
    rows = read_rows(items_path)
    prov = {"source": "fetched", "hub_id": meta.get("hub_id"), "configs": meta.get("configs"),
            "split": meta.get("split"), "revision": meta.get("revision"), "resolved": meta.get("resolved", []),
            "rows": len(rows),
            "sha256": meta["sha256"], "files": meta.get("files", {}), "note": task.data.note}
    return Items(rows, prov)


def tiny_items(task: Task, seed: int, n: int) -> Items:
    """``n`` synthetic items in the real schema (``task.synthetic``), seeded by the world seed and the task id."""
    rng = random.Random(seed * 1_000_003 + zlib.crc32(task.id.encode()))
    rows = task.synthetic(rng, n)
    return Items(rows, {"source": "tiny world (synthetic items in the real schema)", "seed": seed, "rows": len(rows)})


def load_items(task: Task, path: str | None, *, data_dir: Path, limit: int | None = None, world_seed: int = 0,
               world_items: int = 24, recipe_file: str | None = None) -> Items:
    """Items of ``task``: ``path`` = ``tiny:<task>`` | a local file | None (the fetched cache); ``prepare``d and
    cut to ``limit``."""
    if path is not None and path.startswith("tiny:"):
        name = path[len("tiny:"):]
        if name != task.id:
            raise DataError(f"{task.id}: path {path!r} names another task (use tiny:{task.id})")
        got = tiny_items(task, world_seed, world_items)
    elif path is not None:
        p = Path(path) if Path(path).is_absolute() else REPO_ROOT / path
        if not p.is_file():
            raise DataError(f"{task.id}: benchmark file not found: {path}")
        got = Items(read_rows(p), {"source": "local file", "path": str(p), "sha256": sha256_file(p)})
        got.provenance["rows"] = len(got.items)
    else:
        got = load_cached(task, data_dir, recipe_file)
    items = task.prepare(got.items)
    if limit is not None:
        items = items[:limit]
    got.provenance.update(items=len(items), limit=limit, prepared_from=len(got.items))
    return Items(items, got.provenance)
