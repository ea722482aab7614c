"""Benchmark data: the fetch into a checksummed cache (a local file:// DataFile), the checksum verification on
load, and the one-line errors when data is missing (offline) or altered."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaluation import data as data_mod
from evaluation.data import DataError, load_items
from evaluation.fetch_data import download, fetch_task, main
from evaluation.tasks import get_task
from evaluation.tasks.base import DataFile, DataSpec

REPO = Path(__file__).resolve().parents[2]


def _local_amc(tmp_path: Path, n: int = 40) -> tuple[Path, str]:
    rows = get_task("amc23").synthetic(__import__("random").Random(0), n)
    src = tmp_path / "src" / "test.jsonl"
    src.parent.mkdir()
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return src, hashlib.sha256(src.read_bytes()).hexdigest()


class _FileTask(type(get_task("amc23"))):  # type: ignore[misc]
    """AMC23 with its DataFile pointing at a local file (the real one is a pinned GitHub URL)."""


def _task_with(src: Path, sha: str | None, expected: int = 40):
    task = _FileTask()
    task.data = dataclasses.replace(task.data, files=(DataFile("test.jsonl", src.as_uri(), sha),),
                                    expected_items=expected)
    return task


def test_fetch_pins_rows_and_checksums_then_loads_verified(tmp_path: Path) -> None:
    src, sha = _local_amc(tmp_path)
    task = _task_with(src, sha)
    folder = fetch_task(task, tmp_path / "cache")
    meta = json.loads((folder / "fetch.json").read_text())
    assert meta["rows"] == 40 and meta["files"] == {"test.jsonl": sha} and meta["task_version"] == task.version
    assert meta["sha256"] == hashlib.sha256((folder / "items.jsonl").read_bytes()).hexdigest()
    got = load_items(task, None, data_dir=tmp_path / "cache", limit=5)
    assert len(got.items) == 5 and isinstance(got.items[0]["answer"], float)
    assert got.provenance["sha256"] == meta["sha256"] and got.provenance["items"] == 5
    # altered cache: a one-line error naming the file and the fetch command
    items = folder / "items.jsonl"
    items.write_text(items.read_text().replace("miles", "km", 1))
    with pytest.raises(DataError, match=r"items.jsonl: sha256 .* does not match fetch.json.*fetch_data.py") as e:
        load_items(task, None, data_dir=tmp_path / "cache")
    assert "\n" not in str(e.value)


def test_checksum_mismatch_of_a_downloaded_file_is_refused(tmp_path: Path) -> None:
    src, sha = _local_amc(tmp_path)
    with pytest.raises(DataError, match="sha256 mismatch"):
        download(DataFile("test.jsonl", src.as_uri(), "0" * 64), tmp_path / "out" / "test.jsonl")
    assert not (tmp_path / "out" / "test.jsonl").exists()
    assert download(DataFile("test.jsonl", src.as_uri(), sha), tmp_path / "out" / "test.jsonl") == sha
    with pytest.raises(DataError, match="wrong copy"):  # the expected item count is checked too
        fetch_task(_task_with(src, sha, expected=41), tmp_path / "cache2")


def test_missing_data_is_one_line_naming_task_and_command(tmp_path: Path) -> None:
    with pytest.raises(DataError) as e:
        load_items(get_task("math"), None, data_dir=tmp_path, recipe_file="recipes/llama31_8b.yaml")
    msg = str(e.value)
    assert msg.startswith("math: benchmark data not fetched (EleutherAI/hendrycks_math)") and "\n" not in msg
    assert msg.endswith("run: python evaluation/fetch_data.py --recipe recipes/llama31_8b.yaml")


def test_offline_fetch_of_a_hub_dataset_fails_in_one_line(tmp_path: Path) -> None:
    """HF_HUB_OFFLINE is set by the test environment: the hub cannot be reached."""
    proc = subprocess.run([sys.executable, "evaluation/fetch_data.py", "--task", "mmlu_redux", "--data-dir",
                           str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                               "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: mmlu_redux: cannot load edinburgh-dawg/mmlu-redux-2.0")
    assert not (tmp_path / "mmlu_redux").exists()


def test_main_needs_something_to_fetch(capsys) -> None:
    with pytest.raises(SystemExit):
        main([])
    assert main(["--task", "no_such_task"]) == 1
    assert "unknown benchmark 'no_such_task'" in capsys.readouterr().err


def test_local_file_and_tiny_paths(tmp_path: Path) -> None:
    src, _ = _local_amc(tmp_path, 3)
    got = load_items(get_task("amc23"), str(src), data_dir=tmp_path)
    assert len(got.items) == 3 and got.provenance["source"] == "local file"
    tiny = load_items(get_task("mmlu_redux"), "tiny:mmlu_redux", data_dir=tmp_path, world_items=12)
    assert tiny.provenance["prepared_from"] == 12 and len(tiny.items) < 12  # prepare() drops non-"ok" rows
    again = load_items(get_task("mmlu_redux"), "tiny:mmlu_redux", data_dir=tmp_path, world_items=12)
    assert again.items == tiny.items  # deterministic
    with pytest.raises(DataError, match="names another task"):
        load_items(get_task("gsm8k"), "tiny:mmlu", data_dir=tmp_path)
    with pytest.raises(DataError, match="benchmark file not found"):
        load_items(get_task("gsm8k"), str(tmp_path / "nope.jsonl"), data_dir=tmp_path)
    assert data_mod.default_data_dir(str(tmp_path)) == tmp_path


def test_every_task_declares_its_data() -> None:
    from evaluation.tasks import all_tasks

    for task in all_tasks().values():
        d: DataSpec = task.data
        assert d.hub_id or d.files or hasattr(task, "fetch_rows"), task.id  # fetch_rows: several hub sets
        assert d.expected_items, task.id
        assert d.licence, task.id
