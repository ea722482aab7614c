"""The on-disk judgment cache: a judged run never pays twice for the same judgment and survives being killed.

One SQLite database (stdlib ``sqlite3``, write-ahead log) holds one row per finished judgment, committed as soon as
the judge answers, so a run killed mid-judging keeps every judgment it already paid for and a rerun sends only the
missing requests.

Key: sha256 of the canonical JSON (sorted keys, no whitespace) of the judge model and the *whole* request (every
message with its role, temperature, max_tokens, logprobs, top_logprobs). Changing any of them is another judgment;
the endpoint's base URL and the API key are deliberately not part of it (the same model behind another URL gives
the same judgment, and the key must never reach a file). Failed requests are never stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from evaluation.judge import JudgeReply, JudgeRequest

DB_NAME = "judgments.sqlite3"
_SCHEMA = """CREATE TABLE IF NOT EXISTS judgments (
    key TEXT PRIMARY KEY, model TEXT NOT NULL, request TEXT NOT NULL, text TEXT NOT NULL,
    top_logprobs TEXT, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, created REAL NOT NULL)"""


def default_cache_dir(configured: str | None = None) -> Path:
    """``eval.judge.cache_dir`` (relative to the repository), else ``$FUSECHAT_CACHE/judgments``, else
    ``<repo>/.cache/judgments`` (the same root the tiny world uses)."""
    from fusechat.recipe import REPO_ROOT

    if configured:
        p = Path(configured).expanduser()
        return p if p.is_absolute() else REPO_ROOT / p
    return Path(os.environ.get("FUSECHAT_CACHE", REPO_ROOT / ".cache")) / "judgments"


def key_material(model: str, request: JudgeRequest) -> str:
    """The canonical JSON that is hashed into the key (judge model + full request)."""
    req = dataclasses.asdict(request)
    req["messages"] = [list(m) for m in request.messages]
    return json.dumps({"model": model, "request": req}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def cache_key(model: str, request: JudgeRequest) -> str:
    """sha256 of ``key_material``; a request holding lone surrogates (a model's broken text) is hashed through
    ``surrogatepass``, so it has a key of its own instead of raising (valid text hashes as before)."""
    return hashlib.sha256(key_material(model, request).encode("utf-8", "surrogatepass")).hexdigest()


def _storable(text: str) -> str:
    """``text`` as SQLite can store it: lone surrogates (which UTF-8 cannot encode) escaped as ``\\udXXX``."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class JudgmentCache:
    """Thread-safe store of finished judgments under ``directory`` (created on first use)."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / DB_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=60.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def get(self, model: str, request: JudgeRequest) -> JudgeReply | None:
        """The stored reply (``cached=True``), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT text, top_logprobs, prompt_tokens, completion_tokens FROM judgments WHERE key = ?",
                (cache_key(model, request),)).fetchone()
        if row is None:
            return None
        text, lp, pt, ct = row
        top = None if lp is None else tuple(dict(d) for d in json.loads(lp))
        return JudgeReply(text=text, top_logprobs=top, cached=True, prompt_tokens=pt, completion_tokens=ct)

    def put(self, model: str, request: JudgeRequest, reply: JudgeReply) -> None:
        """Store one successful judgment (committed at once); a reply with ``error`` set is refused."""
        if reply.error is not None:
            raise ValueError("failed judgments are never cached")
        lp: Any = None if reply.top_logprobs is None else json.dumps(list(reply.top_logprobs), ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO judgments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (cache_key(model, request), model, _storable(key_material(model, request)), _storable(reply.text), lp,
                 reply.prompt_tokens, reply.completion_tokens, time.time()))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM judgments").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
