"""Run the numbered scripts of the pipeline in order (what ``recipes/*.sh`` call).

``python -m fusechat.pipeline --recipe R.yaml [key=value …] [--from STAGE] [--until STAGE]``

Each stage runs as its own process, exactly as a user would run the numbered script, so what the pipeline does
is what the scripts do. Up-to-date stages skip themselves. Per-stage wall times are printed at the end, followed
by the path of the results table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from fusechat.envhint import missing_module_exit

try:
    from fusechat.cli import load_or_exit
    from fusechat.recipe import REPO_ROOT
    from fusechat.stage_table import STAGES, stages_for
except ModuleNotFoundError as _exc:  # e.g. the system python instead of the project's environment
    missing_module_exit(_exc, "python -m fusechat.pipeline")

SCRIPTS: dict[str, str] = {
    "tiny_world": "-m fusechat.tiny_world",
    "select_prompts": "data_construction/01_select_prompts.py",
    "sample_responses": "data_construction/02_sample_responses.py",
    "score_rewards": "data_construction/03_score_rewards.py",
    "verify_answers": "data_construction/04_verify_answers.py",
    "build_sft_dpo": "data_construction/05_build_sft_dpo.py",
    "export": "data_construction/06_export.py",
    "sft": "training/01_sft.py",
    "dpo": "training/02_dpo.py",
    "eval_generate": "evaluation/01_generate.py",
    "eval_score": "evaluation/02_score.py",
    "eval_tables": "evaluation/03_tables.py",
}
#: The WRPO pipeline's scripts, in order (recipes with a ``wrpo:`` section).
WRPO_SCRIPTS: dict[str, str] = {
    "tiny_world": "-m fusechat.tiny_world",
    "select_prompts": "data_construction/01_select_prompts.py",
    "sample_responses": "data_construction/02_sample_responses.py",
    "score_rewards": "data_construction/03_score_rewards.py",
    "wrpo_split": "data_construction/07_wrpo_split.py",
    "sft": "training/01_sft.py",
    "wrpo_target": "data_construction/08_wrpo_target.py",
    "wrpo_build": "data_construction/09_wrpo_build.py",
    "dpo": "training/02_dpo.py",
    "eval_generate": "evaluation/01_generate.py",
    "eval_score": "evaluation/02_score.py",
    "wrpo_report": "evaluation/04_wrpo_report.py",
}
#: Depth 2 (run.depth: released_data): the released data in the export's layout, instead of the data stages.
RELEASE_DATA_SCRIPT = {"release_data": "data_construction/10_release_data.py"}
ALL_SCRIPTS: dict[str, str] = {**SCRIPTS, **WRPO_SCRIPTS, **RELEASE_DATA_SCRIPT}


STAGE_MODULES = {"select_prompts": ("pyarrow", "datasets"), "sample_responses": ("torch", "transformers"),
                 "score_rewards": ("torch", "transformers"), "verify_answers": ("math_verify",),
                 "sft": ("llamafactory",), "dpo": ("trl",), "eval_generate": ("torch", "transformers")}


def check_modules(names: list[str]) -> None:
    """Before any stage runs: every package the chosen stages import is installed in this interpreter."""
    import importlib.util

    for name in names:
        for mod in STAGE_MODULES.get(name, ()):
            if importlib.util.find_spec(mod) is None:
                missing_module_exit(ModuleNotFoundError(name=mod), f"stage {name} (python -m fusechat.pipeline)")


def _manifest(run_dir, stage: str) -> dict | None:
    p = run_dir / STAGES[stage].folder / "manifest.json"
    return json.loads(p.read_text()) if p.exists() else None


def summarise(run_dir) -> None:
    """Final summary on stderr: plan vs measured (generations, tokens, GPU-hours) and any unfilled release quota."""
    select, sample = _manifest(run_dir, "select_prompts"), _manifest(run_dir, "sample_responses")
    plan = (select or {}).get("stats", {}).get("plan", {})
    if plan.get("generations") is not None and sample:
        got = sample["stats"].get("tokens", {})
        print("[pipeline] plan vs measured (sampling): "
              f"generations {plan['generations']} vs {got.get('generations')}, input tokens "
              f"{plan['input_tokens']} vs {got.get('input_tokens')}, output tokens {plan['output_tokens']} vs "
              f"{got.get('output_tokens')}; measured mean output tokens by domain (plan.output_tokens) "
              f"{got.get('mean_output_by_domain')}", file=sys.stderr)
        measured_h = sum((_manifest(run_dir, s) or {}).get("measured", {}).get("gpu_seconds", 0) for s in STAGES) / 3600
        print(f"[pipeline] GPU-hours: plan {plan['gpu_hours']} ({plan['gpu_type']}), measured {measured_h:.2f} "
              "(GPUs allocated x wall time, summed over the stage manifests, reused stages included)", file=sys.stderr)
    build = _manifest(run_dir, "build_sft_dpo")
    for src, rows in ((build or {}).get("stats", {}).get("shortfall") or {}).items():
        for split, info in rows.items():
            print(f"[pipeline] SHORTFALL: release quota not filled for {src} {split}: wanted {info['wanted']}, "
                  f"got {info['got']} ({info['reason']})", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True)
    p.add_argument("overrides", nargs="*")
    p.add_argument("--from", dest="start", choices=list(ALL_SCRIPTS), default=None)
    p.add_argument("--until", choices=list(ALL_SCRIPTS), default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    p = build_parser()
    args = p.parse_intermixed_args(argv)
    recipe = load_or_exit(args.recipe, args.overrides)
    scripts = ALL_SCRIPTS
    names = ["tiny_world", *stages_for(recipe)]  # the recipe's own stages (its depth), in order
    for flag, stage in (("--from", args.start), ("--until", args.until)):
        if stage is not None and stage not in names:
            p.error(f"{flag} {stage}: not a stage of this recipe's pipeline ({', '.join(names)})")
    if not recipe.world.enabled:
        names.remove("tiny_world")
    if args.start:
        names = names[names.index(args.start):]
    if args.until:
        names = names[: names.index(args.until) + 1]
    check_modules(names)
    env = os.environ.copy()  # the scripts import the repo's packages even where it is not pip-installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    times: dict[str, float] = {}
    for name in names:
        script = scripts[name].split()
        cmd = [sys.executable, *script, "--recipe", args.recipe, *args.overrides]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)
        times[name] = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"[pipeline] stage {name} failed (exit {proc.returncode}); command: {' '.join(cmd)}", file=sys.stderr)
            return proc.returncode
    print("\n[pipeline] per-stage wall time (s):", file=sys.stderr)
    for name, t in times.items():
        print(f"  {name:<18} {t:7.1f}", file=sys.stderr)
    print(f"  {'total':<18} {sum(times.values()):7.1f}", file=sys.stderr)
    summarise(recipe.run_dir)
    last = "wrpo_report" if recipe.wrpo is not None else "eval_tables"
    tables = recipe.run_dir / stages_for(recipe)[last].folder
    if (tables / "manifest.json").exists() and last in names:
        print(json.loads((tables / "manifest.json").read_text())["stats"]["table"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
