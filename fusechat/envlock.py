"""Which locked environment is this interpreter? (``requirements/locks/<name>.txt``)

``tools/setup_env.sh`` builds every environment from its hashed lock and then runs
``python -m fusechat.envlock record <name> [--allow-missing PKG,...]``, which checks that each package the lock pins
is installed at exactly the pinned version (the packages the post-install fixes remove may be missing) and writes
``fusechat-lock.json`` into the environment's prefix (``sys.prefix``): the lock's name, path and sha256.
Every stage manifest copies that record (``env_lock``), so a result names the exact environment it ran under;
``null`` means the interpreter was not built from a lock (or not checked against one).

A conda environment made from ``environment.yml`` records itself the same way:
``python -m fusechat.envlock record gpu-train``.

Standard library only: imported by the stage framework in every environment, including the vLLM ones.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

LOCK_DIR = Path(__file__).resolve().parent.parent / "requirements" / "locks"
MARKER = "fusechat-lock.json"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(lock: Path) -> dict[str, str]:
    """Package -> pinned version, from a ``uv pip compile`` lock (one ``name==version \\`` line per package)."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = _PIN.match(line)
        if m:
            pins[_norm(m.group(1))] = m.group(3)
    return pins


def installed_versions() -> dict[str, str]:
    return {_norm(d.metadata["Name"]): d.version for d in metadata.distributions() if d.metadata["Name"]}


def mismatches(pins: dict[str, str], installed: dict[str, str], allow_missing: set[str]) -> list[str]:
    """Human-readable differences between a lock and the installed packages ([] when they agree)."""
    out = []
    for name, version in sorted(pins.items()):
        have = installed.get(name)
        if have is None:
            if name not in allow_missing:
                out.append(f"{name}=={version} is not installed")
        elif have != version:
            out.append(f"{name}: lock pins {version}, installed {have}")
    return out


def current_lock(prefix: str | None = None) -> dict[str, Any] | None:
    """The record written by ``record`` into this interpreter's environment, or None."""
    p = Path(prefix or sys.prefix) / MARKER
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def record(name: str, allow_missing: set[str], prefix: str | None = None) -> dict[str, Any]:
    lock = LOCK_DIR / f"{name}.txt"
    if not lock.is_file():
        raise SystemExit(f"envlock: no lock {lock} (environments: {sorted(p.stem for p in LOCK_DIR.glob('*.txt'))})")
    bad = mismatches(lock_pins(lock), installed_versions(), {_norm(a) for a in allow_missing})
    if bad:
        raise SystemExit(f"envlock: this environment does not match {lock.name}: " + "; ".join(bad[:10]))
    rec = {"name": name, "lock": f"requirements/locks/{name}.txt",
           "sha256": hashlib.sha256(lock.read_bytes()).hexdigest()}
    (Path(prefix or sys.prefix) / MARKER).write_text(json.dumps(rec, indent=2) + "\n", encoding="utf-8")
    return rec


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fusechat.envlock", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record", help="check this environment against a lock and record the lock's hash")
    r.add_argument("name", help="lock name: requirements/locks/<name>.txt")
    r.add_argument("--allow-missing", default="", help="comma-separated packages a post-install fix removed")
    sub.add_parser("show", help="print this environment's lock record")
    args = ap.parse_args(argv)
    if args.cmd == "record":
        rec = record(args.name, {a for a in args.allow_missing.split(",") if a})
    else:
        rec = current_lock()
    print(json.dumps(rec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
