"""Preflight's GPU probe: a broken CUDA setup is reported with its cause, never silently as "no GPU"."""

from __future__ import annotations

import pytest
import torch
from conftest import REPO

from fusechat import preflight
from fusechat.recipe import load_recipe

LLAMA = REPO / "recipes/llama31_8b.yaml"


def _no_smi(monkeypatch: pytest.MonkeyPatch) -> None:
    real = preflight.shutil.which
    monkeypatch.setattr(preflight.shutil, "which", lambda name: None if name == "nvidia-smi" else real(name))


def test_a_failing_torch_probe_is_an_error_with_its_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_smi(monkeypatch)

    def broken() -> bool:
        raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")

    monkeypatch.setattr(torch.cuda, "is_available", broken)
    with pytest.raises(preflight.GpuProbeError, match="RuntimeError: CUDA driver version is insufficient"):
        preflight.gpus_here()
    checks = preflight.check_gpus(load_recipe(LLAMA))
    assert [c.level for c in checks] == ["BLOCK"]
    assert "CUDA driver version is insufficient" in checks[0].message and "no GPU visible" not in checks[0].message


def test_no_cuda_device_is_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_smi(monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert preflight.gpus_here() == []
    checks = preflight.check_gpus(load_recipe(LLAMA))
    assert checks[0].level == "BLOCK" and "no GPU visible" in checks[0].message
