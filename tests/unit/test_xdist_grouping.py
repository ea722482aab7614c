"""``--dist loadgroup`` really keeps an ``xdist_group`` on one worker (tests/run.sh relies on it: tests/conftest.py
groups the tests by file, so a module-scoped fixture such as the vLLM driver or the WRPO run is built once). pytest
9.2 broke this silently with pytest-xdist 3.8 (pytest-dev/pytest-xdist#1386): no error, the groups just spread over
both workers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GROUPED = '''
import pytest

@pytest.mark.xdist_group("shared")
def test_a(): pass

@pytest.mark.xdist_group("shared")
def test_b(): pass

@pytest.mark.xdist_group("shared")
def test_c(): pass

def test_d(): pass
'''


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    out = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-vv", "-p",
                          "no:cacheprovider", "-o", "addopts=", "test_grouped.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    ran = re.findall(r"\[(gw\d)\].*PASSED test_grouped\.py::(test_[abc])@shared", out.stdout)
    assert sorted(t for _, t in ran) == ["test_a", "test_b", "test_c"], out.stdout[-2000:]
    assert len({w for w, _ in ran}) == 1, ran
