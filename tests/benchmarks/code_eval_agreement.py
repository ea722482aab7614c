"""Agreement and throughput: our sandboxed EvalPlus check (``evaluation/code_exec.py``) vs evalplus' own evaluator.

The real HumanEval+/MBPP+ files are not available offline here, so the benchmark writes a synthetic set in
evalplus' exact jsonl schema (the tasks' ``synthetic()`` problems, with ``--plus-tests`` plus inputs each) and
points evalplus at it through ``HUMANEVAL_OVERRIDE_PATH`` / ``MBPP_OVERRIDE_PATH`` (set before evalplus is
imported: it reads them at import). With the real files in evalplus' cache, pass ``--real`` to use them instead.

Samples: per task, the canonical solution and two broken variants (wrong answer, wrong only on the plus inputs,
exception, wrong type, endless loop), all sanitized by ``evalplus.sanitize`` first so both sides get the same
code. Each sample is checked on the base and the plus tests by both sides:

* ours: ``code_exec.evalplus_job`` chains (base, then plus when base passed: ``code_exec.run_chains``, as the
  HumanEval+/MBPP+ tasks score) in a ``SandboxPool`` (``--workers``); time includes starting and stopping it;
* theirs: ``evalplus.evaluate.evaluate(dataset, samples=<jsonl>, parallel=--workers)`` (library call), timed
  around the call. Its non-daemon "stucking checker" thread sleeps in 20 s steps and outlives the call, so the
  process exits up to 20 s after the last round; that wait is not counted.

Both use evalplus' ground truth (``get_groundtruth``, computed once and cached before timing). A sample agrees
when both sides give the same pass/fail on the base tests and on base+plus. Rounds alternate the order; each
side's median wall time counts; ``agree`` is the worst round's. Last line:
``samples=<n> agree=<n> ours_per_s=<x> evalplus_per_s=<y> ratio=<r>``.

Run: ``python tests/benchmarks/code_eval_agreement.py [--tasks 40] [--plus-tests 200] [--workers 2] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

WORK = Path(tempfile.mkdtemp(prefix="fc_code_agree_"))


def _write_sets(n_tasks: int, plus_tests: int, seed: int) -> dict[str, Path]:
    """Synthetic HumanEval+ and MBPP+ files in evalplus' schema; returns dataset -> path."""
    from evaluation.tasks.humaneval import TASK as HE
    from evaluation.tasks.mbpp import TASK as MB

    paths = {}
    for task in (HE, MB):
        rng = random.Random(seed)
        items = task.synthetic(rng, n_tasks)
        from evaluation.tasks._code_synth import PROBLEMS

        by_name = {p.name: p for p in PROBLEMS}
        for it in items:  # top up the plus inputs to a realistic count
            prob = by_name[it["entry_point"]]
            while len(it["plus_input"]) < plus_tests:
                it["plus_input"].extend(prob.plus_inputs(rng))
            del it["plus_input"][plus_tests:]
        path = WORK / f"{task.dataset}.jsonl"
        path.write_text("".join(json.dumps(it) + "\n" for it in items))
        paths[task.dataset] = path
    return paths


def _samples(dataset: str, problems: dict[str, dict], seed: int) -> list[tuple[str, str, str]]:
    """(task_id, kind, sanitized solution): the canonical solution and two broken variants per task."""
    from evalplus.sanitize import sanitize

    from evaluation.tasks._code_synth import PROBLEMS

    by_name = {p.name: p for p in PROBLEMS}
    rng = random.Random(seed)
    out = []
    for tid, prob in problems.items():
        synth = by_name.get(prob["entry_point"])
        if synth is None:  # --real: canonical and two generic breakages
            full = prob["prompt"] + prob["canonical_solution"]
            variants = [("canonical", full), ("none", prob["prompt"] + "    return None\n"),
                        ("raise", prob["prompt"] + "    raise ValueError('broken')\n")]
        else:
            kinds = rng.sample(sorted(synth.broken), k=min(2, len(synth.broken)))
            head = prob["prompt"] if dataset == "humaneval" else ""
            variants = [("canonical", head + prob["canonical_solution"])]
            variants += [(k, synth.solution(k)) for k in kinds]
        for kind, code in variants:
            out.append((tid, kind, sanitize(code, prob["entry_point"])))
    return out


def run_ours(dataset: str, problems: dict, truth: dict, samples: list, workers: int) -> tuple[list, float]:
    from evaluation import code_exec
    from evaluation.tasks._evalplus import PARTS
    from fusechat.sandbox import SandboxPool

    chains, suites = [], {}
    for tid, _kind, sol in samples:
        prob, exp = problems[tid], truth[tid]
        for part in PARTS:
            if (tid, part) not in suites:
                limits = code_exec.evalplus_time_limits(exp[f"{part}_time"])
                suites[tid, part] = code_exec.evalplus_tests(dataset, prob["entry_point"], prob[f"{part}_input"],
                                                             exp[part], prob["atol"], limits)
        chains.append([code_exec.evalplus_job(dataset, sol, prob["entry_point"], prob[f"{part}_input"], exp[part],
                                              prob["atol"], exp[f"{part}_time"], tests=suites[tid, part])
                       for part in PARTS])
    t0 = time.perf_counter()
    with SandboxPool(workers=workers, limits=code_exec.CODE_EVAL_LIMITS) as pool:
        ran = code_exec.run_chains(pool, chains)
    elapsed = time.perf_counter() - t0
    # as the HumanEval+/MBPP+ tasks score: plus counts only when base passed (plus is run only then)
    verdicts = [(rs[0].passed, all(r.passed for r in rs) and len(rs) == len(PARTS)) for rs in ran]
    print(f"  ours    {dataset}: {len(samples)} samples in {elapsed:.2f}s")
    return verdicts, elapsed


