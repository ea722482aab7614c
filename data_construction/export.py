"""Exports of the built data:

- LLaMA-Factory: ShareGPT JSONL (``conversations`` of ``{from: human|gpt, value}``), a ranking file for
  preference data, and the ``dataset_info.json`` that registers both (``formatting: sharegpt``).
- TRL: conversational preference format (``prompt``/``chosen``/``rejected`` message lists) and SFT ``messages``.
- The released FuseAI schema (research/upstream.md §1.6): SFT ``dataset, source_model, conversations``;
  DPO ``dataset, source_model, prompt, chosen, rejected``.
"""

from __future__ import annotations

from typing import Any

from data_construction.build import DPO_FILE, SFT_FILE
from fusechat.io import iter_parquet, write_json, write_jsonl
from fusechat.stage import Counts, StageContext, StageResult

SFT_NAME = "fusechat3_sft"
DPO_NAME = "fusechat3_dpo"
ROLE_TO_SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system"}


def sharegpt(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"from": ROLE_TO_SHAREGPT[m["role"]], "value": m["content"]} for m in messages]


def dataset_info() -> dict[str, Any]:
    return {
        SFT_NAME: {"file_name": f"{SFT_NAME}.jsonl", "formatting": "sharegpt",
                   "columns": {"messages": "conversations"}},
        DPO_NAME: {"file_name": f"{DPO_NAME}.jsonl", "formatting": "sharegpt", "ranking": True,
                   "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}},
    }


def run(ctx: StageContext) -> StageResult:
    build_dir = ctx.input("build_sft_dpo")
    out = ctx.out_dir
    sft = list(iter_parquet(build_dir / SFT_FILE))
    dpo = list(iter_parquet(build_dir / DPO_FILE))
    lf = out / "llamafactory"
    write_jsonl(({"conversations": sharegpt(r["messages"])} for r in sft), lf / f"{SFT_NAME}.jsonl")
    write_jsonl(({"conversations": sharegpt(r["prompt"]), "chosen": {"from": "gpt", "value": r["chosen"]},
                  "rejected": {"from": "gpt", "value": r["rejected"]}} for r in dpo), lf / f"{DPO_NAME}.jsonl")
    write_json(dataset_info(), lf / "dataset_info.json")
    write_jsonl(({"messages": r["messages"]} for r in sft), out / "trl" / "sft.jsonl")
    write_jsonl(({"prompt": r["prompt"], "chosen": [{"role": "assistant", "content": r["chosen"]}],
                  "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in dpo), out / "trl" / "dpo.jsonl")
    write_jsonl(({"dataset": r["source"], "source_model": r["source_model"], "conversations": sharegpt(r["messages"])}
                 for r in sft), out / "fuseai" / "FuseChat-3.0-SFT-Data.jsonl")
    write_jsonl(({"dataset": r["source"], "source_model": r["source_model"], "prompt": r["prompt"],
                  "chosen": [{"role": "assistant", "content": r["chosen"]}],
                  "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in dpo),
                out / "fuseai" / "FuseChat-3.0-DPO-Data.jsonl")
    return StageResult([Counts("sft rows", len(sft), len(sft)), Counts("dpo pairs", len(dpo), len(dpo))],
                       {"sft": len(sft), "dpo": len(dpo)})
