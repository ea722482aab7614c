"""Command-line plumbing shared by every numbered script: ``--recipe R.yaml [key=value …] [--force] [--shard i/N]``.

Recipe and stage errors are printed as one line (no traceback) and exit with status 2 / 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from fusechat.recipe import Recipe, RecipeError, load_recipe
from fusechat.stage import StageContext, StageError, StageResult, run_stage
from fusechat.stages import stages_for


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard must look like i/N (got {text!r})") from None
    if n < 1 or not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= i < N")
    return i, n


def build_parser(description: str, shardable: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--recipe", required=True, help="recipe YAML (recipes/*.yaml)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="recipe overrides, e.g. dpo.beta=0.1")
    p.add_argument("--force", action="store_true", help="rerun even if the stage is up to date")
    if shardable:
        p.add_argument("--shard", type=parse_shard, default=(0, 1), help="i/N: run shard i of N")
    return p


def load_or_exit(path: str, overrides: list[str]) -> Recipe:
    try:
        return load_recipe(path, overrides)
    except RecipeError as exc:
        print(f"recipe error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def stage_main(stage: str, body: Callable[[StageContext], StageResult], description: str,
               shardable: bool = False, argv: list[str] | None = None) -> None:
    """Entry point of a numbered script: parse args, run the stage under the contract, print its folder."""
    args = build_parser(description, shardable).parse_args(argv)
    recipe = load_or_exit(args.recipe, args.overrides)
    try:
        registry = stages_for(recipe)
        out = run_stage(registry[stage], recipe, body, registry, force=args.force,
                        shard=getattr(args, "shard", (0, 1)))
    except StageError as exc:
        print(f"stage error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(out)
