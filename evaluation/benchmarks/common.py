"""Shared loading for benchmark item files (JSONL/JSON/Parquet, local or ``tiny:``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fusechat.recipe import REPO_ROOT


def load_items(path: str, limit: int | None = None, subset: str | None = None, split: str = "test",
               revision: str | None = None) -> list[dict[str, Any]]:
    """Items from a local JSONL/JSON/Parquet file, or from a hub dataset (``subset``/``split``/``revision``)."""
    p = Path(path) if Path(path).is_absolute() else REPO_ROOT / path
    if not p.exists() and p.suffix not in {".jsonl", ".json", ".parquet"}:
        from datasets import load_dataset

        items = list(load_dataset(path, subset, split=split, revision=revision))
        return items[:limit] if limit else items
    if p.suffix == ".jsonl":
        from fusechat.io import read_jsonl

        items = read_jsonl(p)
    elif p.suffix == ".json":
        items = json.loads(p.read_text(encoding="utf-8"))
    elif p.suffix == ".parquet":
        from fusechat.io import read_parquet

        items = read_parquet(p)
    else:
        raise ValueError(f"{p}: unsupported benchmark file type")
    return items[:limit] if limit else items
