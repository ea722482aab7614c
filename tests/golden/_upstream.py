"""Where the golden-file generators get upstream code: the listed files of a git clone at the pinned commit,
exported (``git archive``) into a temporary folder and put first on ``sys.path``. Nothing of it is committed."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def export(repo: Path, commit: str, files: list[str]) -> Path:
    """``files`` of ``repo`` at ``commit`` in a new temporary folder (first on ``sys.path``)."""
    full = subprocess.run(["git", "-C", str(repo), "rev-parse", f"{commit}^{{commit}}"], check=True,
                          capture_output=True, text=True).stdout.strip()
    if not full.startswith(commit):
        raise SystemExit(f"{repo}: {commit} resolves to {full}")
    out = Path(tempfile.mkdtemp(prefix="golden-upstream-"))
    archive = subprocess.run(["git", "-C", str(repo), "archive", full, *files], check=True, capture_output=True)
    subprocess.run(["tar", "x", "-C", str(out)], input=archive.stdout, check=True)
    sys.path.insert(0, str(out))
    return out


def write_cases(path: Path, header: dict, cases: list[dict], ascii_only: bool = True) -> None:
    """A golden JSONL file: a header line (upstream commit, generator), then one case per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", errors="surrogatepass") as f:
        f.write(json.dumps({"header": header}) + "\n")
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=ascii_only) + "\n")
