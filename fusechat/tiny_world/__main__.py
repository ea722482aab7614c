"""``python -m fusechat.tiny_world --recipe R.yaml``: build (or find) the tiny world a recipe uses."""

from __future__ import annotations

import argparse

from fusechat.cli import load_or_exit
from fusechat.tiny_world.build import ensure_world, settings_from


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--recipe", required=True)
    p.add_argument("overrides", nargs="*")
    args = p.parse_args()
    recipe = load_or_exit(args.recipe, args.overrides)
    print(ensure_world(settings_from(recipe.world)))


if __name__ == "__main__":
    main()
