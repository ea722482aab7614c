"""Rule-based correctness (blog §Filtering): math responses are checked against the gold ``expected_answer``
with math-verify (``fusechat.math_answers``). Code responses are checked in the sandbox (own issue; until it lands,
code verdicts are ``not_checked``). Other domains get ``not_applicable``.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa

from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from fusechat.io import read_parquet, write_parquet
from fusechat.math_answers import check_many
from fusechat.stage import Counts, StageContext, StageResult

VERDICT_FILE = "verdicts.parquet"
VERDICT_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("model", pa.string()), ("sample_index", pa.int32()),
    ("status", pa.string()), ("extracted", pa.string()),
])


def run(ctx: StageContext) -> StageResult:
    cfg = ctx.recipe.data.verification
    prompts = {p["id"]: p for p in read_parquet(ctx.input("select_prompts") / PROMPT_FILE,
                                                columns=["id", "domain", "gold_answer"])}
    responses = read_parquet(ctx.input("sample_responses") / RESPONSE_FILE,
                             columns=["prompt_id", "model", "sample_index", "text"])
    math_idx = [i for i, r in enumerate(responses) if prompts[r["prompt_id"]]["domain"] == "math"]
    verdicts = check_many([(responses[i]["text"], prompts[responses[i]["prompt_id"]]["gold_answer"])
                           for i in math_idx], convention="boxed", workers=cfg.workers, timeout_s=cfg.math_timeout_s)
    status: list[tuple[str, str | None]] = [
        ("not_checked", None) if prompts[r["prompt_id"]]["domain"] == "code" else ("not_applicable", None)
        for r in responses
    ]
    for i, v in zip(math_idx, verdicts, strict=True):
        status[i] = (v.status, v.extracted)
    rows = [{"prompt_id": r["prompt_id"], "model": r["model"], "sample_index": r["sample_index"],
             "status": s, "extracted": e} for r, (s, e) in zip(responses, status, strict=True)]
    write_parquet(rows, ctx.out_dir / VERDICT_FILE, VERDICT_SCHEMA)
    return StageResult([Counts("responses", len(responses), len(rows))],
                       {"verdicts": dict(sorted(Counter(s for s, _ in status).items()))})
