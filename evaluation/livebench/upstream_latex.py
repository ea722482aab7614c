"""AMPS_Hard's LaTeX equivalence through upstream's own parser, in a side environment.

LiveBench scores AMPS_Hard with sympy's ANTLR ``parse_latex``
(https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/math/AMPS_Hard/utils.py; FuseEval
5af2bad runs it with sympy 1.12 and antlr4-python3-runtime 4.11.1). sympy refuses every ANTLR runtime but 4.11,
and ``.venv`` carries 4.13.2 for math-verify; a Python process can import only one ``antlr4`` package, and
sympy's own ``lark`` backend (sympy >= 1.13) is a different grammar with different answers. So the comparison runs
in ``.venv-livebench-math`` (``requirements/livebench-math.txt``: sympy 1.12, ANTLR 4.11.1, mpmath 1.3.0;
``bash tools/setup_env.sh`` builds it after ``.venv``), in one persistent worker process
(``evaluation/livebench/_latex_worker.py``) that this module starts on first use and talks to over pipes.

Time limit: upstream gives each comparison a 5 s wall-clock ``alarm``. On a loaded machine that fails comparisons
that merely waited for a core, so the worker counts 5 s of its own CPU time instead (the same budget on an idle
machine); a worker that does not answer within ``WALL_BACKSTOP_S`` (a parser stuck outside Python) or dies is
killed and restarted, and that comparison is "not equal", as an upstream timeout is.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import threading
from pathlib import Path

from fusechat.stage_runner import StageError

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_latex_worker.py")
ENV_VAR = "FUSECHAT_LIVEBENCH_MATH_PYTHON"
SECONDS = 5.0
WALL_BACKSTOP_S = 60.0


class LatexEnvMissingError(StageError):
    """The side environment with upstream's parser is not built (a stage error: printed as one line)."""


def worker_python() -> Path:
    """The interpreter of the side environment: ``$FUSECHAT_LIVEBENCH_MATH_PYTHON`` or
    ``.venv-livebench-math/bin/python`` at the repository root."""
    return Path(os.environ.get(ENV_VAR) or ROOT / ".venv-livebench-math" / "bin" / "python")


class _Worker:
    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _start(self) -> subprocess.Popen[str]:
        python = worker_python()
        if not python.exists():
            raise LatexEnvMissingError(
                f"LiveBench AMPS_Hard needs upstream's LaTeX parser (sympy 1.12 + ANTLR 4.11); {python} is missing"
                f": run `bash tools/setup_env.sh livebench-math` (or set {ENV_VAR})")
        return subprocess.Popen([str(python), "-u", str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, encoding="utf-8", cwd=ROOT)

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def ask(self, a: str, b: str, seconds: float) -> tuple[bool, str]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps([a, b, seconds]) + "\n")
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], WALL_BACKSTOP_S)
                line = proc.stdout.readline() if ready else ""
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                self.kill()
                return False, "worker timeout or crash"
            reply = json.loads(line)
            return bool(reply["equal"]), str(reply["why"])


_WORKER = _Worker()
atexit.register(_WORKER.kill)


def is_equiv(a: str, b: str, seconds: float = SECONDS) -> bool:
    """Upstream ``is_equiv(a, b)`` (parse_latex both, ``|simplify(a - b)| < 0.001``; any failure is False), run by
    the worker; raises :class:`LatexEnvMissingError` (one line) when the side environment is not built."""
    return _WORKER.ask(a, b, seconds)[0]
