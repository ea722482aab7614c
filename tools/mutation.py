"""Mutation testing of the modules that encode the paper's rules and the benchmarks' metrics (mutmut 3; not in CI).

    python tools/mutation.py                 # every module below, one after another
    python tools/mutation.py pairing losses  # only these
    python tools/mutation.py --list          # the modules and their test selections

Each module is mutated on its own, in a scratch copy of the repository (``$FUSECHAT_MUTATION_DIR``, default
/tmp/fusechat-mutation/<module>), with only the unit tests that state its rules, at ``nice -n 10``. The mutation
tool lives in .venv-mutation (requirements/locks/mutation.txt), created here on first use; it reads the CPU
environment's packages (.venv) behind its own, so the tests import exactly what CI's do. Printed per module and in
total: ``mutants=<n> killed=<k> survived=<s> score=<k/n>`` (timeouts count as killed, and their number is shown;
mutants no selected test reaches count as survived). The surviving mutants are listed by name; ``mutmut show
<name>`` in the module's scratch copy prints one as a diff. A target may name the functions that are its rule
(``only``: training/dpo.py's checkpoint choice, not its trainer wiring); its other mutants are not run. docs/mutation.md
lists the equivalent mutants that remain.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-mutation"
CPU_VENV = REPO / ".venv"
LOCK = REPO / "requirements" / "locks" / "mutation.txt"
PACKAGES = ("data_construction", "training", "evaluation", "fusechat")
COPY_IGNORE = shutil.ignore_patterns(".venv*", ".git", "runs", ".cache", "mutants", "__pycache__", "*.pyc", ".pytest_cache")


@dataclass(frozen=True)
class Target:
    """One module under mutation and the fast tests that state its rules."""

    files: tuple[str, ...]
    tests: tuple[str, ...]
    #: mutant-name globs when only some functions of a file are the rule (the rest is wiring tested elsewhere)
    only: tuple[str, ...] = ()


U = "tests/unit/"
#: LiveBench's scorers are stated by their rule tests, the golden files made with upstream's own code, the property
#: tests against upstream's regular expressions (test_linear_extraction.py: normalize_final_answer and its unwrapping
#: helpers; a livebench_math run without that file left 75 survivors there) and the task's tests (the overall score's
#: mean of category means, aggregate.py: all 37 of its mutants survived without test_livebench_task.py).
#: The scratch copy has no .venv-livebench-math: main() points FUSECHAT_LIVEBENCH_MATH_PYTHON at the repository's.
LIVEBENCH_TESTS = (f"{U}test_livebench_scorers.py", f"{U}test_rules_livebench.py", f"{U}test_livebench_golden.py",
                   f"{U}test_linear_extraction.py", f"{U}test_livebench_task.py", f"{U}test_rules_livebench_other.py")
TARGETS: dict[str, Target] = {
    "pairing": Target(("data_construction/pairing.py",), (f"{U}test_pairing.py", f"{U}test_rules_pairing.py")),
    "build": Target(("data_construction/build.py",), (f"{U}test_build_inputs.py", f"{U}test_rules_build.py"),
                    ("data_construction.build.x_candidates_by_prompt*", "data_construction.build.x__check_*")),
    "release": Target(("data_construction/release.py",), (f"{U}test_pairing.py", f"{U}test_rules_release.py")),
    "losses": Target(("training/losses.py",), (f"{U}test_losses.py", f"{U}test_rules_losses.py")),
    "checkpoint": Target(("training/dpo.py",), (f"{U}test_trl_config.py", f"{U}test_rules_checkpoint.py"),
                         ("training.dpo.x_choose_checkpoint*", "training.dpo.x_heldout_split*")),
    "math": Target(("fusechat/math_answers.py", "evaluation/tasks/_math.py"),
                   (f"{U}test_math_answers.py", f"{U}test_eval_math_tasks.py", f"{U}test_rules_extraction.py",
                    f"{U}test_rules_math.py"),
                   # the extraction and grading rules; the grader processes' plumbing (_GradeWorker, _grade_pool,
                   # _worker_loop) and the SQLite cache's connection handling are not a paper or benchmark rule
                   (*(f"fusechat.math_answers.x_{f}__*" for f in ("_last_boxed", "_clean", "extract_answer", "_wrap",
                                                                   "is_equivalent", "_key", "_grade", "check_response",
                                                                   "check_many")),
                    "fusechat.math_answers.xǁVerdictCacheǁput_many*", "evaluation.tasks._math.*")),
    "mc": Target(("evaluation/tasks/_mc.py",), (f"{U}test_eval_mc_tasks.py", f"{U}test_rules_extraction.py")),
    "livebench": Target(tuple(f"evaluation/livebench/{m}.py" for m in (
        "_boxed", "aggregate", "coding", "data_analysis", "instruction_following", "language", "mathematics",
        "reasoning")), LIVEBENCH_TESTS),
    # the same, in two halves that each fit a working session on a busy machine
    "livebench_math": Target(("evaluation/livebench/_boxed.py", "evaluation/livebench/mathematics.py"), LIVEBENCH_TESTS),
    "livebench_other": Target(tuple(f"evaluation/livebench/{m}.py" for m in (
        "aggregate", "coding", "data_analysis", "instruction_following", "language", "reasoning")), LIVEBENCH_TESTS),
    "judged": Target(tuple(f"evaluation/tasks/{m}.py" for m in ("arena_hard", "mt_bench", "alignbench", "alpacaeval2")),
                     (f"{U}test_judged_pairwise.py", f"{U}test_judged_mt_alignbench.py", f"{U}test_rules_judged.py"),
                     # the judges' verdict parsers, Bradley-Terry and the win-rate arithmetic; not the tasks' wiring
                     tuple(f"evaluation.tasks.{m}.x_{f}__*" for m, fs in (
                         ("arena_hard", ("parse_verdict", "battles_from_games", "battle_frame", "mle_elo", "bt_elo",
                                         "win_rate", "joint_bt", "bt_result")),
                         ("mt_bench", ("parse_rating", "_mean")),
                         ("alignbench", ("parse_judgment", "category_scores")),
                         ("alpacaeval2", ("shown_preference", "is_switched", "win_rates"))) for f in fs)),
    "code_exec": Target(("evaluation/code_exec.py",), (f"{U}test_code_benchmarks.py", f"{U}test_rules_code_exec.py"),
                        tuple(f"evaluation.code_exec.x_{f}__*" for f in (
                            "pass_at_k", "_literal_safe", "embed_value", "evalplus_time_limits", "lcb_extract_code"))),
    # the sandbox's comparisons, with the tests that call them in-process only: a suite that runs in the sandbox reads
    # the program text from disk, and mutmut's trampolines there would fail every test (false kills)
    "sandbox_compare": Target(("evaluation/sandbox_programs/compare.py",), (f"{U}test_rules_sandbox_compare.py",)),
}
#: targets that are parts of another (run only when named)
SPLITS = ("livebench_math", "livebench_other")


def ensure_env() -> Path:
    """.venv-mutation from its hashed lock (rebuilt when the lock changes), reading .venv's packages behind its own."""
    stamp = VENV / ".fusechat-env-stamp"
    want = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return VENV / "bin" / "mutmut"
    uv = CPU_VENV / "bin" / "uv"
    if not uv.exists():
        sys.exit("mutation: .venv is missing: run bash tools/setup_env.sh first")
    subprocess.run([str(uv), "venv", "-q", "--allow-existing", "--python", str(CPU_VENV / "bin" / "python"), str(VENV)],
                   check=True)
    subprocess.run([str(uv), "pip", "sync", "-q", "--require-hashes", "--python", str(VENV / "bin" / "python"), str(LOCK)],
                   check=True)
    cpu_site = subprocess.run([str(CPU_VENV / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                               "['purelib'])"], check=True, capture_output=True, text=True).stdout.strip()
    site = subprocess.run([str(VENV / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # A plain path line: .venv's packages, after this env's own; .venv's own .pth files (its editable install of this
    # repository) are not processed, so the packages import from the scratch copy that mutmut mutates.
    Path(site, "zz_fusechat_cpu_env.pth").write_text(cpu_site + "\n")
    stamp.write_text(want)
    return VENV / "bin" / "mutmut"


def scratch_copy(name: str, target: Target) -> Path:
    root = Path(os.environ.get("FUSECHAT_MUTATION_DIR", "/tmp/fusechat-mutation")) / name
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(REPO, root, ignore=COPY_IGNORE, symlinks=True)
    lines = ["[mutmut]", "source_paths=", *(f"    {p}" for p in PACKAGES), "only_mutate=",
             *(f"    {f}" for f in target.files), "tests_dir=", *(f"    {t}" for t in target.tests),
             "also_copy=", "    tests", "    recipes", "    results", "    requirements", "    pyproject.toml",
             "    docs", "    tools", "pytest_add_cli_args=", "    -p", "    no:cacheprovider", "    -q",
             "use_git_change_detection=false",
             # CPU-time limit per mutant, mutmut 3.8's (estimate + constant) x multiplier x 2 CPU seconds: at least
             # 100 s (a mutant's tests here take seconds); CPU time does not grow with the box's load, and a looping
             # mutant stops within minutes (at 50 and 30, as before, it took 50 minutes)
             "timeout_multiplier=5", "timeout_constant=10", ""]
    (root / "setup.cfg").write_text("\n".join(lines))
    return root


def results(root: Path, target: Target) -> dict[str, str]:
    """mutant name -> status, from mutmut's per-file .meta records."""
    out: dict[str, str] = {}
    for f in target.files:
        meta = root / "mutants" / (f + ".meta")
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        for key, code in data.get("exit_code_by_key", {}).items():
            out[key] = status_of(code)
    return out


#: Address space of mutmut and each forked mutant: a mutant whose loop appends without end (one of the LiveBench
#: unwrapping helpers' took 14 GiB of the box's 24 within a minute) meets MemoryError, fails its test and counts as
#: killed, before the CPU-time limit would stop it or the kernel's OOM killer picks a process.
MEMORY_LIMIT_BYTES = 8 << 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def status_of(code: int | None) -> str:
    """mutmut's exit-code meanings (mutmut/stats.py) reduced to killed / timeout / survived / not run."""
    if code in (1, 3, -9, -11):  # a failing test, a crash
        return "killed"
    if code in (36, 24, -24, 152, 255):  # over the CPU-time limit: counted as killed, and shown
        return "timeout"
    if code in (0, 5, 33):  # passed, or no test reached it
        return "survived"
    return "not run"


def line(n: int, k: int, s: int) -> str:
    return f"mutants={n} killed={k} survived={s} score={k / n if n else 0:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help=f"any of {', '.join(TARGETS)} (default: all)")
    ap.add_argument("--list", action="store_true", help="print the modules and their tests, then exit")
    args = ap.parse_args(argv)
    unknown = [m for m in args.modules if m not in TARGETS]
    if unknown:
        ap.error(f"unknown module(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    if args.list:
        for name, t in TARGETS.items():
            print(f"{name}: {' '.join(t.files)} <- {' '.join(t.tests)}")
        return 0
    mutmut = ensure_env()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONWARNINGS": "ignore"}
    env.pop("VIRTUAL_ENV", None)
    latex_python = REPO / ".venv-livebench-math" / "bin" / "python"  # LiveBench's AMPS_Hard checker (not copied)
    if latex_python.exists():
        env.setdefault("FUSECHAT_LIVEBENCH_MATH_PYTHON", str(latex_python))
    total = [0, 0, 0]
    failed = 0
    for name in args.modules or [n for n in TARGETS if n not in SPLITS]:
        target = TARGETS[name]
        missing = [t for t in target.tests if not (REPO / t).exists()]
        tests = tuple(t for t in target.tests if t not in missing)
        target = Target(target.files, tests, target.only)
        root = scratch_copy(name, target)
        proc = subprocess.run(["nice", "-n", "10", str(mutmut), "run", *target.only], cwd=root, env=env,
                              capture_output=True, text=True, preexec_fn=_limit_memory)
        res = results(root, target)
        if not any(v != "not run" for v in res.values()):  # none run: mutmut's clean test run failed, or no mutants
            print(f"[{name}] mutmut produced no results (exit {proc.returncode}):\n{proc.stdout[-2000:]}"
                  f"{proc.stderr[-2000:]}", file=sys.stderr)
            failed += 1
            continue
        t = sum(v == "timeout" for v in res.values())
        k = sum(v == "killed" for v in res.values()) + t
        s = sum(v == "survived" for v in res.values())
        n = k + s
        total = [total[0] + n, total[1] + k, total[2] + s]
        print(f"[{name}] {line(n, k, s)} (of the killed, {t} by timeout)", flush=True)
        for key in sorted(x for x, v in res.items() if v == "survived"):
            print(f"    survived: {key}")
    print(f"[total] {line(*total)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
