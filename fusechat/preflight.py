"""Preflight: what would stop this recipe, checked before hours are spent.

``python -m fusechat.preflight --recipe R.yaml [key=value …]``

One line per check (``ok`` / ``warn`` / ``BLOCK``), then a verdict; exit status 1 when anything blocks. Checks:
GPUs and their memory against every source model's tensor-parallel size and the training per-device batch; free
disk for the plan's outputs and the hub downloads; hub access to every model and dataset (reachable, token
present, gated licences accepted); unpinned revisions (warning); the generation and training environments present
with the pinned versions (``GEN_PY`` / ``TRAIN_PY``, else ``cluster.gen_python`` / ``cluster.train_python``);
no stale JIT-extension build lock (a killed DeepSpeed op build hangs every later launch).
A recipe on the tiny world (``world.enabled``) needs no GPU and no hub.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fusechat.envhint import missing_module_exit

try:
    from fusechat.recipe import REPO_ROOT, Recipe
    from fusechat.stage_table import stage_hook
except ModuleNotFoundError as _exc:  # the system python: say so in one line
    missing_module_exit(_exc, "python -m fusechat.preflight")

GIB = 1024**3
HUB = "https://huggingface.co"


@dataclass
class Check:
    name: str
    level: str  # ok | warn | BLOCK
    message: str

    def line(self) -> str:
        return f"[{self.level:<5}] {self.name:<10} {self.message}"


# ------------------------------------------------------------------------------------------ helpers
def _hub_ids(recipe: Recipe) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
    """(models, datasets) named by hub id, with their pinned revision (None = default branch)."""
    def is_hub(p: str) -> bool:
        return not p.startswith(("tiny:", "@", "/", "./", "../")) and p.count("/") == 1 and not (REPO_ROOT / p).exists()

    from fusechat.depths import split_revision

    depth = recipe.run.depth
    builds = depth == "rebuild" or recipe.wrpo is not None  # prompts selected and scored here (WRPO: always)
    samples = depth == "rebuild"  # source models sampled here (depth 2: their responses are released)
    models = [(m.path, None) for m in recipe.data.sampling.models if is_hub(m.path)] if samples else []
    if builds and is_hub(recipe.data.scoring.model):
        models.append((recipe.data.scoring.model, recipe.data.scoring.revision))
    refs = [*([recipe.sft.model] if recipe.sft is not None else []), *recipe.eval.models.values()]
    models += [split_revision(p) for p in refs if is_hub(split_revision(p)[0])]
    datasets = [(s.path, s.revision) for s in recipe.data.sources if is_hub(s.path)] if builds else []
    if recipe.wrpo is not None and recipe.wrpo.source_responses == "release" and is_hub(recipe.wrpo.release.path):
        datasets.append((recipe.wrpo.release.path, recipe.wrpo.release.revision))
    if depth == "released_data" and recipe.released is not None:
        datasets += [(r.path, r.revision) for r in (recipe.released.sft, recipe.released.dpo) if is_hub(r.path)]
    selected_benchmarks = stage_hook("selected_benchmarks")

    datasets += [(t.data.hub_id, t.data.revision) for t, entry in selected_benchmarks(recipe.eval)
                 if entry.path is None and t.data.hub_id]  # tasks read from the fetched cache
    dedup = lambda xs: list(dict.fromkeys(xs))  # noqa: E731
    return dedup(models), dedup(datasets)


def needs_gpu(recipe: Recipe) -> bool:
    return not recipe.world.enabled or "vllm" in {recipe.data.sampling.backend, recipe.eval.backend}


class GpuProbeError(RuntimeError):
    """Probing the GPUs failed (a broken driver or CUDA install): not the same as a machine without GPUs."""


def gpus_here() -> list[float]:
    """Memory (GiB) of every visible CUDA device: nvidia-smi when present, else torch; [] without GPUs.

    Without torch installed there is nothing to probe ([]: the environment check reports the missing package); any
    other failure while probing raises :class:`GpuProbeError` with the cause, so a broken CUDA setup is reported as
    such instead of as "no GPU visible"."""
    smi = shutil.which("nvidia-smi")
    if smi:
        proc = subprocess.run([smi, "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            return [float(x) / 1024 for x in proc.stdout.split() if x.strip()]
    try:
        import torch
    except ModuleNotFoundError:
        return []
    try:
        if torch.cuda.is_available():
            return [torch.cuda.get_device_properties(i).total_memory / GIB for i in range(torch.cuda.device_count())]
    except Exception as exc:  # noqa: BLE001 - any CUDA failure is reported to the user with its cause
        raise GpuProbeError(f"probing GPUs with torch {torch.__version__} failed: {type(exc).__name__}: {exc}") from exc
    return []


#: Locked packages that tools/setup_env.sh uninstalls again (PyPI's CUDA builds that break next to CPU torch).
REMOVED_AFTER_INSTALL = frozenset({"torchvision", "torchcodec"})


def pins(file: Path) -> dict[str, str]:
    """``name==version`` pins of a requirements file or environment.yml's pip list (extras dropped)."""
    out: dict[str, str] = {}
    for line in file.read_text().splitlines():
        m = re.match(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s#]+)", line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def installed(python: str, names: list[str]) -> dict[str, str | None] | str:
    """Versions of ``names`` in another interpreter, or a one-line reason it cannot be asked."""
    code = ("import json,sys\nfrom importlib import metadata as m\nout={}\nfor n in sys.argv[1:]:\n"
            " try: out[n]=m.version(n)\n except m.PackageNotFoundError: out[n]=None\nprint(json.dumps(out))")
    exe = shutil.which(python) or python
    if not Path(exe).exists():
        return f"interpreter {python!r} not found"
    proc = subprocess.run([exe, "-c", code, *names], capture_output=True, text=True)
    if proc.returncode != 0:
        return f"{python} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}"
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------------------------ checks
def check_gpus(recipe: Recipe) -> list[Check]:
    from fusechat.plan import PlanError, params_of

    if not needs_gpu(recipe):
        return [Check("gpu", "ok", "none needed (tiny world on CPU)")]
    try:
        mems = gpus_here()
    except GpuProbeError as exc:
        return [Check("gpu", "BLOCK", f"{exc} (fix the CUDA driver/toolkit, then rerun preflight)")]
    if recipe.run.depth == "released_models":
        return _check_eval_gpus(recipe, mems)
    sampled = recipe.run.depth == "rebuild"  # depth 2 samples no source model
    tp = max((m.tensor_parallel_size for m in recipe.data.sampling.models if sampled), default=1)
    need = max(tp, recipe.sft.num_gpus, recipe.dpo.num_gpus)
    if not mems:
        return [Check("gpu", "BLOCK", f"no GPU visible (nvidia-smi/torch.cuda); this recipe needs {need} per node "
                      f"(max of tensor_parallel_size {tp}, sft.num_gpus {recipe.sft.num_gpus}, dpo.num_gpus "
                      f"{recipe.dpo.num_gpus}): run on a GPU node, or use recipes/slurm (python -m fusechat.slurm)")]
    out = [Check("gpu", "ok" if len(mems) >= need else "BLOCK",
                 f"{len(mems)} GPU(s) of {min(mems):.0f} GiB; recipe needs {need} on one node")]
    mem = min(mems)
    for m in recipe.data.sampling.models if sampled else []:
        try:
            weights = params_of(recipe, m.name, m.path) * 1e9 * 2 / GIB / m.tensor_parallel_size
        except PlanError as exc:
            out.append(Check("gpu", "warn", str(exc)))
            continue
        level = "ok" if weights <= 0.9 * mem else "BLOCK"
        out.append(Check("gpu", level, f"{m.name}: {weights:.0f} GiB bf16 weights per GPU at TP"
                         f"{m.tensor_parallel_size} (needs <= 90% of {mem:.0f} GiB, rest is KV cache)"))
    n_b = params_of(recipe, "target", recipe.sft.model)
    for stage, cfg, length in (("sft", recipe.sft, recipe.sft.cutoff_len), ("dpo", recipe.dpo, recipe.dpo.max_length)):
        states = 16 * n_b * 1e9 / cfg.num_gpus / GIB  # ZeRO-3: bf16 weights + grads, fp32 master + Adam moments
        seqs = cfg.per_device_train_batch_size * (2 if stage == "dpo" else 1)
        acts = seqs * length * n_b ** 0.5 * 4e5 / GIB  # checkpointed activations, ~hidden x layers x 2 bytes
        level = "ok" if states + acts <= 0.95 * mem else "BLOCK"
        out.append(Check("gpu", level, f"{stage}: ~{states + acts:.0f} GiB per GPU (ZeRO-3 states {states:.0f} + "
                         f"activations of {cfg.per_device_train_batch_size} x {length} tokens) of {mem:.0f} GiB"))
    return out


def _check_eval_gpus(recipe: Recipe, mems: list[float]) -> list[Check]:
    """Depth 1: each evaluated model's bf16 weights over its tensor-parallel GPUs (``eval.model_options``)."""
    from fusechat.plan import PlanError, params_of

    tps = {label: (recipe.eval.model_options[label].tensor_parallel_size if label in recipe.eval.model_options
                   else 1) for label in recipe.eval.models}
    need = max(tps.values(), default=1)
    if not mems:
        return [Check("gpu", "BLOCK", f"no GPU visible (nvidia-smi/torch.cuda); this recipe evaluates on up to "
                      f"{need} GPU(s) per model (eval.model_options tensor_parallel_size): run on a GPU node")]
    out = [Check("gpu", "ok" if len(mems) >= need else "BLOCK",
                 f"{len(mems)} GPU(s) of {min(mems):.0f} GiB; recipe needs {need} on one node")]
    for label, ref in recipe.eval.models.items():
        try:
            weights = params_of(recipe, label, ref) * 1e9 * 2 / GIB / tps[label]
        except PlanError as exc:
            out.append(Check("gpu", "warn", str(exc)))
            continue
        out.append(Check("gpu", "ok" if weights <= 0.9 * min(mems) else "BLOCK",
                         f"{label}: {weights:.0f} GiB bf16 weights per GPU at TP{tps[label]}"))
    return out


def check_disk(recipe: Recipe) -> list[Check]:
    from fusechat.plan import PlanError, make_plan, params_of

    try:
        plan = make_plan(recipe)
    except PlanError as exc:
        return [Check("disk", "warn", f"no plan, so no disk estimate: {exc}")]
    except ModuleNotFoundError as exc:
        return [Check("disk", "BLOCK", f"no plan, so no disk estimate: module '{exc.name}' missing in "
                      f"{sys.executable} (the env check below says how to create the environment)")]
    data = plan.output_tokens * 4 * 2 + plan.generations * 2048  # texts ~4 bytes/token, chunks + merged, + rows
    n_b = params_of(recipe, "target", recipe.sft.model) if recipe.sft is not None else 0.0  # depth 1: no training
    pairs = next((ln.prompts for ln in plan.lines if ln.stage == "dpo"), 0)
    ckpts = (-(-pairs // recipe.dpo.global_batch_size // recipe.dpo.save_steps)  # every save_steps, with optimizer
             if recipe.dpo is not None else 0)
    models = n_b * 1e9 * (2 + 2 + ckpts * 14)  # SFT model + DPO model (bf16) + checkpoints (+12 B/param states)
    run_parent = recipe.run_dir.parent if recipe.run_dir.parent.exists() else REPO_ROOT
    need = (data + models) / GIB
    free = shutil.disk_usage(run_parent).free / GIB
    out = [Check("disk", "ok" if free >= need else "BLOCK",
                 f"{free:,.0f} GiB free at {run_parent}; run outputs need ~{need:,.0f} GiB "
                 f"(responses {data / GIB:,.0f}, models {models / GIB:,.0f})")]
    hub_models, _ = _hub_ids(recipe)
    if hub_models:
        dl = sum(params_of(recipe, p, p) * 1e9 * 2 for p, _ in dict.fromkeys(hub_models) if _known(recipe, p)) / GIB
        hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
        probe = next((p for p in [hf_home, *hf_home.parents] if p.exists()), Path("/"))
        free_hf = shutil.disk_usage(probe).free / GIB
        out.append(Check("disk", "ok" if free_hf >= dl else "BLOCK",
                         f"{free_hf:,.0f} GiB free for the hub cache ({hf_home}); model downloads ~{dl:,.0f} GiB"))
    return out


def _known(recipe: Recipe, path: str) -> bool:
    from fusechat.plan import PlanError, params_of

    try:
        params_of(recipe, path, path)
        return True
    except PlanError:
        return False


def check_hub(recipe: Recipe) -> list[Check]:
    models, datasets = _hub_ids(recipe)
    out: list[Check] = []
    unpinned = [i for i, r in datasets if r is None]
    if unpinned:
        out.append(Check("revision", "warn", f"{len(unpinned)} hub dataset(s) unpinned (revision: null): "
                         f"{', '.join(unpinned)}; pin commit shas for a reproducible run"))
    if recipe.run.depth == "released_models":  # depth 1 checks published checkpoints: name the unpinned ones
        loose = [m for m, r in models if r is None]
        if loose:
            out.append(Check("revision", "warn", f"{len(loose)} evaluated model(s) unpinned (no @<sha>): "
                             f"{', '.join(loose)}; the hub's newest weights are what gets evaluated"))
    if not models and not datasets:
        return [*out, Check("hub", "ok", "nothing on the hub (local files / tiny world)")]
    what = f"{len(models)} models and {len(datasets)} datasets"
    if os.environ.get("HF_HUB_OFFLINE", "0") not in {"0", "", "false"}:
        return [*out, Check("hub", "BLOCK", f"HF_HUB_OFFLINE is set: cannot check or download {what}; "
                            "unset it on a machine with hub access")]
    import requests

    try:
        requests.head(HUB, timeout=5)
    except requests.RequestException as exc:
        return [*out, Check("hub", "BLOCK", f"{HUB} unreachable ({type(exc).__name__}): {what} cannot be "
                            "downloaded; run on a machine with hub access or pre-download into HF_HOME")]
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.utils import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    token = get_token()
    out.append(Check("hub", "ok" if token else "warn", "token present" if token else
                     "no token (huggingface-cli login / HF_TOKEN): gated models (Llama, Gemma, Mistral) will fail"))
    api = HfApi()
    for kind, items in (("model", models), ("dataset", datasets)):
        for repo, rev in items:
            try:
                api.auth_check(repo, repo_type=kind, token=token)
                info = (api.model_info if kind == "model" else api.dataset_info)(repo, revision=rev, token=token)
                out.append(Check("hub", "ok", f"{kind} {repo}" + (f"@{rev}" if rev else "") +
                                 (" (gated, access granted)" if getattr(info, "gated", False) else "")))
            except GatedRepoError:
                out.append(Check("hub", "BLOCK", f"{kind} {repo}: gated, licence not accepted for this token; "
                                 f"accept it at {HUB}/{'datasets/' if kind == 'dataset' else ''}{repo}"))
            except RepositoryNotFoundError:
                out.append(Check("hub", "BLOCK", f"{kind} {repo}: not found (or private without access)"))
            except HfHubHTTPError as exc:
                out.append(Check("hub", "BLOCK", f"{kind} {repo}: {str(exc).splitlines()[0]}"))
    return out


def check_envs(recipe: Recipe) -> list[Check]:
    """Each environment the recipe needs holds exactly the versions of its hashed lock (requirements/locks/)."""
    locks = REPO_ROOT / "requirements" / "locks"
    if recipe.world.enabled:
        req = {"cpu": (sys.executable, locks / "cpu.txt")}
    elif recipe.run.depth == "released_models":  # evaluation only: no training environment
        req = {"generation": (os.environ.get("GEN_PY", recipe.cluster.gen_python), locks / "gpu-gen.txt")}
    else:
        req = {"generation": (os.environ.get("GEN_PY", recipe.cluster.gen_python), locks / "gpu-gen.txt"),
               "training": (os.environ.get("TRAIN_PY", recipe.cluster.train_python), locks / "gpu-train.txt")}
    fix = {"cpu": "bash tools/setup_env.sh",
           "generation": "python3.11 -m venv .venv-gen && .venv-gen/bin/pip install --require-hashes -r "
                         "requirements/locks/gpu-gen.txt && .venv-gen/bin/pip install --no-deps -e ., then "
                         "GEN_PY=.venv-gen/bin/python",
           "training": "conda env create -f environment.yml && conda activate fusechat && pip install --no-deps "
                       "-e ., then TRAIN_PY=python"}
    out = []
    for env, (python, file) in req.items():
        want = {n: v for n, v in pins(file).items() if n not in REMOVED_AFTER_INSTALL}
        got = installed(python, sorted(want))
        if isinstance(got, str):
            out.append(Check("env", "BLOCK", f"{env} env: {got}; create it: {fix[env]}"))
            continue
        # a local version label (torch 2.13.0+cpu / +cu126) meets the pin 2.13.0
        bad = [f"{n} {got[n] or 'missing'} (pinned {v})" for n, v in sorted(want.items())
               if (got.get(n) or "").split("+")[0] != v.split("+")[0]]
        out.append(Check("env", "BLOCK" if bad else "ok", f"{env} env ({python}): " + (
            f"{len(bad)} pin(s) not met: {', '.join(bad[:4])}{' …' if len(bad) > 4 else ''}; fix: {fix[env]}"
            if bad else f"{len(want)} pins of {file.name} met")))
    return out


def check_judge(recipe: Recipe) -> list[Check]:
    """The judged benchmarks need a judge: the local tiny one, or an endpoint whose key variable is set (the key
    itself is never printed)."""
    selected_benchmarks = stage_hook("selected_benchmarks")

    try:
        judged = [t for t, _ in selected_benchmarks(recipe.eval) if t.judge_model]
    except Exception as exc:  # noqa: BLE001 - a bad benchmark list is reported, not raised
        return [Check("judge", "BLOCK", f"eval.benchmarks: {str(exc).splitlines()[0]}")]
    if not judged:
        return [Check("judge", "ok", "no judged benchmark selected")]
    cfg = recipe.eval.judge
    names = ", ".join(t.id for t in judged)
    if cfg.local == "tiny":
        return [Check("judge", "ok", f"local tiny judge ({cfg.local_reward_model}) for {names}")]
    where = cfg.base_url or "api.openai.com"
    models = ", ".join(sorted({cfg.model or str(t.judge_model) for t in judged}))
    if os.environ.get(cfg.api_key_env):
        return [Check("judge", "ok", f"{models} at {where}: ${cfg.api_key_env} set, for {names}")]
    return [Check("judge", "BLOCK", f"{names} need a judge ({models} at {where}) and ${cfg.api_key_env} is unset: "
                  f"export {cfg.api_key_env}=... or serve a local judge (docs/judges.md)")]


def check_extension_locks(recipe: Recipe) -> list[Check]:
    """A stale JIT-extension build lock makes every DeepSpeed launch wait forever (fusechat/extension_locks.py)."""
    from fusechat.extension_locks import stale_locks

    return [Check("ext-lock", "BLOCK", f"{lock} is {age / 60:.0f} min old: a killed JIT build left it, and every "
                  "DeepSpeed launch needing that op would wait for it forever; remove it if no build is running")
            for lock, age in stale_locks()]


def preflight(recipe: Recipe) -> list[Check]:
    return [*check_gpus(recipe), *check_disk(recipe), *check_hub(recipe), *check_envs(recipe), *check_judge(recipe),
            *check_extension_locks(recipe)]


def main(argv: list[str] | None = None) -> int:
    from fusechat.cli import load_or_exit

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True)
    p.add_argument("overrides", nargs="*", metavar="key=value")
    args = p.parse_args(argv)
    recipe = load_or_exit(args.recipe, args.overrides)
    checks = preflight(recipe)
    for c in checks:
        print(c.line())
    blockers = [c for c in checks if c.level == "BLOCK"]
    warns = sum(c.level == "warn" for c in checks)
    if blockers:
        print(f"preflight: BLOCKED by {len(blockers)} check(s) ({', '.join(dict.fromkeys(c.name for c in blockers))})"
              f"; {warns} warning(s)")
        return 1
    print(f"preflight: OK ({len(checks)} checks, {warns} warning(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
