"""Depth 2 (``run.depth: released_data``): the authors' released FuseChat-3.0 data, in the export's layout.

Reads ``released.sft`` (``FuseAI/FuseChat-3.0-SFT-Data``) and ``released.dpo`` (``FuseAI/FuseChat-3.0-DPO-Data``)
through the loaders every source uses (``selection.iter_rows``: hub id at its revision, local file, or
``tiny:released/<name>``, see ``fusechat/tiny_release.py``), checks each row against the released schema
(docs/method.md, "Released data schema"), and writes what the export stage writes for a build (LLaMA-Factory
ShareGPT + ``dataset_info.json``, TRL, and the FuseAI schema), so SFT and DPO train on the release exactly as they
train on a rebuild. Rules:

- SFT rows ``dataset, source_model, conversations`` (turns ``{from: human|gpt|system, value}``, at least one human
  turn, the last turn ``gpt``); DPO rows ``dataset, source_model, prompt`` (messages ``{role, content}`` ending with
  the user's turn), ``chosen`` and ``rejected`` (one assistant message each; a list of one, or a plain text);
- a row that breaks them is a counted, named drop (``not_an_object``, ``invalid_utf8``, ``missing_field``,
  ``wrong_type``, ``bad_turn``, ``no_user_turn``, ``last_turn_not_assistant``, ``empty_text``,
  ``empty_response``, ``chosen_equals_rejected``); rows in = kept + dropped;
- kept rows are counted per dataset next to the paper's composition table (``released.counts``: the final table by
  default, which the release matches) in ``COUNTS.md`` and the manifest; a dataset name the table does not list is
  counted under its own name;
- the manifest records the revisions trained on (``stats.released``): the recipe's pinned revision and, when the hub
  can be asked, the commit it resolves to.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any

from data_construction.export import dataset_info
from data_construction.release import RELEASES
from data_construction.selection import iter_rows
from data_construction.sources import RowError, UndecodableRow
from fusechat.depths import revision_shown
from fusechat.io import write_json, write_jsonl
from fusechat.run_layout import DPO_NAME, SFT_NAME
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult, atomic_write_text
from fusechat.tiny_world import settings_from

SHAREGPT_TO_ROLE = {"human": "user", "gpt": "assistant", "system": "system"}
#: names under which the released ``dataset`` column may spell a source of the paper's table (normalised)
ALIASES: dict[str, tuple[str, ...]] = {
    "ultrafeedback": ("UltraFeedback", "openbmb/UltraFeedback"),
    "magpie_pro_dpo": ("Magpie-Pro-DPO-100K-v0.1", "Magpie-Align/Magpie-Pro-DPO-100K-v0.1", "magpie_pro_dpo"),
    "helpsteer2": ("HelpSteer2", "nvidia/HelpSteer2"),
    "openmathinstruct2": ("OpenMathInstruct-2", "nvidia/OpenMathInstruct-2"),
    "leetcode": ("leetcode", "greengerong/leetcode"),
    "self_oss_instruct": ("self-oss-instruct-sc2-exec-filter-50k", "bigcode/self-oss-instruct-sc2-exec-filter-50k"),
    "alpaca_gpt4_zh": ("alpaca_gpt4_zh", "llamafactory/alpaca_gpt4_zh"),
    "magpie_qwen2_zh": ("Magpie-Qwen2-Pro-200K-Chinese", "Magpie-Align/Magpie-Qwen2-Pro-200K-Chinese"),
}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_BY_ALIAS = {_norm(a): key for key, names in ALIASES.items() for a in (key, *names)}


def source_key(dataset: str) -> str:
    """The paper-table source a released ``dataset`` value names (normalised spelling), else the value itself."""
    return _BY_ALIAS.get(_norm(dataset), dataset)


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RowError(f"wrong_type:{field}")
    if not value.strip():
        raise RowError("empty_text")
    return value


def _head(row: Any) -> tuple[str, str]:
    if isinstance(row, UndecodableRow):
        raise RowError("invalid_utf8")
    if not isinstance(row, dict):
        raise RowError("not_an_object")
    for field in ("dataset", "source_model"):
        if field not in row or row[field] is None:
            raise RowError(f"missing_field:{field}")
        if not isinstance(row[field], str):
            raise RowError(f"wrong_type:{field}")
    return row["dataset"], row["source_model"]


def map_released_sft(row: Any) -> dict[str, Any]:
    """A released SFT row -> ``{dataset, source_model, messages}`` (role/content), or ``RowError(reason)``."""
    dataset, model = _head(row)
    turns = row.get("conversations")
    if turns is None:
        raise RowError("missing_field:conversations")
    if not isinstance(turns, list) or not turns:
        raise RowError("wrong_type:conversations")
    messages = []
    for t in turns:
        if not isinstance(t, dict) or t.get("from") not in SHAREGPT_TO_ROLE:
            raise RowError("bad_turn")
        messages.append({"role": SHAREGPT_TO_ROLE[t["from"]], "content": _text(t.get("value"), "value")})
    if not any(m["role"] == "user" for m in messages):
        raise RowError("no_user_turn")
    if messages[-1]["role"] != "assistant":
        raise RowError("last_turn_not_assistant")
    return {"dataset": dataset, "source_model": model, "messages": messages}


def _response(value: Any, field: str) -> str:
    if value is None:
        raise RowError(f"missing_field:{field}")
    if isinstance(value, list):
        if not value:
            raise RowError("empty_response")
        if len(value) != 1 or not isinstance(value[0], dict) or value[0].get("role") != "assistant":
            raise RowError("bad_turn")
        value = value[0].get("content")
    try:
        return _text(value, field)
    except RowError as exc:
        raise RowError("empty_response" if str(exc) == "empty_text" else str(exc)) from None


def map_released_dpo(row: Any) -> dict[str, Any]:
    """A released DPO row -> ``{dataset, source_model, prompt, chosen, rejected}`` (texts), or ``RowError``."""
    dataset, model = _head(row)
    prompt = row.get("prompt")
    if prompt is None:
        raise RowError("missing_field:prompt")
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, list) or not prompt:
        raise RowError("wrong_type:prompt")
    messages = []
    for m in prompt:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise RowError("bad_turn")
        messages.append({"role": m["role"], "content": _text(m.get("content"), "content")})
    if messages[-1]["role"] != "user":
        raise RowError("no_user_turn")
    chosen, rejected = _response(row.get("chosen"), "chosen"), _response(row.get("rejected"), "rejected")
    if chosen == rejected:
        raise RowError("chosen_equals_rejected")
    return {"dataset": dataset, "source_model": model, "prompt": messages, "chosen": chosen, "rejected": rejected}


def read_release(ctx: StageContext, part: str) -> tuple[list[dict[str, Any]], Counts]:
    """Every row of one released set, checked (``part``: ``sft`` or ``dpo``)."""
    from fusechat.tiny_release import PREFIX, resolve_ref

    cfg = getattr(ctx.recipe.released, part)
    world = settings_from(ctx.recipe.world)
    path = resolve_ref(cfg.path, world) if cfg.path.startswith(PREFIX) else cfg.path
    mapper = map_released_sft if part == "sft" else map_released_dpo
    kept: list[dict[str, Any]] = []
    dropped: Counter[str] = Counter()
    n = 0
    for row in iter_rows(path, cfg.revision, cfg.split, world):
        n += 1
        try:
            kept.append(mapper(row))
        except RowError as exc:
            dropped[str(exc)] += 1
    if not kept:
        raise StageError(f"released.{part} ({cfg.path}): no usable rows ({n} read, dropped {dict(dropped)})")
    return kept, Counts(f"released {part} rows", n, len(kept), dict(dropped))


def resolved_revision(path: str, revision: str | None) -> str | None:
    """The commit a hub dataset's revision resolves to, when the hub can be asked; None offline or for files."""
    if path.startswith("tiny:") or path.count("/") != 1 or os.environ.get("HF_HUB_OFFLINE", "0") not in {"0", ""}:
        return None
    try:
        from huggingface_hub import HfApi

        return HfApi().dataset_info(path, revision=revision).sha
    except Exception:  # noqa: BLE001 - provenance only: the run already read the data
        return None


