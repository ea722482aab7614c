"""Rule-based correctness (blog §Filtering):

- **Math**: the final answer of each response is checked against the gold ``expected_answer`` with math-verify
  (``fusechat.math_answers``: process pool, per-item timeout, verdict cache).
- **Code**: "passing both static and dynamic checks". Static: the response has a Python code block that parses,
  compiles, defines the entry point and uses no undefined names (``fusechat.code_tests.static_check``); dynamic:
  the prompt's tests (carried by the prompt record, derived at selection) run against it in the sandbox
  (``fusechat.sandbox``: own process session, rlimits, no network, throw-away work dir). Verdict ``passed`` or the
  sandbox's failure status; ``no_code`` / ``static_fail`` when the static check fails.
- Other domains: ``not_applicable``.

Grader failures are verdicts too: math ``error`` / ``timeout`` (math-verify failed or ran out of time) and the
sandbox's ``error`` (it could not judge: tests that do not parse, a worker that died). The build stage leaves them
out of both sides of a pair (``data.build.grader_failures``); a code ``timeout`` is the program's own failure.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pyarrow as pa
from tqdm import tqdm

from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from fusechat.io import read_parquet, write_parquet
from fusechat.math_answers import check_many
from fusechat.stage_runner import Counts, StageContext, StageResult

VERDICT_FILE = "verdicts.parquet"
VERDICT_SCHEMA = pa.schema([
    ("prompt_id", pa.string()), ("model", pa.string()), ("sample_index", pa.int32()),
    ("status", pa.string()), ("extracted", pa.string()),
])
SANDBOX_BATCH = 256


def static_verdict(text: str, entry_point: str | None) -> tuple[str | None, str | None]:
    """(failing status or None, extracted code) for one response under the static checks."""
    from fusechat.code_tests import extract_code, static_check

    code = extract_code(text)
    if code is None:
        return "no_code", None
    report = static_check(code, entry_point)
    if not report.parses:
        return "syntax_error", code
    return (None if report.ok else "static_fail"), code


def check_code(items: list[tuple[str, dict[str, Any]]], workers: int, timeout_s: float) -> list[str]:
    """Verdicts for (response text, prompt tests) pairs, in order."""
    from fusechat.sandbox import CodeJob, SandboxPool

    out: list[str | None] = [None] * len(items)
    jobs: list[tuple[int, Any]] = []
    for i, (text, tests) in enumerate(items):
        status, code = static_verdict(text, tests.get("entry_point"))
        if status is not None:
            out[i] = status
        else:
            jobs.append((i, CodeJob(program=code, tests=tests["tests"], timeout_s=timeout_s)))
    if jobs:
        with SandboxPool(workers=workers) as pool:
            for start in tqdm(range(0, len(jobs), SANDBOX_BATCH), desc="sandbox", unit="batch"):
                batch = jobs[start:start + SANDBOX_BATCH]
                for (i, _), res in zip(batch, pool.run_many([j for _, j in batch]), strict=True):
                    out[i] = res.status
    return [s or "error" for s in out]


def run(ctx: StageContext) -> StageResult:
    cfg = ctx.recipe.data.verification
    prompts = {p["id"]: p for p in read_parquet(ctx.input("select_prompts") / PROMPT_FILE,
                                                columns=["id", "domain", "gold_answer", "tests"])}
    responses = read_parquet(ctx.input("sample_responses") / RESPONSE_FILE,
                             columns=["prompt_id", "model", "sample_index", "text"])
    status: list[tuple[str, str | None]] = [("not_applicable", None)] * len(responses)
    math_idx = [i for i, r in enumerate(responses) if prompts[r["prompt_id"]]["domain"] == "math"]
    verdicts = check_many([(responses[i]["text"], prompts[responses[i]["prompt_id"]]["gold_answer"])
                           for i in math_idx], convention="boxed", workers=cfg.workers, timeout_s=cfg.math_timeout_s)
    for i, v in zip(math_idx, verdicts, strict=True):
        status[i] = (v.status, v.extracted)
    code_idx = [i for i, r in enumerate(responses) if prompts[r["prompt_id"]]["domain"] == "code"]
    tests = {pid: json.loads(p["tests"]) for pid, p in prompts.items() if p["domain"] == "code"}
    code_status = check_code([(responses[i]["text"], tests[responses[i]["prompt_id"]]) for i in code_idx],
                             cfg.workers, cfg.code_timeout_s)
    for i, s in zip(code_idx, code_status, strict=True):
        status[i] = (s, None)
    rows = [{"prompt_id": r["prompt_id"], "model": r["model"], "sample_index": r["sample_index"],
             "status": s, "extracted": e} for r, (s, e) in zip(responses, status, strict=True)]
    write_parquet(rows, ctx.out_dir / VERDICT_FILE, VERDICT_SCHEMA)
    return StageResult([Counts("responses", len(responses), len(rows))],
                       {"verdicts": dict(sorted(Counter(s for s, _ in status).items()))})
