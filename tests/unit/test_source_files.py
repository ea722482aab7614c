"""Broken source files: a row whose bytes are not UTF-8 is a counted drop; a file that cannot be read at all is one
line naming the file (and line/row/byte where known), exit status 1, and nothing written downstream."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_construction.source_files import iter_file_rows
from data_construction.sources import RowError, UndecodableRow, map_row
from fusechat.stage_runner import StageError

REPO = Path(__file__).resolve().parents[2]
GOOD = [{"source": "sharegpt", "instruction": f"Describe river number {i} in simple words."} for i in range(4)]


def jsonl_bytes(rows: list) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def good_parquet(path: Path) -> Path:
    pq.write_table(pa.Table.from_pylist(GOOD), path)
    return path


def reasons(path: Path) -> list[str | None]:
    out = []
    for row in iter_file_rows(path):
        try:
            map_row("ultrafeedback", row)
            out.append(None)
        except RowError as exc:
            out.append(str(exc))
    return out


# ------------------------------------------------------------------------------------------ class 3: rows not UTF-8
def test_parquet_string_cell_not_utf8_is_a_row_drop(tmp_path: Path) -> None:
    raw = pa.array([b"Describe rivers.", b"Describe \xff\xfe lakes.", b"Describe seas."], pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())  # written without validation
    path = tmp_path / "uf.parquet"
    pq.write_table(pa.table({"instruction": text, "source": ["a", "b", "c"]}), path)
    rows = list(iter_file_rows(path))
    assert isinstance(rows[1], UndecodableRow) and rows[1].where.endswith("uf.parquet row 1")
    assert reasons(path) == [None, "invalid_utf8", None]


def test_jsonl_line_not_utf8_is_a_row_drop(tmp_path: Path) -> None:
    path = tmp_path / "uf.jsonl"
    lines = jsonl_bytes(GOOD).splitlines(keepends=True)
    lines[2] = lines[2].replace(b"river", b"riv\xe9r")  # latin-1 byte inside a string
    path.write_bytes(b"".join(lines))
    assert reasons(path) == [None, None, "invalid_utf8", None]


def test_json_file_with_a_row_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "zh.json"
    data = json.dumps(GOOD, ensure_ascii=False).encode().replace(b"number 3", b"number \xc3\x28")
    path.write_bytes(data)
    assert reasons(path) == [None, None, None, "invalid_utf8"]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "uf.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(GOOD))
    assert reasons(path) == [None] * 4


# ------------------------------------------------------------------------------------------ class 4: unreadable
def _truncated_parquet(tmp_path: Path) -> Path:
    path = good_parquet(tmp_path / "t.parquet")
    path.write_bytes(path.read_bytes()[:-20])
    return path


def _corrupt_parquet_pages(tmp_path: Path) -> Path:
    path = good_parquet(tmp_path / "c.parquet")
    data = bytearray(path.read_bytes())
    data[4:60] = b"\x00" * 56  # first column chunk's page header and data
    path.write_bytes(bytes(data))
    return path


def _file(name: str, data: bytes):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return make


def _truncated_gzip(tmp_path: Path) -> Path:
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl_bytes(GOOD * 50))[:-30])
    return path


CORRUPT = {  # kind -> (make file, pattern the one-line message must match)
    "empty parquet": (_file("e.parquet", b""), r"e\.parquet: empty file \(0 bytes\)"),
    "truncated parquet": (_truncated_parquet, r"t\.parquet: not a readable Parquet file \(ArrowInvalid: .*magic"),
    "corrupt parquet pages": (_corrupt_parquet_pages, r"c\.parquet: (row 0: unreadable Parquet data|not a readable)"),
    "not parquet at all": (_file("x.parquet", b"PAR1 this is text, not parquet"), r"x\.parquet: not a readable"),
    "empty JSON": (_file("e.json", b""), r"e\.json: empty file"),
    "truncated JSON": (_file("t.json", json.dumps(GOOD).encode()[:-25]),
                       r"t\.json:1:\d+: byte \d+: not valid JSON \(.*; truncated\?\)"),
    "JSON that is not a list": (_file("o.json", b'{"instruction": "x"}'), r"o\.json: expected a JSON list of rows"),
    "garbage JSONL": (_file("g.jsonl", jsonl_bytes(GOOD[:2]) + b"\x89PNG\r\n\x1a\n\x00\x00garbage\n"),
                      r"g\.jsonl:3: byte \d+: not a JSON line"),
    "truncated JSONL": (_file("t.jsonl", jsonl_bytes(GOOD)[:-15]), r"t\.jsonl:4: byte \d+: not a JSON line"),
    "UTF-16 JSONL": (_file("u.jsonl", jsonl_bytes(GOOD).decode().encode("utf-16")),
                     r"u\.jsonl: byte 0: UTF-16 byte-order mark"),
    "latin-1 JSON": (_file("l.json", json.dumps([{"instruction": f"Ré{i}"} for i in range(5)],
                                                ensure_ascii=False).encode("latin-1")),
                     r"l\.json: 5 of 5 rows are not valid UTF-8; the file looks like another text encoding"),
    "truncated gzip": (_truncated_gzip, r"train\.jsonl\.gz: unreadable gzip data \(EOFError"),
    "unsupported type": (_file("rows.csv", b"instruction\nhi\n"), r"rows\.csv: unsupported file type \.csv"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_unreadable_file_is_one_line_naming_the_file(kind: str, tmp_path: Path) -> None:
    make, pattern = CORRUPT[kind]
    path = make(tmp_path)
    with pytest.raises(StageError, match=pattern) as info:
        list(iter_file_rows(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_gzip_jsonl_reads(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl_bytes(GOOD)))
    assert reasons(path) == [None] * 4


@pytest.mark.parametrize("kind", ["truncated parquet", "truncated JSON", "garbage JSONL"])
def test_select_stage_exits_1_with_one_line_and_writes_nothing(kind: str, tmp_path: Path) -> None:
    path = CORRUPT[kind][0](tmp_path)
    run_dir = tmp_path / "run"
    src = json.dumps([{"name": "ultrafeedback", "domain": "general", "path": str(path)}])
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "data_construction/01_select_prompts.py", "--recipe",
                           "recipes/smoke.yaml", f"run.dir={run_dir}", f"data.sources={src}"],
                          cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("stage error:")]
    assert len(errors) == 1 and str(path) in errors[0] and "Traceback" not in proc.stderr
    out = run_dir / "data" / "01_prompts"
    assert not (out / "prompts.parquet").exists() and not (out / "manifest.json").exists()


def test_hub_dataset_that_cannot_load_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from data_construction.source_files import iter_hub_rows

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(StageError, match=r"^hub dataset no-such-org/no-such-set@abc123 split train: the Hugging Face hub is unreachable \(") \
            as info:
        next(iter(iter_hub_rows("no-such-org/no-such-set", "abc123", "train")))
    assert "\n" not in str(info.value)
