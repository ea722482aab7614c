"""Reading a source's rows from a local file (.parquet, .json, .jsonl, .jsonl.gz) or the hub, without crashing.

Two kinds of bad input, two outcomes (the stage contract: "bad input gets a clear message naming the file and
row, and never silently disappears"):

- **A bad row** is yielded as it is (a JSON ``null``, a number, a list …) or, when its bytes are not UTF-8, as an
  :class:`~data_construction.sources.UndecodableRow`; :func:`~data_construction.sources.map_row` turns it into a
  counted drop (``not_an_object``, ``invalid_utf8``, …).
- **A file that cannot be read at all** -- empty, truncated, not the format its name says, the wrong text encoding
  (a UTF-16/32 byte-order mark, or most rows not UTF-8), a JSONL line that is not JSON -- raises ``StageError``
  with one line naming the file and, where known, the line, row or byte offset. The stage then writes nothing.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from data_construction.sources import UndecodableRow
from fusechat.stage_runner import StageError

WRONG_ENCODING_SHARE = 0.5
"""A file in which more than this share of rows is not UTF-8 is read as being in another encoding (an error)."""
_FOREIGN_BOMS = {b"\xff\xfe\x00\x00": "UTF-32", b"\x00\x00\xfe\xff": "UTF-32", b"\xff\xfe": "UTF-16",
                 b"\xfe\xff": "UTF-16"}
_UTF8_BOM = b"\xef\xbb\xbf"
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # what ``surrogateescape`` makes of a byte that is not UTF-8


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _check_bom(path: Path, head: bytes) -> bytes:
    """``head`` without a UTF-8 byte-order mark; a UTF-16/32 mark is a wrong-encoding error."""
    for bom, name in _FOREIGN_BOMS.items():
        if head.startswith(bom):
            raise StageError(f"{path}: byte 0: {name} byte-order mark; source files must be UTF-8 (re-encode it)")
    return head[len(_UTF8_BOM):] if head.startswith(_UTF8_BOM) else head


def _decode(raw: bytes) -> tuple[str, bool]:
    """Text of ``raw`` and whether it was valid UTF-8 (invalid bytes become U+DC80-U+DCFF, kept for the check)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape"), False


def _has_escaped_byte(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii() and _ESCAPED_BYTE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_escaped_byte(k) or _has_escaped_byte(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_escaped_byte(v) for v in value)
    return False


def _check_share(path: Path, bad: int, total: int) -> None:
    if total and bad / total > WRONG_ENCODING_SHARE:
        raise StageError(f"{path}: {bad} of {total} rows are not valid UTF-8; the file looks like another text "
                         "encoding (re-encode it as UTF-8)")


# ------------------------------------------------------------------------------------------ formats
def _iter_parquet(path: Path) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise StageError(f"{path}: not a readable Parquet file ({_one_line(exc)})") from None
    row, bad = 0, 0
    try:
        for batch in pf.iter_batches(batch_size=4096):
            try:
                rows = batch.to_pylist()
            except UnicodeDecodeError:  # a string cell that is not UTF-8: find the rows, keep the others
                rows = []
                for i in range(batch.num_rows):
                    try:
                        rows.append(batch.slice(i, 1).to_pylist()[0])
                    except UnicodeDecodeError:
                        rows.append(UndecodableRow(f"{path} row {row + i}"))
                        bad += 1
            yield from rows
            row += batch.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise StageError(f"{path}: row {row}: unreadable Parquet data ({_one_line(exc)})") from None
    _check_share(path, bad, row)


def _iter_lines(path: Path, fh: IO[bytes]) -> Iterator[Any]:
    """JSON Lines: one JSON value per line; a line that is not JSON is a file error naming line and byte offset."""
    offset, total, bad = 0, 0, 0
    for lineno, raw in enumerate(fh, 1):
        start = offset
        offset += len(raw)
        if lineno == 1:
            stripped = _check_bom(path, raw)
            start += len(raw) - len(stripped)
            raw = stripped
        if not raw.strip():
            continue
        text, valid = _decode(raw)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            at = start + len(text[:exc.pos].encode("utf-8", "surrogateescape"))
            raise StageError(f"{path}:{lineno}: byte {at}: not a JSON line ({exc.msg})") from None
        except RecursionError:
            raise StageError(f"{path}:{lineno}: byte {start}: JSON nested too deeply to read") from None
        total += 1
        if valid:
            yield value
        else:
            bad += 1
            yield UndecodableRow(f"{path}:{lineno}")
    _check_share(path, bad, total)


def _iter_jsonl(path: Path) -> Iterator[Any]:
    with path.open("rb") as fh:
        yield from _iter_lines(path, fh)


def _iter_jsonl_gz(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rb") as fh:
            yield from _iter_lines(path, fh)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError; a truncated stream is EOFError
        raise StageError(f"{path}: unreadable gzip data ({_one_line(exc)})") from None


def _iter_json(path: Path) -> Iterator[Any]:
    """A JSON list of rows (the alpaca files). Invalid UTF-8 inside a row's strings makes that row
    ``invalid_utf8``; a file that does not parse (truncated, not JSON) is an error with line, column and byte."""
    raw = _check_bom(path, path.read_bytes())
    text, valid = _decode(raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        at = len(text[:exc.pos].encode("utf-8", "surrogateescape"))
        raise StageError(f"{path}:{exc.lineno}:{exc.colno}: byte {at}: not valid JSON ({exc.msg}; "
                         "truncated?)") from None
    except RecursionError:
        raise StageError(f"{path}: JSON nested too deeply to read") from None
    if not isinstance(data, list):
        raise StageError(f"{path}: expected a JSON list of rows, found {type(data).__name__}")
    bad = 0
    for i, row in enumerate(data):
        if not valid and _has_escaped_byte(row):
            bad += 1
            yield UndecodableRow(f"{path} row {i}")
        else:
            yield row
    _check_share(path, bad, len(data))


READERS = {".parquet": _iter_parquet, ".jsonl": _iter_jsonl, ".jsonl.gz": _iter_jsonl_gz, ".json": _iter_json}


def iter_file_rows(path: Path) -> Iterator[Any]:
    """Yield the raw rows of a local source file (see the module docstring for what is an error)."""
    suffix = ".jsonl.gz" if path.name.endswith(".jsonl.gz") else path.suffix
    if suffix not in READERS:
        raise StageError(f"{path}: unsupported file type {suffix or '(none)'} (use {', '.join(READERS)})")
    if not path.is_file():
        raise StageError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise StageError(f"{path}: empty file (0 bytes)")
    return READERS[suffix](path)


def iter_hub_rows(ref: str, revision: str | None, split: str) -> Iterator[Any]:
    """Rows of a hub dataset (streamed, at a pinned revision); a failure to load or read is one line."""
    where = f"hub dataset {ref}" + (f"@{revision}" if revision else "") + f" split {split}"
    try:
        from datasets import load_dataset

        rows = load_dataset(ref, revision=revision, split=split, streaming=True)
    except Exception as exc:  # noqa: BLE001 -- any loader failure (offline, missing, gated) becomes one line
        from fusechat.cli import hub_error_line

        raise StageError(f"{where}: {hub_error_line(exc) or f'cannot load ({_one_line(exc)})'}") from None
    n = 0
    try:
        for row in rows:
            yield row
            n += 1
    except UnicodeDecodeError:
        raise StageError(f"{where}: row {n}: text that is not UTF-8") from None
    except (OSError, ValueError) as exc:
        raise StageError(f"{where}: row {n}: unreadable ({_one_line(exc)})") from None
