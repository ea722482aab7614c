"""LiveBench AMPS_Hard's ``is_equiv`` in its own process, run by ``.venv-livebench-math/bin/python`` (sympy 1.12,
ANTLR runtime 4.11.1): the parser upstream uses, which cannot be imported beside math-verify's ANTLR 4.13.

Standalone on purpose (imports nothing from this repository). Protocol, one JSON document per line:
stdin ``[a, b, seconds]`` -> stdout ``{"equal": bool, "why": str}``.

Rule (https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/math/AMPS_Hard/utils.py
``is_equiv``): ``parse_latex`` both strings, subtract, and they are equal when ``sympy.Abs(sympy.simplify(diff)) <
0.001``; every failure (parse, subtract, simplify, an undecidable comparison, the time limit) is "not equal".
The limit is ``seconds`` of this process's CPU time (upstream: a 5 s wall-clock alarm; see
``evaluation/livebench/upstream_latex.py`` for why CPU time).
"""

from __future__ import annotations

import json
import signal
import sys
from typing import Any


def _raise_timeout(signum: int, frame: Any) -> None:
    raise TimeoutError


def is_equiv(a: str, b: str, seconds: float) -> tuple[bool, str]:
    """Upstream ``is_equiv`` (see module docstring), with the reason when it is not equal."""
    import sympy
    from sympy.parsing.latex import parse_latex

    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        diff = parse_latex(a) - parse_latex(b)
        return bool(sympy.Abs(sympy.simplify(diff)) < 0.001), ""
    except TimeoutError:
        return False, "timeout"
    except Exception as exc:  # noqa: BLE001 - upstream counts every failure as "not equal"
        return False, type(exc).__name__
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but replies on the protocol stream
    signal.signal(signal.SIGPROF, _raise_timeout)
    for line in sys.stdin:
        try:
            a, b, seconds = json.loads(line)
            equal, why = is_equiv(str(a), str(b), float(seconds))
        except Exception as exc:  # noqa: BLE001 - a bad request is "not equal", never a dead worker
            equal, why = False, f"request: {type(exc).__name__}"
        out.write(json.dumps({"equal": equal, "why": why}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
