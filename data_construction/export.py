"""Exports of the built data (texts joined in here, streaming the response table batch by batch):

- LLaMA-Factory: ShareGPT JSONL (``conversations`` of ``{from: human|gpt, value}``), a ranking file for
  preference data, and the ``dataset_info.json`` that registers both (``formatting: sharegpt``).
- TRL: conversational preference format (``prompt``/``chosen``/``rejected`` message lists) and SFT ``messages``.
- The released FuseAI schema (docs/method.md, "Released data"): SFT ``dataset, source_model, conversations``;
  DPO ``dataset, source_model, prompt, chosen, rejected``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data_construction.build import DPO_FILE, SFT_FILE
from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from fusechat.io import read_parquet, write_json, write_jsonl
from fusechat.run_layout import DPO_NAME, SFT_NAME
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult, atomic_write_text

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


def _key(pid: str, model: str, idx: int) -> str:
    return f"{pid}\x1f{model}\x1f{idx}"


def fetch_texts(responses: Path, wanted: set[str], batch_size: int = 65536) -> dict[str, str]:
    """Texts of the wanted (prompt, model, sample) keys, streaming the response table in batches."""
    value_set = pa.array(sorted(wanted), pa.string())
    found: dict[str, str] = {}
    pf = pq.ParquetFile(responses)
    for batch in pf.iter_batches(batch_size=batch_size, columns=["prompt_id", "model", "sample_index", "text"]):
        keys = pc.binary_join_element_wise(batch.column(0), batch.column(1),
                                           pc.cast(batch.column(2), pa.string()), "\x1f")
        mask = pc.is_in(keys, value_set=value_set)
        if pc.any(mask).as_py():
            for k, t in zip(pc.filter(keys, mask).to_pylist(), pc.filter(batch.column(3), mask).to_pylist(),
                            strict=True):
                found[k] = t
    missing = wanted - found.keys()
    if missing:
        raise StageError(f"{responses}: {len(missing)} selected responses are missing, e.g. {sorted(missing)[0]!r}")
    return found


def run(ctx: StageContext) -> StageResult:
    build_dir = ctx.input("build_sft_dpo")
    out = ctx.out_dir
    sft = read_parquet(build_dir / SFT_FILE)
    dpo = read_parquet(build_dir / DPO_FILE)
    wanted = {_key(r["prompt_id"], r["source_model"], r["sample_index"]) for r in sft}
    wanted |= {_key(r["prompt_id"], r["source_model"], r["chosen_index"]) for r in dpo}
    wanted |= {_key(r["prompt_id"], r["rejected_model"], r["rejected_index"]) for r in dpo}
    texts = fetch_texts(ctx.input("sample_responses") / RESPONSE_FILE, wanted)
    used = {r["prompt_id"] for r in sft} | {r["prompt_id"] for r in dpo}
    prompts = {p["id"]: p["messages"] for p in read_parquet(ctx.input("select_prompts") / PROMPT_FILE,
                                                            columns=["id", "messages"]) if p["id"] in used}

    def sft_messages(r: dict[str, Any]) -> list[dict[str, str]]:
        answer = texts[_key(r["prompt_id"], r["source_model"], r["sample_index"])]
        return [*prompts[r["prompt_id"]], {"role": "assistant", "content": answer}]

    def pair(r: dict[str, Any]) -> tuple[str, str]:
        return (texts[_key(r["prompt_id"], r["source_model"], r["chosen_index"])],
                texts[_key(r["prompt_id"], r["rejected_model"], r["rejected_index"])])

    sft_rows = [(r, sft_messages(r)) for r in sft]
    dpo_rows = [(r, prompts[r["prompt_id"]], *pair(r)) for r in dpo]
    lf = out / "llamafactory"
    write_jsonl(({"conversations": sharegpt(m)} for _, m in sft_rows), lf / f"{SFT_NAME}.jsonl")
    write_jsonl(({"conversations": sharegpt(p), "chosen": {"from": "gpt", "value": c},
                  "rejected": {"from": "gpt", "value": rj}} for _, p, c, rj in dpo_rows), lf / f"{DPO_NAME}.jsonl")
    write_json(dataset_info(), lf / "dataset_info.json")
    write_jsonl(({"messages": m} for _, m in sft_rows), out / "trl" / "sft.jsonl")
    write_jsonl(({"prompt": p, "chosen": [{"role": "assistant", "content": c}],
                  "rejected": [{"role": "assistant", "content": rj}]} for _, p, c, rj in dpo_rows),
                out / "trl" / "dpo.jsonl")
    write_jsonl(({"dataset": r["source"], "source_model": r["source_model"], "conversations": sharegpt(m)}
                 for r, m in sft_rows), out / "fuseai" / "FuseChat-3.0-SFT-Data.jsonl")
    write_jsonl(({"dataset": r["source"], "source_model": r["source_model"], "prompt": p,
                  "chosen": [{"role": "assistant", "content": c}], "rejected": [{"role": "assistant", "content": rj}]}
                 for r, p, c, rj in dpo_rows), out / "fuseai" / "FuseChat-3.0-DPO-Data.jsonl")
    atomic_write_text(out / "DATASET_CARD.md", dataset_card(ctx, sft, dpo))
    return StageResult([Counts("sft rows", len(sft), len(sft)), Counts("dpo pairs", len(dpo), len(dpo))],
                       {"sft": len(sft), "dpo": len(dpo)})


def dataset_card(ctx: StageContext, sft: list[dict[str, Any]], dpo: list[dict[str, Any]]) -> str:
    """A dataset card: counts per source next to the release targets, the rules applied, sources and licences."""
    from collections import Counter

    from data_construction.release import quotas_for

    recipe = ctx.recipe
    build = recipe.data.build
    target = quotas_for(recipe.data.release, [s.name for s in recipe.data.sources], recipe.data.release_scale) or {}
    n_sft = Counter(r["source"] for r in sft)
    n_dpo = Counter(r["source"] for r in dpo)
    lines = [f"# FuseChat-3.0 data build: {recipe.run.name}", "",
             f"Release targets: `{recipe.data.release}`. Built by this repository's data_construction stages; "
             "every rule and number below comes from the run's recipe.", "",
             "| source | hub id / path | domain | SFT | DPO | target SFT | target DPO |", "|---|---|---|---:|---:|---:|---:|"]
    for src in recipe.data.sources:
        t = target.get(src.name)
        lines.append(f"| {src.name} | {src.path} | {src.domain} | {n_sft.get(src.name, 0)} | {n_dpo.get(src.name, 0)} | "
                     f"{t[0] if t else '—'} | {t[1] if t else '—'} |")
    lines.append(f"| **total** | | | {len(sft)} | {len(dpo)} | "
                 f"{sum(v[0] for v in target.values()) if target else '—'} | "
                 f"{sum(v[1] for v in target.values()) if target else '—'} |")
    build_stats = _build_stats(ctx)
    for src, rows in sorted(build_stats.get("shortfall", {}).items()):
        for split, info in sorted(rows.items()):
            lines.append(f"\n**Shortfall** {src} {split}: {info['got']} of {info['wanted']} ({info['reason']}).")
    if build_stats.get("prompts_in_sft_and_dpo"):
        lines.append(f"\n{build_stats['prompts_in_sft_and_dpo']} prompts give both an SFT row and a DPO pair "
                     "(shared code prompts).")
    models = ", ".join(f"{m.name} (T {m.temperature}, top-p {m.top_p}, rep {m.repetition_penalty})"
                       for m in recipe.data.sampling.models)
    lines += ["", "## Rules", "", *_split_rule(recipe),
              f"- DPO pairs come from one source model (its best vs its worst response) with an RM gap in "
              f"[{build.rm_gap_min}, {build.rm_gap_max}]; when several models qualify: `{build.pair_choice}`.",
              "- Math: chosen must be correct and rejected incorrect against the gold answer; the rest go to SFT "
              "with their best correct response. The dataset's Llama-3.1-405B solution (one response) can only "
              "serve SFT.", *_code_rules(build),
              f"- Grader failures (math grader error or timeout, sandbox error): `{build.grader_failures}`"
              + (" (neither side of a pair; counted in the build manifest)." if build.grader_failures == "neither"
                 else " (counted as incorrect)."),
              "- Chinese: SFT only.",
              f"- Reward model: {recipe.data.scoring.model}. Source models: {models}.", "",
              "## Licences", "",
              "Each source dataset keeps its own licence (see the hub cards and docs/sources.md); model "
              "outputs follow the source models' terms. Check both before redistributing this build."]
    return "\n".join(lines) + "\n"


def _build_stats(ctx: StageContext) -> dict[str, Any]:
    """The build stage's manifest stats (shortfalls, shared prompts); empty when unreadable."""
    import json

    from fusechat.stage_runner import MANIFEST

    try:
        return json.loads((ctx.input("build_sft_dpo") / MANIFEST).read_text(encoding="utf-8")).get("stats", {})
    except (OSError, ValueError):
        return {}


