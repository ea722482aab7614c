"""Math answers: extraction from a response and equivalence with the gold answer (math-verify).

Paper rule (FuseChat-3.0 blog, "Filtering", Math; docs/method.md): every OpenMathInstruct-2 response
is labelled *correct* when its final answer is mathematically equivalent to the dataset's gold
``expected_answer`` and *incorrect* otherwise; SFT takes a correct response, DPO pairs a correct (chosen) with an
incorrect (rejected) one. A response without an extractable answer is ``no_answer`` (treated as not correct);
a grader failure is ``error`` and a grader that exceeds its time budget is ``timeout`` -- neither is ever
counted as correct.

Extraction conventions (``extract_answer``): ``boxed`` (content of the last ``\\boxed{…}``/``\\fbox{…}`` by
brace matching: the Qwen2.5-Math harness and OpenMathInstruct-2 convention), ``gsm8k`` (``#### N``),
``answer_is`` ("the answer is …", "final answer is …", "答案是 …"), ``last_number``, or ``auto`` (the first
of those, in that order, that finds something -- the Qwen2.5-Math ``extract_answer`` fallback order).

Equivalence (``is_equivalent``) is math-verify's ``verify(parse(gold), parse(pred))`` (gold first, as
math-verify expects): numbers, fractions, LaTeX, percentages (50% = 0.5), units (``10\\text{ cm}`` = 10),
intervals and symbolic expressions. math-verify's own timeouts use ``signal.alarm`` and only work in the main
thread, so ``check_many`` runs the grader in its own worker processes with ``parsing_timeout=None`` /
``timeout_seconds=None`` and enforces a per-item budget of *work* by killing the worker: ``timeout_s`` seconds of
the worker's CPU time on one answer (read from ``/proc``), so the same answers get the same verdicts on a loaded
machine as on an idle one (a wall-clock limit gave 31 timeouts on one smoke run and 0 on another). A wall-clock
limit of ``WALL_FACTOR`` times the budget (at least ``MIN_WALL_S``) remains only as a safety net for a grader that
stops working without finishing; where ``/proc`` cannot be read the budget falls back to wall-clock time.

Verdicts are cached by ``sha256(extracted answer, gold)``: in memory for the process, and optionally in a
SQLite file (``cache_path``) shared across runs and shards.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_NUM = r"-?\d[\d,]*(?:\.\d+)?"
#: "#### N": the same language and captures as ``####\s*\$?\s*(N)`` (the reference in the tests), but with one
#: way to split the blanks around the optional ``$``, so a long blank run costs linear, not quadratic, time
_GSM8K = re.compile(r"####\s*(?:\$\s*)?(" + _NUM + ")")
GSM8K_REFERENCE = r"####\s*\$?\s*(" + _NUM + ")"
#: Wall-clock safety net of a grader: this many times its CPU budget, and at least ``MIN_WALL_S`` seconds.
WALL_FACTOR = 20.0
MIN_WALL_S = 60.0
_POLL_S = 0.05
#: "the answer is …": the reference pattern (``re.findall`` with IGNORECASE | MULTILINE). Its lazy answer
#: followed by ``\s*`` rescans a blank run once per character, so one long blank run costs quadratic time;
#: :func:`answer_is_matches` finds the same matches in linear time.
ANSWER_IS_REFERENCE = r"(?:answer is|answer:|答案是)\s*:?\s*(\$[^$\n]+\$|[^\n]+?)\s*(?:\.\s|\.$|$|\n)"
_ANSWER_IS_PREFIX = re.compile(r"answer is|answer:|答案是", re.IGNORECASE)
_BLANKS = re.compile(r"\s*")
_BLANK = re.compile(r"\s")
_STOP = re.compile(r"\.(?=\s|\Z)|\n")
_DOLLAR_OR_NEWLINE = re.compile(r"[$\n]")
STATUSES = ("correct", "incorrect", "no_answer", "error", "timeout")
CONVENTIONS = ("boxed", "gsm8k", "answer_is", "last_number")


@dataclass(frozen=True)
class Verdict:
    """One label: ``status`` in :data:`STATUSES`, ``extracted`` the answer string found (None if none)."""

    status: str
    extracted: str | None

    @property
    def correct(self) -> bool:
        """True only for ``status == "correct"``."""
        return self.status == "correct"


def _last_boxed(text: str) -> str | None:
    idx = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if idx < 0:
        return None
    rest = text[idx:]
    m = re.match(r"\\(?:boxed|fbox)\s*\{", rest)
    if m is None:
        m2 = re.match(r"\\boxed\s+([^\s$]+)", rest)  # "\boxed 5"
        return m2.group(1) if m2 else None
    start = idx + m.end()
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i].strip() or None
    return None


def _is_blank(text: str, i: int) -> bool:
    return _BLANK.match(text, i) is not None


def _stop_end(text: str, p: int) -> int | None:
    """Where the reference pattern's tail ``\\s*(?:\\.\\s|\\.$|$|\\n)`` ends when tried at ``p`` (None: no match).

    ``\\s*`` is greedy, so the blank run from ``p`` is taken whole first: at its end ``q``, ``.`` + blank, ``.`` at
    the end of the text, or the end of the text; failing those, it gives back characters until a ``$`` (before a
    newline) matches, i.e. it stops before the run's last newline.
    """
    q = _BLANKS.match(text, p).end()
    n = len(text)
    if q == n:
        return n
    if text[q] == ".":
        if q + 1 == n:
            return q + 1
        if _is_blank(text, q + 1):
            return q + 2
    k = text.rfind("\n", p, q)
    return k if k >= 0 else None


def _answer_at(text: str, e: int) -> tuple[str, int] | None:
    """The reference pattern after its prefix, tried at ``e``: (captured answer, end of match) or None."""
    n = len(text)
    a = _BLANKS.match(text, e).end()
    s: int | None
    if a < n and text[a] == ":":
        b = _BLANKS.match(text, a + 1).end()
        if b < n:
            s = b
        else:  # the greedy split ends the text: the last non-newline blank after the colon, else the colon
            s = _last_not_newline(text, a + 1, b)
            s = s if s >= 0 else a
    elif a < n:
        s = a
    else:  # the blanks reach the end of the text: the answer starts at their last non-newline character
        s = _last_not_newline(text, e, a)
        if s < 0:
            return None
    if text[s] == "$":  # first alternative: $…$ on one line, then the tail
        c = _DOLLAR_OR_NEWLINE.search(text, s + 1)
        if c is not None and c.group() == "$" and c.start() > s + 1:
            end = _stop_end(text, c.end())
            if end is not None:
                return text[s:c.end()], end
    # lazy [^\n]+?: the first p > s where the tail matches: the blanks before the first "." + blank (or "." that
    # ends the text) in the line, else the blanks that end the line (or the text)
    stop = _STOP.search(text, s + 1)
    q = stop.start() if stop else len(text)
    p = q
    while p - 1 > s and _is_blank(text, p - 1):
        p -= 1
    end = _stop_end(text, p)
    assert end is not None  # the tail always matches at a stop dot or at the blanks that end the line
    return text[s:p], end


def _last_not_newline(text: str, lo: int, hi: int) -> int:
    """The last index in ``[lo, hi)`` whose character is not a newline, or -1."""
    j = hi - 1
    while j >= lo and text[j] == "\n":
        j -= 1
    return j if j >= lo else -1


def answer_is_matches(text: str) -> list[str]:
    """``re.findall(ANSWER_IS_REFERENCE, text, flags=re.IGNORECASE | re.MULTILINE)`` in linear time.

    The same prefix search; at each prefix the reference pattern's backtracking order is followed in closed form
    (``_answer_at``), and the next search starts where the match ended, as ``findall`` does.
    """
    out: list[str] = []
    pos = 0
    while (m := _ANSWER_IS_PREFIX.search(text, pos)) is not None:
        got = _answer_at(text, m.end())
        if got is None:
            pos = m.start() + 1
            continue
        out.append(got[0])
        pos = got[1]
    return out


def _clean(ans: str) -> str:
    ans = ans.strip().strip("$").strip()
    ans = re.sub(r"^\\\(|\\\)$", "", ans).strip()
    return ans.rstrip(".").strip()


def extract_answer(text: str, convention: str = "auto") -> str | None:
    """Return the final answer string of ``text`` under ``convention`` (None when there is none)."""
    if not text:
        return None
    if convention != "auto" and convention not in CONVENTIONS:
        raise ValueError(f"unknown answer convention {convention!r}; expected auto or one of {CONVENTIONS}")
    order = CONVENTIONS if convention == "auto" else (convention,)
    for conv in order:
        found: str | None
        if conv == "boxed":
            found = _last_boxed(text)
        elif conv == "gsm8k":
            m = _GSM8K.findall(text)
            found = m[-1].replace(",", "") if m else None
        elif conv == "answer_is":
            m = answer_is_matches(text)
            found = m[-1] if m else None
        else:  # last_number
            m = re.findall(_NUM, text)
            found = m[-1].replace(",", "") if m else None
        if found:
            found = _clean(found)
            if found:
                return found
    return None


def _wrap(s: str) -> str:
    return s if "$" in s or "\\boxed" in s else f"${s}$"


def is_equivalent(pred: str, gold: str, timeout_s: int | None = None) -> bool:
    """math-verify equivalence of two answer strings (gold first, as math-verify expects).

    ``timeout_s`` is passed to math-verify (signal-based: main thread only); None disables it, which is what
    worker processes do (the pool enforces its own timeout).
    """
    from math_verify import parse, verify

    gold_p = parse(_wrap(gold), parsing_timeout=timeout_s)
    pred_p = parse(_wrap(pred), parsing_timeout=timeout_s)
    if not gold_p or not pred_p:
        return _clean(pred) == _clean(gold)
    return bool(verify(gold_p, pred_p, timeout_seconds=timeout_s))


def _key(extracted: str, gold: str) -> str:
    """Cache key of a verdict; text with lone surrogates (a model's broken output) is hashed through
    ``surrogatepass`` (a key of its own, never an exception; valid text hashes as before)."""
    return hashlib.sha256(f"{extracted}\x00{gold}".encode("utf-8", "surrogatepass")).hexdigest()


class VerdictCache:
    """Verdict statuses by ``sha256(extracted, gold)``: in memory, plus an optional SQLite file."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.mem: dict[str, str] = {}
        self._lock = threading.Lock()
        self._db = None
        if path is not None:
            self._db = sqlite3.connect(str(path), check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, status TEXT)")

    def get(self, key: str) -> str | None:
        """Cached status or None."""
        with self._lock:
            hit = self.mem.get(key)
            if hit is None and self._db is not None:
                row = self._db.execute("SELECT status FROM verdicts WHERE key = ?", (key,)).fetchone()
                hit = row[0] if row else None
                if hit is not None:
                    self.mem[key] = hit
            return hit

    def put_many(self, items: dict[str, str]) -> None:
        """Store statuses (timeouts and errors are not cached: they may depend on load)."""
        keep = {k: v for k, v in items.items() if v in ("correct", "incorrect")}
        with self._lock:
            self.mem.update(keep)
            if self._db is not None and keep:
                self._db.executemany("INSERT OR REPLACE INTO verdicts VALUES (?, ?)", list(keep.items()))
                self._db.commit()

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self._db is not None:
            self._db.close()
            self._db = None


_MEMORY_CACHE = VerdictCache()


def _grade(pred: str, gold: str, timeout_s: int | None) -> str:
    try:
        return "correct" if is_equivalent(pred, gold, timeout_s) else "incorrect"
    except TimeoutError:
        return "timeout"
    except Exception:
        return "error"


def check_response(response: str, gold: str, convention: str = "auto") -> Verdict:
    """Verdict for one response against one gold answer (in-process; math-verify's 5 s timeout in the main
    thread, none elsewhere)."""
    extracted = extract_answer(response, convention)
    if extracted is None:
        return Verdict("no_answer", None)
    key = _key(extracted, gold)
    hit = _MEMORY_CACHE.get(key)
    if hit is not None:
        return Verdict(hit, extracted)
    main = threading.current_thread() is threading.main_thread()
    status = _grade(extracted, gold, 5 if main else None)
    _MEMORY_CACHE.put_many({key: status})
    return Verdict(status, extracted)


def _worker_loop(conn) -> None:  # pragma: no cover - runs in a child process
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout disabled" warnings: we enforce it
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        pred, gold = msg
        conn.send(_grade(pred, gold, None))


class _GradeWorker:
    def __init__(self, ctx) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_loop, args=(child,), daemon=True)
        self.proc.start()
        child.close()

    def grade(self, pred: str, gold: str, timeout_s: float) -> str:
        """The grader's status for one pair; ``TimeoutError`` once it has spent ``timeout_s`` CPU seconds on it
        (or the wall-clock safety net has passed; see the module docstring)."""
        from fusechat.sandbox.limits import process_cpu_seconds

        self.conn.send((pred, gold))
        cpu0 = process_cpu_seconds(self.proc.pid)
        wall = max(MIN_WALL_S, WALL_FACTOR * timeout_s) if cpu0 is not None else timeout_s
        t0 = time.monotonic()
        while not self.conn.poll(_POLL_S):
            cpu = process_cpu_seconds(self.proc.pid) if cpu0 is not None else None
            if (cpu is not None and cpu - cpu0 > timeout_s) or time.monotonic() - t0 > wall:
                raise TimeoutError
        return self.conn.recv()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.kill()


