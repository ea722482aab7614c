"""One line, instead of a traceback, when the interpreter running an entry point lacks the project's packages.

Dependency-free on purpose: it is imported before anything that could be missing.
"""

from __future__ import annotations

import sys

FIXES = (
    "CPU/tiny world: bash tools/setup_env.sh, then .venv/bin/python; GPU cluster: conda env create -f "
    "environment.yml (training, TRAIN_PY) and python -m venv .venv-gen && .venv-gen/bin/pip install -r "
    "requirements/gpu-gen.txt && .venv-gen/bin/pip install -e . --no-deps (generation, GEN_PY)"
)


def missing_module_exit(exc: ModuleNotFoundError, entry: str) -> None:
    """Print which module is missing in which interpreter and how to create the environment; exit 2."""
    print(f"environment error: {sys.executable} cannot run {entry}: module '{exc.name}' is not installed. "
          f"Create the environment: {FIXES}", file=sys.stderr)
    raise SystemExit(2)
