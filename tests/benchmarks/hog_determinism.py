"""Verdicts that do not depend on how busy the machine is (issue 22 item 5): the data stages of the smoke recipe run
twice into two run directories, once on the machine as it is and once beside a CPU hog of ``--hog-procs`` busy
processes, and the verification and build outputs (``data/04_verified``, ``data/05_build``) are compared byte for
byte.

What it relies on: math grading has a budget of CPU time, not of wall-clock time (``fusechat.math_answers``), so a
loaded machine cannot turn a slow answer into a timeout; every stage is seeded. A stage's ``manifest.json`` is
left out of the comparison (it records wall times, peak memory and the run directory); every other file of the
two folders is compared, and a file in one run only counts as a difference.

Each run has its own stage cache (``run.stage_cache``), so neither reuses the other's outputs. ``--share-upstream``
gives the loaded run the quiet run's outputs of the stages before verification (prompt selection, sampling,
reward scoring: model work, no grader) in its cache, so only verification and the build, the stages a grader's
limit can change, run twice (minutes instead of the whole sampling stage again on a loaded 2-core box).
``--seed-cache DIR`` does the same for both runs from the stage cache of an earlier smoke run.

Last line: ``identical=<true|false> files=<n> hog_procs=<n>`` (``files``: files compared in the two folders).

Run: ``python tests/benchmarks/hog_determinism.py [--hog-procs 4] [--share-upstream] [--seed-cache DIR]
[--work DIR] [--keep] [key=value ...]`` (overrides go to both runs; the default hog is two busy processes per
core).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from fusechat.stage_table import STAGES  # noqa: E402

COMPARED = ("verify_answers", "build_sft_dpo")
UPSTREAM = ("select_prompts", "sample_responses", "score_rewards")
LAST_STAGE = "build_sft_dpo"
IGNORED = {"manifest.json"}


def _spin() -> None:  # pragma: no cover - a CPU hog
    while True:
        pass


def cache_of(run_dir: Path) -> Path:
    """The run's own stage cache (``run.stage_cache``), next to it."""
    return run_dir.with_name(run_dir.name + ".stage_cache")


def seed_upstream(src_cache: Path, dst_cache: Path) -> None:
    """Copy the stage-cache entries of the stages before verification from ``src_cache`` into ``dst_cache`` (the
    run then links to them as reused, by fingerprint, and computes verification and the build itself)."""
    for stage in UPSTREAM:
        if (src_cache / stage).is_dir():
            shutil.copytree(src_cache / stage, dst_cache / stage, symlinks=True, dirs_exist_ok=True)


def run_data_stages(run_dir: Path, overrides: list[str]) -> float:
    """The smoke recipe's stages up to the build, into ``run_dir`` with its own stage cache; wall seconds. Exits on
    a failed stage."""
    cmd = [sys.executable, "-m", "fusechat.pipeline", "--recipe", str(REPO / "recipes" / "smoke.yaml"),
           f"run.dir={run_dir}", f"run.stage_cache={cache_of(run_dir)}", "--until", LAST_STAGE, *overrides]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        sys.exit(f"pipeline failed in {run_dir} (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return time.monotonic() - t0


def compared_files(run_dir: Path) -> dict[str, Path]:
    """``stage folder/relative path`` -> file, for every compared stage's files except its manifest."""
    out = {}
    for stage in COMPARED:
        root = (run_dir / STAGES[stage].folder).resolve()
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name not in IGNORED:
                out[f"{STAGES[stage].folder}/{path.relative_to(root)}"] = path
    return out


def differences(a: Path, b: Path) -> tuple[int, list[str]]:
    """(files compared, names that differ or exist in one run only)."""
    fa, fb = compared_files(a), compared_files(b)
    names = sorted(set(fa) | set(fb))
    diff = [n for n in names if n not in fa or n not in fb or fa[n].read_bytes() != fb[n].read_bytes()]
    return len(names), diff


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hog-procs", type=int, default=2 * (os.cpu_count() or 1))
    ap.add_argument("--work", type=Path, default=None, help="folder for the two run dirs (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the run dirs")
    ap.add_argument("--share-upstream", action="store_true",
                    help="the loaded run reuses the quiet run's stages before verification")
    ap.add_argument("--seed-cache", type=Path, default=None,
                    help="stage cache of an earlier smoke run: both runs reuse its stages before verification")
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="hog_determinism_"))
    quiet, loaded = work / "quiet", work / "loaded"
    for d in (quiet, loaded):
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(cache_of(d), ignore_errors=True)
    try:
        if args.seed_cache:
            for d in (quiet, loaded):
                seed_upstream(args.seed_cache, cache_of(d))
        wall_quiet = run_data_stages(quiet, args.overrides)
        print(f"quiet run: {wall_quiet:.1f} s", flush=True)
        if args.share_upstream:
            seed_upstream(cache_of(quiet), cache_of(loaded))
        hogs = [mp.get_context("fork").Process(target=_spin, daemon=True) for _ in range(args.hog_procs)]
        for h in hogs:
            h.start()
        try:
            wall_loaded = run_data_stages(loaded, args.overrides)
        finally:
            for h in hogs:
                h.kill()
                h.join()
        print(f"run beside {args.hog_procs} busy processes: {wall_loaded:.1f} s", flush=True)
        n, diff = differences(quiet, loaded)
        for name in diff:
            print(f"differs: {name}")
        print(f"identical={str(not diff and n > 0).lower()} files={n} hog_procs={args.hog_procs}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
