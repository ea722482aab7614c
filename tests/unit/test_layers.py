"""The layers contract (docs/architecture.md): fusechat is plumbing below data_construction, training and
evaluation, which never import one another; orchestration asks a stage through the stage table's hooks."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fusechat.stage_table import (
    HOOKS,
    RELEASED_DATA_STAGES,
    RELEASED_MODEL_STAGES,
    STAGES,
    WRPO_STAGES,
    stage_hook,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_stage_names_a_module_that_exists() -> None:
    for table in (STAGES, WRPO_STAGES, RELEASED_MODEL_STAGES, RELEASED_DATA_STAGES):
        for name, spec in table.items():
            assert spec.module.split(".")[0] in {"data_construction", "training", "evaluation"}, name
            assert importlib.util.find_spec(spec.module) is not None, f"{name}: {spec.module}"


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_every_hook_is_a_public_name_of_its_stage_module(hook: str) -> None:
    assert not hook.startswith("_")
    assert callable(stage_hook(hook)) or isinstance(stage_hook(hook), dict)


def test_the_layers_contract_is_kept_and_a_new_arrow_up_breaks_it(tmp_path: Path) -> None:
    """lint-imports passes on the tree, and fails once fusechat imports a method package."""
    exe = Path(sys.executable).with_name("lint-imports")
    if not exe.exists():
        pytest.skip("lint-imports is not installed in this environment (requirements/cpu.txt has it)")
    ok = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout[-2000:]
    copy = tmp_path / "repo"
    for pkg in ("fusechat", "data_construction", "training", "evaluation"):
        shutil.copytree(ROOT / pkg, copy / pkg, ignore=shutil.ignore_patterns("__pycache__", "tiny_world"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "fusechat" / "io.py").write_text((copy / "fusechat" / "io.py").read_text()
                                             + "\nfrom evaluation import layout  # noqa\n")
    bad = subprocess.run([str(exe), "--no-cache"], cwd=copy, capture_output=True, text=True)
    assert bad.returncode != 0 and "fusechat is not allowed to import evaluation" in bad.stdout, bad.stdout[-2000:]
