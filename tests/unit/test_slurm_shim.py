"""tools/slurm_shim (sbatch, srun, scontrol) runs a ``submit.sh`` written by ``fusechat.slurm.submit_script`` on one
machine as SLURM would: jobs in afterok order, array tasks 0..N-1, one srun copy per "node", logs where the job's
``--output`` says (its folder made by submit.sh, as SLURM needs it before the job starts), and a job whose
dependency has not succeeded refused. Toy jobs that append to a trace file; a few seconds in all."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from conftest import REPO

from fusechat.slurm import Job, submit_script

SHIM = REPO / "tools" / "slurm_shim"


def job_file(folder: Path, name: str, body: str, nodes: int = 1, array: int | None = None) -> None:
    head = ["#!/usr/bin/env bash", f"#SBATCH --job-name=toy-{name}", f"#SBATCH --nodes={nodes}",
            f"#SBATCH --output=logs/%x-%A{'_%a' if array else ''}.out"]
    if array:
        head.append(f"#SBATCH --array=0-{array - 1}")
    head += ["set -euo pipefail", 'cd "${SLURM_SUBMIT_DIR:-.}"']
    (folder / f"{name}.sbatch").write_text("\n".join(head) + "\n" + body + "\n")


def submit(tmp_path: Path, jobs: list[Job], bodies: dict[str, str]) -> tuple[subprocess.CompletedProcess, Path]:
    jobs_dir, work = tmp_path / "slurm", tmp_path / "work"
    jobs_dir.mkdir()
    work.mkdir()
    for j in jobs:
        job_file(jobs_dir, j.name, bodies[j.name], j.nodes, j.array)
    (jobs_dir / "submit.sh").write_text(submit_script(jobs))
    env = {**os.environ, "PATH": f"{SHIM}{os.pathsep}{os.environ['PATH']}", "SLURM_SHIM_STATE": str(tmp_path / "st")}
    proc = subprocess.run(["bash", str(jobs_dir / "submit.sh")], cwd=work, env=env, capture_output=True, text=True,
                          timeout=60)
    return proc, work


CHAIN = [Job("select", ""), Job("sample", "", array=3, after=("select",)), Job("train", "", nodes=2, after=("sample",)),
         Job("eval", "", after=("train",))]
BODIES = {"select": "echo select >> trace",
          "sample": 'echo "sample $SLURM_ARRAY_TASK_ID" >> trace',
          "train": 'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"\n'
                   "srun --ntasks-per-node=1 bash -c 'echo \"train node $SLURM_NODEID of $SLURM_NNODES at "
                   "'\"$MASTER_ADDR\"'\" >> trace'",
          "eval": "echo eval >> trace; echo evaluated"}


def test_chain_runs_in_dependency_order_with_arrays_and_nodes(tmp_path: Path) -> None:
    proc, work = submit(tmp_path, CHAIN, BODIES)
    assert proc.returncode == 0, proc.stderr
    trace = (work / "trace").read_text().splitlines()
    assert trace[:4] == ["select", "sample 0", "sample 1", "sample 2"] and trace[-1] == "eval"
    assert sorted(trace[4:6]) == ["train node 0 of 2 at localhost", "train node 1 of 2 at localhost"]
    ran = [line.split() for line in (tmp_path / "st" / "jobs.tsv").read_text().splitlines()]
    assert [r[1] for r in ran] == ["select", "sample", "train", "eval"]
    assert [r[2:4] for r in ran] == [["1", "1"], ["3", "1"], ["1", "2"], ["1", "1"]]
    ids = {r[1]: r[0] for r in ran}
    assert ran[3][4] == ids["train"] and ran[1][4] == ids["select"]  # afterok ids as submit.sh passed them
    assert (work / "logs" / f"toy-eval-{ids['eval']}.out").read_text() == "evaluated\n"
    assert (work / "logs" / f"toy-sample-{ids['sample']}_2.out").exists()


def test_a_failed_array_task_leaves_the_dependants_unrun(tmp_path: Path) -> None:
    bodies = {**BODIES, "sample": '[[ "$SLURM_ARRAY_TASK_ID" != 1 ]]; echo "sample $SLURM_ARRAY_TASK_ID" >> trace'}
    proc, work = submit(tmp_path, CHAIN, bodies)
    assert proc.returncode != 0 and "task 1 failed" in proc.stderr
    assert (work / "trace").read_text().splitlines() == ["select", "sample 0"]


def test_a_job_submitted_before_its_dependency_succeeded_is_refused(tmp_path: Path) -> None:
    """afterok on an id that has not finished successfully (here: never submitted) stops the job unrun."""
    (tmp_path / "st").mkdir()
    job_file(tmp_path, "late", "echo ran >> trace")
    env = {**os.environ, "PATH": f"{SHIM}{os.pathsep}{os.environ['PATH']}", "SLURM_SHIM_STATE": str(tmp_path / "st")}
    (tmp_path / "logs").mkdir()
    proc = subprocess.run(["sbatch", "--parsable", "--dependency=afterok:4242", str(tmp_path / "late.sbatch")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "depends on job 4242" in proc.stderr
    assert not (tmp_path / "trace").exists()


def test_a_missing_output_folder_fails_the_job_as_slurm_does(tmp_path: Path) -> None:
    job_file(tmp_path, "nolog", "echo ran >> trace")
    env = {**os.environ, "PATH": f"{SHIM}{os.pathsep}{os.environ['PATH']}", "SLURM_SHIM_STATE": str(tmp_path / "st")}
    proc = subprocess.run(["sbatch", "--parsable", str(tmp_path / "nolog.sbatch")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1 and "--output folder logs does not exist" in proc.stderr
    assert not (tmp_path / "trace").exists()