def count_table(sft: list[dict[str, Any]], dpo: list[dict[str, Any]], release: str
                ) -> dict[str, dict[str, int | None]]:
    """Kept rows per paper source next to the paper's SFT and DPO counts (None where the table has no row)."""
    n_sft = Counter(source_key(r["dataset"]) for r in sft)
    n_dpo = Counter(source_key(r["dataset"]) for r in dpo)
    table = RELEASES[release]
    keys = [*table, *sorted((n_sft.keys() | n_dpo.keys()) - table.keys())]
    return {k: {"sft": n_sft.get(k, 0), "dpo": n_dpo.get(k, 0),
                "paper_sft": table[k][0] if k in table else None,
                "paper_dpo": table[k][1] if k in table else None} for k in keys}


def render_counts(counts: dict[str, dict[str, int | None]], release: str, revisions: dict[str, Any]) -> str:
    """``COUNTS.md``: the released rows kept per source against the paper's table."""
    def cell(v: int | None) -> str:
        return "—" if v is None else f"{v:,}"

    def diff(a: int, b: int | None) -> str:
        return "—" if b is None else f"{a - b:+,}"

    lines = ["# Released FuseChat-3.0 data vs the paper's composition table", "",
             f"Paper table: `{release}` (data_construction/release.py). Released data: "
             + "; ".join(f"{k} `{v['path']}@{revision_shown(v['path'], v['revision'])}`"
                         + (f" (resolved {v['resolved']})" if v.get("resolved") else "") for k, v in revisions.items()),
             "", "| source | SFT kept | SFT paper | Δ | DPO kept | DPO paper | Δ |", "|---|---:|---:|---:|---:|---:|---:|"]
    for k, v in counts.items():
        lines.append(f"| {k} | {cell(v['sft'])} | {cell(v['paper_sft'])} | {diff(v['sft'], v['paper_sft'])} | "
                     f"{cell(v['dpo'])} | {cell(v['paper_dpo'])} | {diff(v['dpo'], v['paper_dpo'])} |")
    tot = {f: sum(v[f] or 0 for v in counts.values()) for f in ("sft", "dpo", "paper_sft", "paper_dpo")}
    lines.append(f"| **total** | {tot['sft']:,} | {tot['paper_sft']:,} | {tot['sft'] - tot['paper_sft']:+,} | "
                 f"{tot['dpo']:,} | {tot['paper_dpo']:,} | {tot['dpo'] - tot['paper_dpo']:+,} |")
    return "\n".join(lines) + "\n"


