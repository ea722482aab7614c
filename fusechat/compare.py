"""Compare finished runs side by side in one Markdown table (the ablation workflow).

``python -m fusechat.compare RUN_DIR [RUN_DIR …]``

Three blocks: the recipe keys whose values differ between the runs (from each stage manifest's resolved recipe),
the SFT/DPO counts of the build stage, and every benchmark score per run and evaluated model (from
``eval/02_scores/*.metrics.json``, schema ``fusechat-metrics/v1``). Missing values are "—", never 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fusechat.stages import STAGES


def _manifest(run: Path, stage: str) -> dict[str, Any] | None:
    p = run / STAGES[stage].folder / "manifest.json"
    return json.loads(p.read_text()) if p.exists() else None


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: node}


def recipe_of(run: Path) -> dict[str, Any]:
    """The resolved recipe of the run's last finished stage (every manifest carries it)."""
    for stage in reversed(list(STAGES)):
        man = _manifest(run, stage)
        if man:
            return man["recipe"]
    raise SystemExit(f"compare: {run}: no finished stage (no manifest.json under its stage folders)")


def table(runs: list[Path]) -> str:
    names = [r.name for r in runs]
    flat = [_flatten(recipe_of(r)) for r in runs]
    keys = sorted({k for f in flat for k in f} - {"run.dir", "run.name"})
    differ = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    out = ["| recipe key | " + " | ".join(names) + " |", "|---" * (len(runs) + 1) + "|"]
    out += [f"| `{k}` | " + " | ".join(f"`{json.dumps(f.get(k))}`" for f in flat) + " |" for k in differ]
    if not differ:
        out.append("| (no key differs) |" + " |" * len(runs))
    out += ["", "| data | " + " | ".join(names) + " |", "|---" * (len(runs) + 1) + "|"]
    builds = [(_manifest(r, "build_sft_dpo") or {}).get("stats", {}) for r in runs]
    for field in ("sft", "dpo"):
        out.append(f"| {field.upper()} rows | " + " | ".join(str(b.get(field, "—")) for b in builds) + " |")
    scores: dict[tuple[str, str], dict[str, Any]] = {}
    for r in runs:
        folder = r / STAGES["eval_score"].folder
        for f in sorted(folder.glob("*.metrics.json")) if folder.exists() else []:
            m = json.loads(f.read_text())
            for bench, v in m.get("benchmarks", {}).items():
                scores.setdefault((m["model"], bench), {})[r.name] = v.get("value")
    if scores:
        out += ["", "| model | benchmark | " + " | ".join(names) + " |", "|---" * (len(runs) + 2) + "|"]
        for (model, bench), vals in sorted(scores.items()):
            cells = [("—" if vals.get(n) is None else f"{vals[n]:.2f}") for n in names]
            out.append(f"| {model} | {bench} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run directories (run.dir of each run)")
    args = p.parse_args(argv)
    missing = [str(r) for r in args.runs if not r.is_dir()]
    if missing:
        print(f"compare: not a run directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(table(args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
