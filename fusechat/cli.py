"""Command-line plumbing shared by every numbered script: ``--recipe R.yaml [key=value …] [--force] [--shard i/N]``.

Recipe and stage errors are printed as one line (no traceback) and exit with status 2 / 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from fusechat.recipe import Recipe, RecipeError, load_recipe
from fusechat.stage_runner import StageContext, StageError, StageResult, run_stage
from fusechat.stage_table import stages_for


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard must look like i/N (got {text!r})") from None
    if n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= i < N")
    return i, n


def build_parser(description: str, shardable: bool = False, per_model: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--recipe", required=True, help="recipe YAML (recipes/*.yaml)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="recipe overrides, e.g. dpo.beta=0.1")
    p.add_argument("--force", action="store_true", help="rerun even if the stage is up to date")
    if shardable:
        p.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/N: run shard i of N")
    if per_model:
        p.add_argument("--model", default=None, help="only this source model's chunks (a partial run, like a "
                       "shard: one SLURM array per model; the run without --model merges)")
    return p


def load_or_exit(path: str, overrides: list[str]) -> Recipe:
    try:
        return load_recipe(path, overrides)
    except RecipeError as exc:
        print(f"recipe error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def stage_main(stage: str, body: Callable[[StageContext], StageResult], description: str,
               shardable: bool = False, argv: list[str] | None = None, per_model: bool = False) -> None:
    """Entry point of a numbered script: parse args, run the stage under the contract, print its folder."""
    args = build_parser(description, shardable, per_model).parse_intermixed_args(argv)  # key=value after --force too
    recipe = load_or_exit(args.recipe, args.overrides)
    model = getattr(args, "model", None)
    if model is not None and model not in {m.name for m in recipe.data.sampling.models}:
        print(f"recipe error: --model {model}: not a data.sampling.models name", file=sys.stderr)
        raise SystemExit(2)
    registry = stages_for(recipe)
    if stage not in registry:
        print(f"recipe error: stage {stage} is not part of this recipe's pipeline (run.depth {recipe.run.depth}: "
              f"{', '.join(registry)})", file=sys.stderr)
        raise SystemExit(2)
    try:
        out = run_stage(registry[stage], recipe, body, registry, force=args.force,
                        shard=getattr(args, "shard", (0, 1)), only_model=model)
    except StageError as exc:
        print(f"stage error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:  # the hub unreachable / offline: one line, not a traceback
        line = hub_error_line(exc)
        if line is None:
            raise
        print(f"stage error: [{stage}] {line}", file=sys.stderr)
        raise SystemExit(1) from None
    print(out)


def hub_error_line(exc: BaseException) -> str | None:
    """One line for a hub that cannot be reached (connection refused, offline mode, a file not in the local
    cache), with the command that fixes it; None for any other error (a real bug keeps its traceback)."""
    names = {type(e).__name__ for e in _chain(exc)}
    hubby = {"ConnectionError", "OfflineModeIsEnabled", "LocalEntryNotFoundError", "ConnectTimeout",
             "MaxRetryError", "NameResolutionError"}
    if not names & hubby:
        return None
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"the Hugging Face hub is unreachable ({type(exc).__name__}: {first[:160]}); run on a machine with hub "
            "access (python -m fusechat.preflight --recipe R checks it) or point the recipe at local copies")


def _chain(exc: BaseException | None) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out
