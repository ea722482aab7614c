"""Every environment's lock is current with its input file, fully pinned and hashed, and of the right torch build."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from fusechat import envlock

ROOT = Path(__file__).resolve().parents[2]
REQ = ROOT / "requirements"
LOCKS = REQ / "locks"
INPUTS = sorted(p.stem for p in REQ.glob("*.txt"))


def header_sha(lock: Path) -> str:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith("# input-sha256: "):
            return line.split(": ", 1)[1].strip()
    raise AssertionError(f"{lock} has no '# input-sha256:' header line")


def test_every_input_has_a_lock_and_no_lock_is_orphaned():
    assert set(INPUTS) >= {"cpu", "gpu-train", "gpu-gen", "vllm-cpu"}
    assert sorted(p.stem for p in LOCKS.glob("*.txt")) == INPUTS


@pytest.mark.parametrize("name", INPUTS)
def test_lock_is_current_with_its_input(name):
    """Fails when someone changed requirements/<name>.txt without running tools/lock_envs.sh."""
    want = hashlib.sha256((REQ / f"{name}.txt").read_bytes()).hexdigest()
    assert header_sha(LOCKS / f"{name}.txt") == want, (
        f"requirements/locks/{name}.txt is stale: requirements/{name}.txt changed; run bash tools/lock_envs.sh")


@pytest.mark.parametrize("name", INPUTS)
def test_lock_pins_every_package_with_hashes(name):
    text = (LOCKS / f"{name}.txt").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=\S)", "\n".join(ln for ln in text.splitlines() if not ln.startswith("#")))
    entries = [e for e in entries if e.strip()]
    # the AMPS_Hard parser env is 3 packages; the mutation tool's lock is small (mutmut + deps)
    assert len(entries) > {"livebench-math": 2, "mutation": 10}.get(name, 20)
    for e in entries:
        first = e.splitlines()[0]
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._\[\],-]*==\S+ \\$", first), first
        assert "--hash=sha256:" in e, f"{first} has no hash"
    pins = envlock.lock_pins(LOCKS / f"{name}.txt")
    assert len(pins) == len(entries)


def test_input_pins_are_what_the_lock_pins():
    """Exact `==` pins of an input file appear unchanged in its lock (+cpu only where the input says so)."""
    for name in INPUTS:
        pins = envlock.lock_pins(LOCKS / f"{name}.txt")
        for line in (REQ / f"{name}.txt").read_text(encoding="utf-8").splitlines():
            m = re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==(\S+)$", line.strip())
            if m:
                assert pins[envlock._norm(m.group(1))] == m.group(3), (name, line)


@pytest.mark.parametrize("name", ["cpu", "vllm-cpu"])
def test_cpu_locks_take_the_cpu_build_of_torch(name):
    pins = envlock.lock_pins(LOCKS / f"{name}.txt")
    assert pins["torch"] == "2.13.0+cpu"
    assert not [p for p in pins if p.startswith("nvidia-")]


@pytest.mark.parametrize("name", ["gpu-train", "gpu-gen"])
def test_gpu_locks_take_the_cuda_build_of_torch(name):
    pins = envlock.lock_pins(LOCKS / f"{name}.txt")
    assert "+" not in pins["torch"]
    assert any(p.startswith("nvidia-") for p in pins)


def test_cpu_lock_has_the_packages_other_code_relies_on():
    pins = envlock.lock_pins(LOCKS / "cpu.txt")
    for pkg in ("hypothesis", "openai", "uv", "llamafactory", "transformers", "trl"):
        assert pkg in pins, pkg


def test_environment_yml_installs_the_training_lock():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    pip_part = text.split("- pip:", 1)[1]
    items = [ln.strip()[2:].strip() for ln in pip_part.splitlines() if ln.strip().startswith("- ")]
    assert items == ["--require-hashes", "-r requirements/locks/gpu-train.txt"]


def test_mismatches_names_missing_and_wrong_versions():
    pins = {"a": "1.0", "b": "2.0", "torchvision": "0.28.0"}
    got = envlock.mismatches(pins, {"a": "1.0", "b": "2.1"}, allow_missing={"torchvision"})
    assert got == ["b: lock pins 2.0, installed 2.1"]
    assert envlock.mismatches(pins, {"a": "1.0"}, set()) == [
        "b==2.0 is not installed", "torchvision==0.28.0 is not installed"]


def test_record_writes_the_lock_hash_and_refuses_a_mismatch(tmp_path, monkeypatch):
    locks = tmp_path / "locks"
    locks.mkdir()
    have = envlock.installed_versions()["pytest"]
    (locks / "t.txt").write_text(f"# input-sha256: x\npytest=={have} \\\n    --hash=sha256:00\n", encoding="utf-8")
    (locks / "bad.txt").write_text("pytest==0.0.1 \\\n    --hash=sha256:00\n", encoding="utf-8")
    monkeypatch.setattr(envlock, "LOCK_DIR", locks)
    prefix = tmp_path / "venv"
    prefix.mkdir()
    assert envlock.current_lock(str(prefix)) is None
    rec = envlock.record("t", set(), prefix=str(prefix))
    assert rec["sha256"] == hashlib.sha256((locks / "t.txt").read_bytes()).hexdigest()
    assert envlock.current_lock(str(prefix)) == rec == json.loads((prefix / envlock.MARKER).read_text())
    with pytest.raises(SystemExit, match="lock pins 0.0.1"):
        envlock.record("bad", set(), prefix=str(prefix))


def test_this_environment_is_not_stale():
    """When the running interpreter was built by tools/setup_env.sh, it was built from today's lock."""
    rec = envlock.current_lock()
    if rec is None:
        pytest.skip("interpreter not built from a lock (no fusechat-lock.json in sys.prefix)")
    lock = ROOT / rec["lock"]
    assert rec["sha256"] == hashlib.sha256(lock.read_bytes()).hexdigest(), "rerun bash tools/setup_env.sh"
