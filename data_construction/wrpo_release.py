"""WRPO source responses loaded from the authors' release instead of sampled (``wrpo.source_responses: release``).

The WRPO authors published their ten source models' responses (README of https://github.com/SLIT-AI/WRPO, commit
e6f2867: "We provide source LLM responses in AALF/ultrafeedback_wrpo"). Neither that README nor anything we could
read documents the dataset's fields, so the columns are recipe keys (``wrpo.release.*``) whose defaults assume the
layout of the SimPO pipeline the authors say they followed (``princeton-nlp/llama3-ultrafeedback-armorm``): one row
per prompt with the prompt text in ``prompt`` and the responses in ``all_generated_responses``; no model column.
Released reward scores, if any, are not read: ArmoRM (``data.scoring``) scores every response as in the sampling
path, so both choices feed the same downstream stages.

This runs as the sampling stage (``sample_responses``) and writes the same ``responses.parquet``. Rules:

- the prompts are still those of the selection stage (``data.sources``, all its rules); each takes the responses
  of the release rows with the same conversation (whitespace and case normalised). Rows of one prompt accumulate,
  so a layout of one row per (prompt, model) works as well as one row per prompt;
- a selected prompt the release has no responses for is dropped (``no_released_responses``);
- a release row is read through the same loaders as every source (local file, ``tiny:``, or the hub at
  ``wrpo.release.revision``) and checked by ``sources.map_wrpo_release``: a bad row is a counted drop
  (``missing_field``, ``wrong_type``, ``no_responses`` …), a row whose prompt was not selected is counted as
  ``prompt_not_selected``; release rows in = matched + dropped;
- responses keep the release's order; ``sample_index`` counts per (prompt, model); ``finish_reason`` is
  ``release`` and token counts are null (nothing was generated here).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from data_construction.sampling import RESPONSE_FILE, RESPONSE_SCHEMA
from data_construction.selection import PROMPT_FILE, iter_rows, normalise
from data_construction.sources import RowError, map_wrpo_release
from fusechat.io import read_parquet, write_parquet
from fusechat.stage_runner import Counts, StageContext, StageResult
from fusechat.tiny_world import settings_from

ORIGIN = "release"


def conversation_key(messages: list[dict[str, str]]) -> str:
    """What makes two prompt conversations the same prompt: roles and normalised contents."""
    return json.dumps([[m["role"], normalise(m["content"])] for m in messages], ensure_ascii=False)


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    assert recipe.wrpo is not None
    cfg = recipe.wrpo.release
    if ctx.shard[1] > 1 or ctx.only_model is not None:  # nothing to split: the merging run reads the release
        return StageResult([Counts("chunks", 0, 0, additive=False)], {"source_responses": ORIGIN})
    prompts = read_parquet(ctx.input("select_prompts") / PROMPT_FILE, columns=["id", "messages"])
    by_key = {conversation_key(p["messages"]): p["id"] for p in prompts}
    found: dict[str, list[tuple[str, str]]] = {}
    dropped: Counter[str] = Counter()
    n_rows = 0
    for row in iter_rows(cfg.path, cfg.revision, cfg.split, settings_from(recipe.world)):
        n_rows += 1
        try:
            rec = map_wrpo_release(row, cfg.prompt_column, cfg.responses_column, cfg.model_column)
        except RowError as exc:
            dropped[str(exc)] += 1
            continue
        pid = by_key.get(conversation_key(rec["messages"]))
        if pid is None:
            dropped["prompt_not_selected"] += 1
            continue
        found.setdefault(pid, []).extend(rec["responses"])
    params = json.dumps({"origin": ORIGIN, "dataset": cfg.path, "revision": cfg.revision, "split": cfg.split},
                        sort_keys=True)
    rows: list[dict[str, Any]] = []
    for pid in sorted(found):
        index: Counter[str] = Counter()
        for model, text in found[pid]:
            rows.append({"prompt_id": pid, "model": model, "sample_index": index[model], "text": text,
                         "finish_reason": ORIGIN, "prompt_tokens": None, "completion_tokens": None, "seed": None,
                         "params": params})
            index[model] += 1
    rows.sort(key=lambda r: (r["prompt_id"], r["model"], r["sample_index"]))
    write_parquet(rows, ctx.out_dir / RESPONSE_FILE, RESPONSE_SCHEMA)
    missing = len(prompts) - len(found)
    per_model = Counter(r["model"] for r in rows)
    counts = [
        Counts("prompts", len(prompts), len(found), {"no_released_responses": missing} if missing else {}),
        Counts("release rows", n_rows, n_rows - sum(dropped.values()), dict(sorted(dropped.items()))),
        Counts("responses", len(prompts), len(rows), additive=False),
    ]
    stats = {"source_responses": ORIGIN, "release": {"path": cfg.path, "revision": cfg.revision, "split": cfg.split},
             "responses": len(rows), "per_model": {m: {"responses": n} for m, n in sorted(per_model.items())},
             "tokens": {"generations": 0, "input_tokens": 0, "output_tokens": 0}}
    return StageResult(counts, stats)
