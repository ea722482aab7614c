"""Every benchmark's data is pinned: a hub commit, an era date resolved through the lock file, or a checksum of
FuseEval's copy / the release asset (issue 21, docs/evaluation.md "Data pins")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from evaluation import hub_revisions
from evaluation.fetch_data import download, git_blob_id, is_pinned
from evaluation.hub_revisions import RevisionError, resolve
from evaluation.tasks import all_tasks, get_task
from evaluation.tasks.base import DataFile


def _variants():
    """Every registered task and every data variant a recipe option selects (EvalPlus releases)."""
    for task in all_tasks().values():
        yield task
        for release in getattr(task, "releases", {}):
            yield task.configured({"release": release})


def test_every_task_and_release_is_pinned() -> None:
    unpinned = [(t.id, getattr(t, "release", None)) for t in _variants() if not is_pinned(t)]
    assert unpinned == []


def test_what_each_hub_task_is_pinned_by() -> None:
    """The pins docs/evaluation.md lists: commits found in public code, the LiveBench era rule."""
    assert get_task("math").data.revision == "21a5633873b6a120296cce3e2df9d5550074f4a3"
    assert get_task("math500").data.revision == "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be"
    assert get_task("mmlu_redux").data.revision == "372ea425445d51e1ba1188c56e5e893f8138621f"
    lb = get_task("livebench")
    assert {s.era for s in lb.sources} == {"2024-12-12"} and all(s.revision is None for s in lb.sources)
    he, mbpp = get_task("humaneval"), get_task("mbpp")
    assert he.data.files[0].git_blob == "b56d7b9d6b16b3b94f9c08702f8409b16f836704"
    assert "/5af2badba59fc4561202e19a7311ec119a19a73b/FuseEval/Code-Eval/eval_plus/data/" in he.data.files[0].url
    assert mbpp.data.files[0].sha256.startswith("a855b9de")
    assert mbpp.configured({"release": "v0.2.0"}).data.files[0].sha256.startswith("af43697e")
    assert he.configured({"release": "v0.1.10"}).data.files[0].sha256.startswith("272720b9")


def test_an_unpinned_hub_dataset_is_not_pinned() -> None:
    import dataclasses

    task = get_task("math")
    moved = dataclasses.replace(task.data, revision="main")
    assert not is_pinned(SimpleNamespace(data=moved))
    assert is_pinned(SimpleNamespace(data=dataclasses.replace(moved, era="2024-12-12")))
    with pytest.raises(RevisionError, match="neither a 40-hex revision nor an era"):
        resolve("x/y", "main", None)


def test_fuseeval_copies_are_the_paper_harness_files() -> None:
    for task_id, path, sha in (
            ("mmlu_pro", "General-Eval/MC-Eval/data/MMLU-Pro/data/test-00000-of-00001.parquet", "2bd1ae25"),
            ("mmlu", "General-Eval/MC-Eval/data/mmlu_no_train/all/test-00000-of-00001.parquet", "02033371"),
            ("gpqa_diamond", "General-Eval/MC-Eval/data/gpqa_formatted/diamond/train-00000-of-00001.parquet",
             "0124d3db"),
            ("gsm8k", "Math-Eval/data/gsm8k/test.jsonl", "9f098df7")):
        (f,) = get_task(task_id).data.files
        assert f.url.endswith(f"5af2badba59fc4561202e19a7311ec119a19a73b/FuseEval/{path}")
        assert f.sha256 is not None and f.sha256.startswith(sha) and len(f.sha256) == 64
    lcb = get_task("livecodebench")
    assert len(lcb.revision) == 40 and is_pinned(lcb)


def test_git_blob_id_is_checked_at_download(tmp_path) -> None:
    src = tmp_path / "HumanEvalPlus-v0.1.9.jsonl"
    src.write_bytes(b"hello\n")
    assert git_blob_id(src) == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"
    download(DataFile(src.name, src.as_uri(), git_blob="ce013625030ba8dba906f756967f9e9ca394464a"), tmp_path / "a")
    from evaluation.data import DataError

    with pytest.raises(DataError, match="git blob id mismatch"):
        download(DataFile(src.name, src.as_uri(), git_blob="0" * 40), tmp_path / "b")
    assert not (tmp_path / "b").exists()


# ------------------------------------------------------------------ the era rule and its lock file
def _c(sha: str, day: str, hour: int = 12) -> SimpleNamespace:
    return SimpleNamespace(commit_id=sha * 40 if len(sha) == 1 else sha,
                           created_at=datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC))


class _Api:
    """``HfApi.list_repo_commits`` over a fixed history (newest first, as the hub returns it)."""

    def __init__(self, commits: list[SimpleNamespace]) -> None:
        self.commits, self.calls = commits, []

    def list_repo_commits(self, repo_id: str, *, repo_type: str | None = None) -> list[SimpleNamespace]:
        self.calls.append((repo_id, repo_type))
        return self.commits


def test_era_resolves_to_the_last_commit_of_that_day_and_locks_it(tmp_path) -> None:
    lock = tmp_path / "lock.json"
    api = _Api([_c("c", "2025-01-03"), _c("b", "2024-12-12", hour=23), _c("a", "2024-09-01")])
    got = resolve("livebench/math", None, "2024-12-12", api, lock)
    assert (got.revision, got.rule) == ("b" * 40, "era 2024-12-12") and got.commit_date.startswith("2024-12-12")
    assert api.calls == [("livebench/math", "dataset")]
    entry = json.loads(lock.read_text())["datasets"]["livebench/math"]
    assert entry == {"era": "2024-12-12", "revision": "b" * 40, "commit_date": got.commit_date}
    # a later fetch resolves the rule again and agrees with the lock (a newer commit does not matter)
    api.commits.insert(0, _c("d", "2026-01-01"))
    assert resolve("livebench/math", None, "2024-12-12", api, lock).revision == "b" * 40
    # a pinned commit is used as is, without the API
    assert resolve("x/y", "e" * 40, "2024-12-12", _Api([]), lock).rule == "pinned"


def test_lock_mismatch_and_missing_history_are_one_line_errors(tmp_path) -> None:
    lock = tmp_path / "lock.json"
    resolve("livebench/math", None, "2024-12-12", _Api([_c("b", "2024-12-01")]), lock)
    rewritten = _Api([_c("f", "2024-12-02"), _c("b", "2024-12-01")])  # history rewritten before the era
    with pytest.raises(RevisionError, match=r"now ffffffffffff, the lock says bbbbbbbbbbbb"):
        resolve("livebench/math", None, "2024-12-12", rewritten, lock)
    with pytest.raises(RevisionError, match="the lock was resolved for era 2024-12-12, the task says 2024-12-31"):
        resolve("livebench/math", None, "2024-12-31", _Api([_c("b", "2024-12-01")]), lock)
    with pytest.raises(RevisionError, match="livebench/coding: no commit on or before 2024-12-12"):
        resolve("livebench/coding", None, "2024-12-12", _Api([_c("a", "2025-02-01")]), lock)
    with pytest.raises(RevisionError, match="not a YYYY-MM-DD date"):
        hub_revisions.check_era("12/12/2024")


def test_the_repository_lock_file_only_holds_era_entries_of_registered_tasks() -> None:
    locked = hub_revisions.read_lock(hub_revisions.LOCK_FILE)
    eras = {s.hub_id: s.era for t in all_tasks().values() for s in (t.data, *getattr(t, "sources", ()))
            if s.era is not None}
    for hub_id, entry in locked.items():
        assert eras.get(hub_id) == entry["era"] and hub_revisions.is_commit(entry["revision"]), hub_id
