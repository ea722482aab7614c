"""Every repository path the README and docs/ name in backticks exists (docs that match the code)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = ("fusechat", "evaluation", "training", "data_construction", "tests", "tools", "recipes", "docs",
       "requirements", "results", ".ci")
PATH = re.compile(r"`((?:" + "|".join(re.escape(t) for t in TOP) + r")/[\w./-]*\w)(?::\d+)?`")


def named_paths(text: str) -> list[str]:
    """Backticked paths under the repository's top-level folders; a path with a placeholder (``<x>``, ``*``,
    ``{x}``) or a run-time output folder is not a repository path and is not listed."""
    return [p for p in PATH.findall(text) if not any(c in p for c in "<>*{}")]


def test_every_path_named_in_readme_and_docs_exists() -> None:
    missing = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for p in named_paths(doc.read_text(encoding="utf-8")):
            if not (ROOT / p).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {p}")
    assert not missing, "\n".join(missing)


def test_the_check_sees_a_missing_path() -> None:
    assert named_paths("see `tests/integration/test_nothing_here.py` and `runs/<name>/x`") == [
        "tests/integration/test_nothing_here.py"]
