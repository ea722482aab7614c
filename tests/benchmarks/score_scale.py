"""Paper-scale scoring benchmark: synthetic generations at the real item counts and lengths of each ground-truth
benchmark, scored the way the scoring stage scores them (``evaluation.score_guard.score_batch``), on ``--workers``
cores; per task items/s, and where an upstream scorer runs here, its speed on the same inputs in the same run.

Sets (``--scale`` multiplies every count; the real data is not needed):

* ``math``: MATH's 5,000 test problems, ~2,400-character reasoning ending in ``\\boxed{}`` (half right, in an
  equivalent form: ``i+g`` for the gold ``g+i``; every item's gold distinct, so the verdict cache grades all 5,000);
* ``mmlu_pro``: 12,032 questions, ~1,500-character chain of thought ending "The answer is (X)";
* ``livecodebench``: ``--lcb-problems`` problems (default 880: release_v5 before the date window, an upper bound
  of the 2408-2411 window) × n = 10 samples, each problem with its base and 6 plus tests;
* ``humaneval`` (164) / ``mbpp`` (378, release v0.2.0's count): a fenced solution per problem, base + plus tests
  (``--plus-tests`` per problem, default 200);
* ``livebench``: 1,000 questions over every task (coding through the sandbox), right and wrong answers.

Upstream in the same run: math-verify (``parse`` + ``verify`` in-process on the same extracted answers, as a
``math_verify_ratio``) and evalplus (``evalplus.evaluate`` on the same HumanEval+/MBPP+ solutions, through its
override paths, as ``evalplus_ratio``). Ratios are ours/theirs in items per second (> 1: we are faster).

Last line: ``items=<n> wall_s=<s> slowest_task=<id> evalplus_ratio=<r>``.

Run: ``python tests/benchmarks/score_scale.py [--scale 1.0] [--workers 2] [--tasks math,mmlu_pro,...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

FILLER = ("We work through the problem step by step, restating what is given and checking each intermediate "
          "quantity before moving on to the next one. ")
COUNTS = {"math": 5000, "mmlu_pro": 12032, "humaneval": 164, "mbpp": 378, "livebench": 1000}


def _task(task_id: str) -> Any:
    from evaluation.tasks import all_tasks

    return all_tasks()[task_id]


def _pad(chars: int) -> str:
    return (FILLER * (chars // len(FILLER) + 1))[:chars]


def _math(n: int, rng: random.Random) -> tuple[Any, list, list]:
    task = _task("math")

    items = task.synthetic(rng, n)
    resp = []
    for i, it in enumerate(items):
        # the synthetic problems have a few dozen distinct answers; MATH's 5,000 have thousands, so each item's
        # gold gets its own term (else the verdict cache would grade 130 pairs, not 5,000)
        base = task.gold(it)
        gold = f"{base}+{i}"
        k = it["solution"].rfind(base)
        it["solution"] = it["solution"][:k] + gold + it["solution"][k + len(base):]
        assert task.gold(it) == gold
        ans = f"{i}+{base}" if i % 2 == 0 else f"{base}+{i + 1}"  # right: an equivalent form, not the same text
        resp.append([f"{_pad(2400)}\nSo the final answer is $\\boxed{{{ans}}}$."])
    return task, items, resp


def _mmlu_pro(n: int, rng: random.Random) -> tuple[Any, list, list]:
    task = _task("mmlu_pro")

    items = task.synthetic(rng, n)
    letters = "ABCDEFGHIJ"
    resp = [[f"{_pad(1500)}\nThe answer is ({letters[rng.randrange(len(task.options(it)))]})."] for it in items]
    return task, items, resp


def _evalplus(task_id: str, n: int, rng: random.Random, plus_tests: int) -> tuple[Any, list, list]:
    from evaluation.tasks._code_synth import PROBLEMS
    from evaluation.tasks._evalplus import CHAT_PREFILL
    task = _task(task_id)
    items = task.synthetic(rng, n)
    by_name = {p.name: p for p in PROBLEMS}
    resp = []
    for i, it in enumerate(items):
        prob = by_name[it["entry_point"]]
        while len(it["plus_input"]) < plus_tests:
            it["plus_input"].extend(prob.plus_inputs(rng))
        del it["plus_input"][plus_tests:]
        kind = "canonical" if i % 2 == 0 else sorted(prob.broken)[i % len(prob.broken)]
        resp.append([f"{CHAT_PREFILL}{prob.solution(kind)}\n```"])
    return task, items, resp


def _livecodebench(n: int, rng: random.Random) -> tuple[Any, list, list]:
    from evaluation.tasks._code_synth import PROBLEMS
    from evaluation.tasks.livecodebench import synth_program

    task = _task("livecodebench")

    items = task.synthetic(rng, n)
    resp = []
    for it in items:
        meta = json.loads(it["metadata"])
        name = meta.get("func_name") or it["question_title"].split()[1]
        prob = next(p for p in PROBLEMS if p.name == name)
        kinds = ["canonical", *sorted(prob.broken)]
        resp.append([f"```python\n{synth_program(it, kinds[j % len(kinds)])}\n```" for j in range(task.decoding.n)])
    return task, items, resp


def _livebench(n: int, rng: random.Random) -> tuple[Any, list, list]:
    from evaluation.livebench import synthetic

    task = _task("livebench")

    items = synthetic.questions(rng, n)
    resp = [[(synthetic.right_answer(q) if i % 2 == 0 else synthetic.wrong_answer(q))] for i, q in enumerate(items)]
    return task, items, resp


def _score(task: Any, items: list, responses: list, workers: int) -> tuple[list, float]:
    from evaluation import score_guard
    from evaluation.tasks.base import ScoreContext

    ctx = ScoreContext(options={"sandbox": {"workers": workers}})
    t0 = time.perf_counter()
    try:
        results = score_guard.score_batch(task, items, responses, ctx)
    finally:
        ctx.close()
    return results, time.perf_counter() - t0


def _math_verify_speed(results: list, items: list, task: Any) -> float:
    """math-verify's own ``parse`` + ``verify`` on the same extracted answers, in-process: items/s."""
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    pairs = [(r.extracted, task.gold(it)) for r, it in zip(results, items, strict=True) if r.extracted]
    t0 = time.perf_counter()
    for pred, gold in pairs:
        verify(parse(f"${gold}$"), parse(f"${pred}$"))
    return len(pairs) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of every real item count")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lcb-problems", type=int, default=880)
    ap.add_argument("--plus-tests", type=int, default=200)
    ap.add_argument("--tasks", default="math,mmlu_pro,livecodebench,humaneval,mbpp,livebench")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    wanted = args.tasks.split(",")
    counts = {**COUNTS, "livecodebench": args.lcb_problems}
    n_of = {t: max(1, round(c * args.scale)) for t, c in counts.items()}
    sets: dict[str, tuple[Any, list, list]] = {}
    for tid in wanted:
        rng = random.Random(args.seed)
        if tid == "math":
            sets[tid] = _math(n_of[tid], rng)
        elif tid == "mmlu_pro":
            sets[tid] = _mmlu_pro(n_of[tid], rng)
        elif tid in ("humaneval", "mbpp"):
            sets[tid] = _evalplus(tid, n_of[tid], rng, args.plus_tests)
        elif tid == "livecodebench":
            sets[tid] = _livecodebench(n_of[tid], rng)
        elif tid == "livebench":
            sets[tid] = _livebench(n_of[tid], rng)
    if any(t in sets for t in ("humaneval", "mbpp")):  # evalplus reads its override paths at import
        import code_eval_agreement as cea

        for tid in ("humaneval", "mbpp"):
            if tid in sets:
                path = cea.WORK / f"{tid}.jsonl"
                path.write_text("".join(json.dumps(it) + "\n" for it in sets[tid][1]))
                os.environ[f"{'HUMANEVAL' if tid == 'humaneval' else 'MBPP'}_OVERRIDE_PATH"] = str(path)
    rows = []
    total_items, t_all = 0, time.perf_counter()
    ratios: dict[str, float] = {}
    ep_ours_t = ep_theirs_t = 0.0
    ep_n = 0
    for tid, (task, items, responses) in sets.items():
        if tid == "math":
            from fusechat.math_answers import is_equivalent

            is_equivalent("1", "1")  # imports outside the timing, as the stage's warm-up does
        if tid in ("humaneval", "mbpp"):  # evalplus' ground truth, cached on disk, outside both timings
            from evaluation.tasks.base import ScoreContext

            task.expected_outputs(items, ScoreContext())
        results, wall = _score(task, items, responses, args.workers)
        n = len(items)
        total_items += n
        right = sum(r.score for r in results)
        row = {"task": tid, "items": n, "samples": sum(len(r) for r in responses), "wall_s": wall,
               "items_per_s": n / wall, "mean_score": right / n}
        if tid == "math":
            theirs = _math_verify_speed(results, items, task)
            ratios["math_verify_ratio"] = row["items_per_s"] / theirs
            row["upstream"] = f"math-verify {theirs:.1f}/s"
        if tid in ("humaneval", "mbpp"):
            import code_eval_agreement as cea

            from evaluation.tasks._evalplus import completion_text, sanitize

            samples = [(it["task_id"], "x", sanitize(completion_text(rs[0]), it["entry_point"]))
                       for it, rs in zip(items, responses, strict=True)]
            _, theirs_wall = cea.run_theirs(tid, samples, args.workers, 0)
            row["upstream"] = f"evalplus {n / theirs_wall:.1f}/s"
            ep_ours_t += wall
            ep_theirs_t += theirs_wall
            ep_n += n
        rows.append(row)
        print(f"{tid:14s} {n:6d} items {row['samples']:7d} samples {wall:8.1f} s {row['items_per_s']:8.1f} items/s "
              f"mean {row['mean_score']:.3f} {row.get('upstream', '')}", flush=True)
    if ep_n:
        ratios["evalplus_ratio"] = ep_theirs_t / ep_ours_t
    wall_all = time.perf_counter() - t_all
    print("| Task | Items | Samples | Wall (s) | Items/s | Upstream on the same inputs |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['items']:,} | {r['samples']:,} | {r['wall_s']:.1f} | {r['items_per_s']:.1f} | "
              f"{r.get('upstream', '—')} |")
    print(" ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
    slowest = min(rows, key=lambda r: r["items_per_s"])["task"] if rows else "-"
    ep = f"{ratios['evalplus_ratio']:.2f}" if "evalplus_ratio" in ratios else "n/a"
    print(f"items={total_items} wall_s={wall_all:.1f} slowest_task={slowest} evalplus_ratio={ep}")
    sys.stdout.flush()
    os._exit(0)  # evalplus' "stucking checker" thread would hold the exit for up to 20 s


if __name__ == "__main__":
    main()
