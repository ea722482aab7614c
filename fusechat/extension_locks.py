"""Stale build locks of PyTorch's JIT extensions (DeepSpeed's ops), which hang every later launch silently.

PyTorch builds a JIT extension (DeepSpeed's ``deepspeed_shm_comm`` on its CPU accelerator, ``cpu_adam``,
``fused_adam`` where not prebuilt) under ``$TORCH_EXTENSIONS_DIR`` (default ``~/.cache/torch_extensions``) and
serialises builds with a ``lock`` file in the op's folder (``torch.utils.file_baton.FileBaton``): a process that
finds the file waits, polling, until it disappears. A build killed midway leaves the file behind, and from then on
every launch that needs the op waits forever with no message (seen here: a 2-process ZeRO-3 SFT idle for 8 minutes
until the file was removed). A build takes minutes, so a lock much older than that is almost surely stale.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

#: A lock older than this (seconds) is reported: DeepSpeed's ops build in 1-10 minutes even on a loaded 2-core box.
STALE_AFTER_S = 30 * 60


def extensions_dir() -> Path:
    """Where PyTorch builds JIT extensions: ``$TORCH_EXTENSIONS_DIR``, else ``~/.cache/torch_extensions``."""
    env = os.environ.get("TORCH_EXTENSIONS_DIR")
    return Path(env) if env else Path.home() / ".cache" / "torch_extensions"


def stale_locks(root: Path | None = None, older_than_s: float = STALE_AFTER_S,
                now: float | None = None) -> list[tuple[Path, float]]:
    """Every ``<root>/<python-tag>/<op>/lock`` older than ``older_than_s``, with its age in seconds."""
    root = extensions_dir() if root is None else root
    now = time.time() if now is None else now
    out = []
    for lock in sorted(root.glob("*/*/lock")):
        try:
            age = now - lock.stat().st_mtime
        except OSError:  # removed meanwhile: a build just finished
            continue
        if age > older_than_s:
            out.append((lock, age))
    return out
