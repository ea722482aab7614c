"""Compare finished runs side by side in one Markdown table (the ablation workflow).

``python -m fusechat.compare RUN_DIR [RUN_DIR …] [--by model|role]``

Blocks: each run's depth (fusechat/depths.py: released model / trained here on the released data / rebuilt here)
and the data revision it trained on; the recipe keys whose values differ between the runs (from each stage
manifest's resolved recipe); the SFT/DPO counts of the build stage (depth 2: the released rows kept); and every
benchmark score per run and evaluated model (from ``eval/02_scores/*.metrics.json``), each cell tagged with its
column's depth when it differs from the run's. ``--by role`` (the default when the runs have different depths) keys
the score rows by the model's role (base / sft / instruct …, ``evaluation.layout.infer_role``) instead of its label,
so the released FuseChat model (depth 1), the model trained here on the released data (depth 2) and the rebuild
(depth 3) land on one row. Missing values are "—", never 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fusechat.depths import DEPTH_LABELS, DEPTH_NUMBER, revision_shown
from fusechat.stage_table import RELEASED_DATA_STAGES, STAGES, stage_hook

_FOLDERS = {**{k: v.folder for k, v in STAGES.items()}, **{k: v.folder for k, v in RELEASED_DATA_STAGES.items()}}


def _manifest(run: Path, stage: str) -> dict[str, Any] | None:
    p = run / _FOLDERS[stage] / "manifest.json"
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


def _depth(recipe: dict[str, Any]) -> str:
    return recipe.get("run", {}).get("depth", "rebuild")


def table(runs: list[Path], by: str | None = None) -> str:
    names = [r.name for r in runs]
    recipes = [recipe_of(r) for r in runs]
    depths = [_depth(rc) for rc in recipes]
    by = by or ("role" if len(set(depths)) > 1 else "model")
    out = ["| run | " + " | ".join(names) + " |", "|---" * (len(runs) + 1) + "|",
           "| depth | " + " | ".join(f"{DEPTH_NUMBER[d]}: {DEPTH_LABELS[d]}" for d in depths) + " |"]
    releases = [(_manifest(r, "release_data") or {}).get("stats", {}).get("released") for r in runs]
    out.append("| released data trained on | " + " | ".join(
        ", ".join(f"{v['path']}@{v['resolved'] or revision_shown(v['path'], v['revision'])}" for v in rel.values()) if rel else "—"
        for rel in releases) + " |")
    flat = [_flatten(rc) for rc in recipes]
    keys = sorted({k for f in flat for k in f} - {"run.dir", "run.name"})
    differ = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    out += ["", "| recipe key | " + " | ".join(names) + " |", "|---" * (len(runs) + 1) + "|"]
    out += [f"| `{k}` | " + " | ".join(f"`{json.dumps(f.get(k))}`" for f in flat) + " |" for k in differ]
    if not differ:
        out.append("| (no key differs) |" + " |" * len(runs))
    out += ["", "| data | " + " | ".join(names) + " |", "|---" * (len(runs) + 1) + "|"]
    builds = [(_manifest(r, "build_sft_dpo") or _manifest(r, "release_data") or {}).get("stats", {}) for r in runs]
    for field in ("sft", "dpo"):
        out.append(f"| {field.upper()} rows | " + " | ".join(str(b.get(field, "—")) for b in builds) + " |")
    scores: dict[tuple[str, str], dict[str, str]] = {}
    for r, run_depth in zip(runs, depths, strict=True):
        folder = r / STAGES["eval_score"].folder
        for f in sorted(folder.glob("*.metrics.json")) if folder.exists() else []:
            m = json.loads(f.read_text())
            row = m["model"] if by == "model" else (m.get("role") or stage_hook("infer_role")(m["model"]))
            d = m.get("depth")
            tag = f" (depth {DEPTH_NUMBER[d]}: {m['model']})" if by == "role" and d and d != run_depth else ""
            tag = tag or (f" ({m['model']})" if by == "role" else "")
            for bench, v in m.get("benchmarks", {}).items():
                if v.get("value") is not None:
                    scores.setdefault((row, bench), {})[r.name] = f"{v['value']:.2f}{tag}"
    if scores:
        head = "model" if by == "model" else "role"
        out += ["", f"| {head} | benchmark | " + " | ".join(names) + " |", "|---" * (len(runs) + 2) + "|"]
        for (model, bench), vals in sorted(scores.items()):
            out.append(f"| {model} | {bench} | " + " | ".join(vals.get(n, "—") for n in names) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run directories (run.dir of each run)")
    p.add_argument("--by", choices=["model", "role"], default=None,
                   help="key score rows by model label or by role (default: role when the runs' depths differ)")
    args = p.parse_args(argv)
    missing = [str(r) for r in args.runs if not r.is_dir()]
    if missing:
        print(f"compare: not a run directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    print(table(args.runs, args.by))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