def run_theirs(dataset: str, samples: list, workers: int, rnd: int) -> tuple[list, float]:
    from evalplus.evaluate import evaluate

    path = WORK / f"samples_{dataset}_{rnd}.jsonl"
    path.write_text("".join(json.dumps({"task_id": t, "solution": s}) + "\n" for t, _k, s in samples))
    t0 = time.perf_counter()
    evaluate(dataset, samples=str(path), parallel=workers, i_just_wanna_run=True)
    elapsed = time.perf_counter() - t0
    results = json.loads(path.with_name(path.stem + "_eval_results.json").read_text())["eval"]
    seen: dict[str, int] = {}
    verdicts = []
    for tid, _k, _s in samples:  # per task, results are in completion order = our sample order
        r = results[tid][seen.get(tid, 0)]
        seen[tid] = seen.get(tid, 0) + 1
        verdicts.append((r["base_status"] == "pass", r["base_status"] == "pass" and r["plus_status"] == "pass"))
    print(f"  evalplus {dataset}: {len(samples)} samples in {elapsed:.2f}s")
    return verdicts, elapsed


def main() -> None:
    """Build the sets, then run both evaluators in alternating rounds and print the comparison line."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tasks", type=int, default=40, help="synthetic tasks per dataset")
    ap.add_argument("--plus-tests", type=int, default=200, help="plus inputs per synthetic task")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real", action="store_true", help="use evalplus' cached real releases (no override)")
    args = ap.parse_args()
    if not args.real:
        paths = _write_sets(args.tasks, args.plus_tests, args.seed)
        os.environ["HUMANEVAL_OVERRIDE_PATH"] = str(paths["humaneval"])
        os.environ["MBPP_OVERRIDE_PATH"] = str(paths["mbpp"])
    from evalplus.data import get_human_eval_plus, get_human_eval_plus_hash, get_mbpp_plus, get_mbpp_plus_hash
    from evalplus.eval._special_oracle import MBPP_OUTPUT_NOT_NONE_TASKS
    from evalplus.evaluate import get_groundtruth

    sets = {}
    for ds, load, hsh, nn in (("humaneval", get_human_eval_plus, get_human_eval_plus_hash, []),
                              ("mbpp", get_mbpp_plus, get_mbpp_plus_hash, MBPP_OUTPUT_NOT_NONE_TASKS)):
        problems = load()
        truth = get_groundtruth(problems, hsh(), nn)
        sets[ds] = (problems, truth, _samples(ds, problems, args.seed))
    n = sum(len(s[2]) for s in sets.values())
    ours_t, theirs_t, agree = [], [], n
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds}")
        t_o = t_e = 0.0
        ours_v, theirs_v = {}, {}
        for ds, (problems, truth, samples) in sets.items():
            order = ("ours", "theirs") if rnd % 2 == 0 else ("theirs", "ours")
            for side in order:
                if side == "ours":
                    ours_v[ds], t = run_ours(ds, problems, truth, samples, args.workers)
                    t_o += t
                else:
                    theirs_v[ds], t = run_theirs(ds, samples, args.workers, rnd)
                    t_e += t
        ours_t.append(t_o)
        theirs_t.append(t_e)
        round_agree = 0
        for ds, (_p, _t, samples) in sets.items():
            for (tid, kind, _s), o, e in zip(samples, ours_v[ds], theirs_v[ds], strict=True):
                if o == e:
                    round_agree += 1
                else:
                    print(f"  DISAGREE {tid} {kind}: ours (base, plus)={o} evalplus={e}")
        agree = min(agree, round_agree)
    ours_ps, ep_ps = n / statistics.median(ours_t), n / statistics.median(theirs_t)
    kinds: dict[str, int] = {}
    for _p, _t, samples in sets.values():
        for _tid, kind, _s in samples:
            kinds[kind] = kinds.get(kind, 0) + 1
    print(f"sample kinds: {kinds}")
    print(f"per-round samples/s: ours {[round(n / t, 1) for t in ours_t]} "
          f"evalplus {[round(n / t, 1) for t in theirs_t]}")
    print(f"samples={n} agree={agree} ours_per_s={ours_ps:.1f} evalplus_per_s={ep_ps:.1f} ratio={ours_ps / ep_ps:.2f}")
    sys.stdout.flush()
    os._exit(0)  # do not wait for evalplus' sleeping "stucking checker" thread (see the module docstring)


if __name__ == "__main__":
    main()