def _sharegpt(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    back = {v: k for k, v in SHAREGPT_TO_ROLE.items()}
    return [{"from": back[m["role"]], "value": m["content"]} for m in messages]


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    if recipe.released is None:
        raise StageError("release_data: the recipe has no released: section (run.depth released_data needs one)")
    sft, sft_counts = read_release(ctx, "sft")
    dpo, dpo_counts = read_release(ctx, "dpo")
    out = ctx.out_dir
    lf = out / "llamafactory"
    write_jsonl(({"conversations": _sharegpt(r["messages"])} for r in sft), lf / f"{SFT_NAME}.jsonl")
    write_jsonl(({"conversations": _sharegpt(r["prompt"]), "chosen": {"from": "gpt", "value": r["chosen"]},
                  "rejected": {"from": "gpt", "value": r["rejected"]}} for r in dpo), lf / f"{DPO_NAME}.jsonl")
    write_json(dataset_info(), lf / "dataset_info.json")
    write_jsonl(({"messages": r["messages"]} for r in sft), out / "trl" / "sft.jsonl")
    write_jsonl(({"prompt": r["prompt"], "chosen": [{"role": "assistant", "content": r["chosen"]}],
                  "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in dpo), out / "trl" / "dpo.jsonl")
    write_jsonl(({"dataset": r["dataset"], "source_model": r["source_model"], "conversations": _sharegpt(r["messages"])}
                 for r in sft), out / "fuseai" / "FuseChat-3.0-SFT-Data.jsonl")
    write_jsonl(({"dataset": r["dataset"], "source_model": r["source_model"], "prompt": r["prompt"],
                  "chosen": [{"role": "assistant", "content": r["chosen"]}],
                  "rejected": [{"role": "assistant", "content": r["rejected"]}]} for r in dpo),
                out / "fuseai" / "FuseChat-3.0-DPO-Data.jsonl")
    revisions = {part: {"path": getattr(recipe.released, part).path,
                        "revision": getattr(recipe.released, part).revision,
                        "resolved": resolved_revision(getattr(recipe.released, part).path,
                                                      getattr(recipe.released, part).revision)}
                 for part in ("sft", "dpo")}
    counts = count_table(sft, dpo, recipe.released.counts)
    atomic_write_text(out / "COUNTS.md", render_counts(counts, recipe.released.counts, revisions))
    return StageResult([sft_counts, dpo_counts], {"sft": len(sft), "dpo": len(dpo), "released": revisions,
                                                  "paper_table": recipe.released.counts, "by_source": counts})
