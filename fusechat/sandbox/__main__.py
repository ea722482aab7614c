"""``python -m fusechat.sandbox --program P.py --tests T.py --timeout S``: one JSON line with the verdict."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fusechat.sandbox import CodeJob, Limits, SandboxPool


def main(argv: list[str] | None = None) -> int:
    """Run one program against its tests; exit 0 when it passed, 1 otherwise."""
    ap = argparse.ArgumentParser(prog="python -m fusechat.sandbox", description=__doc__)
    ap.add_argument("--program", required=True, type=Path)
    ap.add_argument("--tests", type=Path, default=None)
    ap.add_argument("--timeout", type=float, default=10.0, help="wall-clock seconds for the whole job")
    ap.add_argument("--entry-point", default=None, help="call check(<entry_point>) after the tests (HumanEval)")
    ap.add_argument("--memory-mb", type=int, default=Limits().memory_mb)
    ap.add_argument("--no-netns", action="store_true", help="do not create a network namespace")
    args = ap.parse_args(argv)
    job = CodeJob(program=args.program.read_text(), tests=args.tests.read_text() if args.tests else "",
                  timeout_s=args.timeout, entry_point=args.entry_point)
    with SandboxPool(workers=1, limits=Limits(memory_mb=args.memory_mb),
                     network_namespace=not args.no_netns) as pool:
        res = pool.run(job)
    print(json.dumps(res.to_dict()))
    return 0 if res.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
