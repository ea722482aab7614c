"""Compare a build with the released FuseChat-3.0 data (``FuseAI/FuseChat-3.0-SFT-Data``/``-DPO-Data``).

    python data_construction/compare_release.py --released-sft train_sft.json --released-dpo train_dpo.json \\
        --build runs/<name>/data/06_export/fuseai [--out report.md]

Both sides are in the released schema (docs/method.md, "Released data schema"): SFT rows ``dataset, source_model,
conversations``; DPO rows ``dataset, source_model, prompt, chosen, rejected``; JSON lists or JSONL. The report
gives counts per (dataset, source_model) side by side and the overlap of prompts (normalised first user turn).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def load_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def first_user_turn(row: dict[str, Any]) -> str:
    if "conversations" in row:
        turn = next((t["value"] for t in row["conversations"] if t.get("from") in ("human", "user")), "")
    else:
        turn = next((m["content"] for m in row["prompt"] if m.get("role") == "user"), "")
    return re.sub(r"\s+", " ", turn).strip().lower()


def compare(released: list[dict[str, Any]], built: list[dict[str, Any]]) -> dict[str, Any]:
    rc = Counter((r.get("dataset"), r.get("source_model")) for r in released)
    bc = Counter((r.get("dataset"), r.get("source_model")) for r in built)
    rp, bp = {first_user_turn(r) for r in released}, {first_user_turn(r) for r in built}
    return {
        "counts": {f"{k[0]} | {k[1]}": {"released": rc.get(k, 0), "built": bc.get(k, 0)}
                   for k in sorted(rc.keys() | bc.keys(), key=lambda k: (str(k[0]), str(k[1])))},
        "released_rows": len(released), "built_rows": len(built),
        "prompt_overlap": len(rp & bp), "released_prompts": len(rp), "built_prompts": len(bp),
    }


def render(name: str, result: dict[str, Any]) -> str:
    lines = [f"## {name}", "", f"rows: released {result['released_rows']}, built {result['built_rows']}; "
             f"distinct prompts: released {result['released_prompts']}, built {result['built_prompts']}, "
             f"shared {result['prompt_overlap']}", "", "| dataset | source model | released | built | built − released |",
             "|---|---|---:|---:|---:|"]
    for key, v in result["counts"].items():
        ds, model = key.split(" | ")
        lines.append(f"| {ds} | {model} | {v['released']} | {v['built']} | {v['built'] - v['released']:+d} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--released-sft", type=Path, required=True)
    p.add_argument("--released-dpo", type=Path, required=True)
    p.add_argument("--build", type=Path, required=True, help="the fuseai/ folder of an export stage")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    for f in (args.released_sft, args.released_dpo, args.build):
        if not f.exists():
            print(f"compare: not found: {f}", file=sys.stderr)
            return 2
    report = "# Build vs released FuseChat-3.0 data\n\n"
    report += render("SFT", compare(load_rows(args.released_sft), load_rows(args.build / "FuseChat-3.0-SFT-Data.jsonl")))
    report += "\n" + render("DPO", compare(load_rows(args.released_dpo),
                                           load_rows(args.build / "FuseChat-3.0-DPO-Data.jsonl")))
    if args.out:
        args.out.write_text(report, encoding="utf-8")
        print(args.out)
    else:
        print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
