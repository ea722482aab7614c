"""A JIT-extension build lock left by a killed build is found (preflight BLOCKs, the rehearsal stops) instead of
every DeepSpeed launch waiting for it forever."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from fusechat import rehearse
from fusechat.extension_locks import STALE_AFTER_S, stale_locks
from fusechat.preflight import check_extension_locks


def _lock(root: Path, age_s: float) -> Path:
    lock = root / "py311_cpu" / "deepspeed_shm_comm" / "lock"
    lock.parent.mkdir(parents=True)
    lock.touch()
    then = time.time() - age_s
    os.utime(lock, (then, then))
    return lock


def test_only_an_old_lock_is_stale(tmp_path: Path) -> None:
    assert stale_locks(tmp_path) == []
    fresh = _lock(tmp_path / "a", 60)  # a build in progress
    assert stale_locks(tmp_path / "a") == []
    old = _lock(tmp_path / "b", STALE_AFTER_S + 60)
    assert [p for p, _ in stale_locks(tmp_path / "b")] == [old]
    assert fresh.exists() and old.exists()  # reported, never removed behind the user's back


def test_preflight_blocks_and_rehearsal_stops_on_a_stale_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path))
    assert check_extension_locks(None) == []  # type: ignore[arg-type]
    lock = _lock(tmp_path, 2 * STALE_AFTER_S)
    (check,) = check_extension_locks(None)  # type: ignore[arg-type]
    assert check.level == "BLOCK" and str(lock) in check.message
    assert rehearse.main(["--recipe", "recipes/llama31_8b.yaml"]) == 2
    assert str(lock) in capsys.readouterr().err
