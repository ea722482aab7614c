"""Row I/O: Parquet for bulk data, JSON/JSONL for small human-facing outputs.

Writes are atomic: a file is written as ``.<name>.tmp-<pid>`` beside its target and renamed over it when complete,
so a killed run leaves at most such a hidden temporary file, never a half-written output. Those are litter:
``remove_stale_temps`` deletes them when a stage resumes, ``hash_folder`` skips hidden files, and readers of chunk
folders read the chunk names they expect, never a glob that a temporary could match.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

TEMP_NAME = re.compile(r"^\..+\.tmp-\d+$")
"""The name of a temporary file written by this module (and ``fusechat.stage_runner.atomic_write_text``)."""


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the temporary files a killed run left anywhere under ``folder``; return what was removed. Call it
    only when no other process writes into ``folder`` (a resumed unsharded stage)."""
    removed = []
    if folder.is_dir():
        for p in sorted(folder.rglob(".*.tmp-*")):
            if p.is_file() and TEMP_NAME.match(p.name):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def parquet_readable(path: Path) -> bool:
    """True when ``path`` exists and its Parquet footer reads (a chunk a crash left unreadable is not output)."""
    if not path.is_file():
        return False
    try:
        pq.ParquetFile(path).close()
    except (pa.ArrowException, OSError):
        return False
    return True


def write_parquet(rows: list[dict[str, Any]], path: Path, schema: pa.Schema | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema) if rows or schema is None else schema.empty_table()
    tmp = temp_path(path)
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def read_parquet(path: Path, columns: list[str] | None = None) -> list[dict[str, Any]]:
    return pq.read_table(path, columns=columns).to_pylist()


def iter_parquet(path: Path, batch_size: int = 8192, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
        yield from batch.to_pylist()


def write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    n = 0
    with tmp.open("wb") as fh:  # orjson: UTF-8, compact, ~5x faster than json at export scale
        for row in rows:
            fh.write(orjson.dumps(row) + b"\n")
            n += 1
    os.replace(tmp, path)
    return n


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from None
    return rows


def write_json(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