def _split_rule(recipe: Any) -> list[str]:
    """How SFT and DPO prompts were split: the 4:6 rule, or the release targets (which do not use ``sft_ratio``)."""
    build = recipe.data.build
    if recipe.data.release == "none":
        return [f"- Instruction prompts split {build.sft_ratio:.0%} SFT / {1 - build.sft_ratio:.0%} DPO; SFT takes "
                "the highest-RM response across source models."]
    return [f"- Release targets `{recipe.data.release}` fix each source's SFT and DPO counts (the published table, "
            "whose instruction rows are 4:6 themselves): prompts with a qualifying pair fill DPO first, in a seeded "
            "order, then SFT takes the remaining prompts; `data.build.sft_ratio` is not used. SFT takes the "
            "highest-RM response across source models."]


def _code_rules(build: Any) -> list[str]:
    """The code rules as built, and which reading can reach the published LeetCode count."""
    if build.code_scoring == "dual":
        score = (f"dual scoring: RM + {build.code_static_points:g} for passing the static checks + "
                 f"{build.code_test_points:g} for passing the tests")
    else:
        score = "gate only: a pass decides the side, the RM score alone ranks"
    window = (f"RM gap in [{build.rm_gap_min}, {build.rm_gap_max}]" if build.code_rm_window
              else "no RM-gap window")
    scope = "one source model" if build.code_same_model else "any source models"
    lines = [f"- Code ({score}): SFT takes the highest-RM response that passed all tests; DPO pairs the "
             f"highest-scoring passing response with the lowest-scoring failing one ({scope}, {window}); prompts "
             "where every response fails are dropped."]
    if build.code_prompts == "shared":
        lines.append("- Code prompts are `shared`: a prompt may give both an SFT row and a DPO pair (under release "
                     "targets, SFT reuses DPO prompts only once the other prompts run out). This is the only reading "
                     "that reaches the published LeetCode row (1,877 SFT + 1,236 DPO = 3,113 entries) from "
                     "greengerong/leetcode's ~2,360 problems.")
    else:
        lines.append("- Code prompts are `disjoint`: each prompt gives an SFT row or a DPO pair. greengerong/leetcode "
                     "has ~2,360 problems, fewer than the published LeetCode row's 3,113 entries, so that row "
                     "cannot be reached (see the shortfall in the build manifest).")
    return lines