def check_many(items: list[tuple[str, str]], convention: str = "auto", workers: int = 1,
               timeout_s: float = 5.0, cache_path: str | Path | None = None) -> list[Verdict]:
    """Verdicts for (response, gold) pairs, in order.

    Unique (extracted, gold) pairs not in the cache are graded by ``workers`` grader processes (at least one,
    so the budget always holds); an item over ``timeout_s`` seconds of grader CPU time gets ``"timeout"`` and its
    worker is replaced.
    ``cache_path`` adds a SQLite cache shared across runs.
    """
    disk = VerdictCache(cache_path) if cache_path is not None else None
    extracted = [extract_answer(resp, convention) for resp, _ in items]
    statuses: dict[str, str] = {}
    todo: dict[str, tuple[str, str]] = {}
    for ex, (_, gold) in zip(extracted, items, strict=True):
        if ex is None:
            continue
        k = _key(ex, gold)
        if k in statuses or k in todo:
            continue
        hit = _MEMORY_CACHE.get(k)
        if hit is None and disk is not None:
            hit = disk.get(k)
        if hit is not None:
            statuses[k] = hit
        else:
            todo[k] = (ex, gold)
    if todo:
        statuses.update(_grade_pool(todo, max(1, workers), timeout_s))
    _MEMORY_CACHE.put_many(statuses)
    if disk is not None:
        disk.put_many(statuses)
        disk.close()
    out = []
    for ex, (_, gold) in zip(extracted, items, strict=True):
        out.append(Verdict("no_answer", None) if ex is None else Verdict(statuses[_key(ex, gold)], ex))
    return out


def _grade_pool(todo: dict[str, tuple[str, str]], workers: int, timeout_s: float) -> dict[str, str]:
    ctx = mp.get_context("fork")
    keys = list(todo)
    result: dict[str, str] = {}
    lock = threading.Lock()
    pos = [0]

    def drain() -> None:
        worker = _GradeWorker(ctx)
        try:
            while True:
                with lock:
                    if pos[0] >= len(keys):
                        return
                    k = keys[pos[0]]
                    pos[0] += 1
                try:
                    status = worker.grade(*todo[k], timeout_s)
                except TimeoutError:
                    worker.kill()
                    worker = _GradeWorker(ctx)
                    status = "timeout"
                except (EOFError, OSError):
                    worker.kill()
                    worker = _GradeWorker(ctx)
                    status = "error"
                result[k] = status
        finally:
            worker.close()

    threads = [threading.Thread(target=drain, daemon=True) for _ in range(min(workers, len(keys)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result
