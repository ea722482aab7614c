"""Which commit of a hub dataset the evaluation reads: a pinned commit, or the last commit of a recorded era date.

Issue 21's rule: every hub dataset is read at the revision of the paper's era. Where public sources name the
commit, the task pins it (``DataSpec.revision``, 40 hex). Where no commit can be confirmed offline, the task records
an **era date** (``DataSpec.era``, ``YYYY-MM-DD``) and the revision is *the last hub commit made on or before
that day (UTC)*, read from the dataset's commit history (``HfApi.list_repo_commits``). The first fetch writes the
resolved commit into the lock file ``evaluation/data_lock.json`` (commit it); every later fetch resolves the rule
again and must arrive at the locked commit, else it stops with a one-line error (history rewritten, or the lock
edited by hand). The fetch records the rule, the commit and its date in ``fetch.json`` and the metrics'
provenance.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, Protocol

from fusechat.recipe import REPO_ROOT

LOCK_FILE = REPO_ROOT / "evaluation" / "data_lock.json"
_ERA = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


class RevisionError(ValueError):
    """A revision that cannot be resolved or does not match the lock; the message is one line."""


class _Commit(Protocol):
    commit_id: str
    created_at: datetime


class CommitApi(Protocol):
    """The part of ``huggingface_hub.HfApi`` used here (a fake in tests)."""

    def list_repo_commits(self, repo_id: str, *, repo_type: str | None = None) -> list[Any]: ...


@dataclass(frozen=True)
class Resolved:
    """A hub dataset's revision and how it was chosen (written into ``fetch.json``)."""

    hub_id: str
    revision: str
    rule: str  # "pinned" | "era <date>"
    commit_date: str | None = None

    def record(self) -> dict[str, Any]:
        return {"hub_id": self.hub_id, "revision": self.revision, "rule": self.rule, "commit_date": self.commit_date}


def is_commit(revision: str | None) -> bool:
    """Whether ``revision`` is a full 40-hex commit sha (a branch or tag name can move; a commit cannot)."""
    return revision is not None and bool(_SHA.match(revision))


def check_era(era: str) -> str:
    """``era`` itself when it is a ``YYYY-MM-DD`` date, else a one-line error."""
    if not _ERA.match(era):
        raise RevisionError(f"era {era!r} is not a YYYY-MM-DD date")
    date.fromisoformat(era)
    return era


def commit_at_or_before(commits: list[Any], era: str) -> tuple[str, str]:
    """(sha, ISO date) of the newest commit created on or before the end of day ``era`` (UTC).

    ``commits`` are ``huggingface_hub`` ``GitCommitInfo``-like objects (``commit_id``, ``created_at``), in any
    order; a dataset with no commit by then is an error (it did not exist in the paper's era)."""
    end = datetime.combine(date.fromisoformat(check_era(era)), time.max, tzinfo=UTC)
    dated = []
    for c in commits:
        created = c.created_at if c.created_at.tzinfo else c.created_at.replace(tzinfo=UTC)
        if created <= end:
            dated.append((created, c.commit_id))
    if not dated:
        raise RevisionError(f"no commit on or before {era}")
    created, sha = max(dated)
    return sha, created.isoformat()


def lock_path() -> Path:
    """The lock file (``$FUSECHAT_DATA_LOCK`` overrides the repository's ``evaluation/data_lock.json``)."""
    return Path(os.environ.get("FUSECHAT_DATA_LOCK") or LOCK_FILE)


def read_lock(path: Path | None = None) -> dict[str, dict[str, str]]:
    path = path or lock_path()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RevisionError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    return data.get("datasets", {})


def write_lock_entry(hub_id: str, entry: dict[str, str], path: Path | None = None) -> None:
    path = path or lock_path()
    locked = read_lock(path)
    locked[hub_id] = entry
    doc = {"about": "hub dataset revisions resolved from each task's era date (evaluation/hub_revisions.py); "
                    "later fetches must resolve to the same commit",
           "datasets": dict(sorted(locked.items()))}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def resolve(hub_id: str, revision: str | None, era: str | None, api: CommitApi | None = None,
            path: Path | None = None) -> Resolved:
    """The commit to read ``hub_id`` at: ``revision`` when it is a commit, else the era rule checked against the
    lock (a new entry is written on first resolution). Neither is an error: nothing is read at a moving head."""
    if is_commit(revision):
        assert revision is not None
        return Resolved(hub_id, revision, "pinned")
    if era is None:
        raise RevisionError(f"{hub_id}: neither a 40-hex revision nor an era date (unpinned data is not fetched)")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    try:
        commits = list(api.list_repo_commits(hub_id, repo_type="dataset"))
        sha, when = commit_at_or_before(commits, era)
    except RevisionError as exc:
        raise RevisionError(f"{hub_id}: {exc}") from None
    locked = read_lock(path).get(hub_id)
    if locked is not None:
        if locked.get("era") != era:
            raise RevisionError(f"{hub_id}: the lock was resolved for era {locked.get('era')}, the task says {era}; "
                                "remove the entry from the lock file to resolve again")
        if locked.get("revision") != sha:
            raise RevisionError(f"{hub_id}: the last commit on or before {era} is now {sha[:12]}, the lock says "
                                f"{str(locked.get('revision'))[:12]} (hub history rewritten?)")
    else:
        write_lock_entry(hub_id, {"era": era, "revision": sha, "commit_date": when}, path)
    return Resolved(hub_id, sha, f"era {era}", when)
