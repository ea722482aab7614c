"""LiveBench coding category: ``LCB_generation`` and ``coding_completion``, run in the sandbox.

Rule (https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/coding/utils.py, same in
FuseEval 5af2bad): take the code between the first two lines that contain a fence (LiveCodeBench's
``extract_code`` for chat models; no fences -> empty program); for a completion question (non-empty
``partial_solution``) the program is ``partial_solution + "\\n" + extracted``; the tests are the public then the
private cases (private ones may be base64+zlib+pickle packed), call-based when the problem's
``original_json.metadata`` names a ``func_name``, stdin otherwise; 6 s per test; the question scores 1 only if
every test passes (pass@1 of one greedy sample).

LiveBench runs these through its vendored LiveCodeBench ``testing_util``, which is byte-identical to the copy
FuseEval uses for LiveCodeBench; we therefore reuse this repository's LiveCodeBench runner
(``evaluation.code_exec``: LCB's program rewrite and output comparison as a sandbox test suite), so every
model-written program runs only in ``fusechat.sandbox``. Environment parity matters: LiveBench's graders run
solutions with the grading interpreter's packages, so a missing package (numpy, sortedcontainers, ...) turns a
correct program into a failure; the sandbox interpreter's packages are part of the protocol.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from evaluation.code_exec import (
    LCB_TIMEOUT_S,
    decode_lcb_tests,
    lcb_extract_code,
    lcb_job,
    run_jobs,
    sandbox_pool,
)
from fusechat.sandbox import CodeJob

TASKS = ("LCB_generation", "coding_completion")


def program_for(question: dict[str, Any], response: str) -> str:
    """The program LiveBench runs for ``response``: the first fenced block, after the question's
    ``partial_solution`` when it has one."""
    code = lcb_extract_code(response)
    partial = question.get("partial_solution")
    if partial:
        code = partial + "\n" + code
    return code


def func_name(question: dict[str, Any]) -> str | None:
    """``func_name`` from ``original_json.metadata`` (a JSON string); None for stdin problems."""
    meta = (question.get("original_json") or {}).get("metadata") or "{}"
    meta = json.loads(meta) if isinstance(meta, str) else meta
    return meta.get("func_name") or None


def test_cases(question: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(inputs, outputs) of the public then the private cases."""
    tests = decode_lcb_tests(question["public_test_cases"]) + decode_lcb_tests(question["private_test_cases"])
    if not tests:
        raise ValueError(f"livebench coding question {question.get('question_id')}: no test cases")
    return [t.input for t in tests], [t.output for t in tests]


def job_for(question: dict[str, Any], response: str, timeout_s: int = LCB_TIMEOUT_S) -> CodeJob:
    """The sandbox job that checks ``response`` against every test of ``question``."""
    inputs, outputs = test_cases(question)
    return lcb_job(program_for(question, response), inputs, outputs, func_name(question), timeout_s)


def score_batch(questions: Sequence[dict[str, Any]], responses: Sequence[str],
                resources: dict[str, Any]) -> list[tuple[float, dict[str, Any]]]:
    """(score, detail) per question; all programs go through one sandbox pool (``resources["sandbox"]``).
    An empty program (no fenced code and no partial solution) is not run -- it cannot pass -- and scores 0; a
    completion question without fenced code still runs its partial solution alone, as upstream does."""
    jobs: list[CodeJob] = []
    index: list[int] = []
    out: list[tuple[float, dict[str, Any]]] = [(0.0, {"status": "no code"}) for _ in questions]
    for i, (q, r) in enumerate(zip(questions, responses, strict=True)):
        if not program_for(q, r).strip():
            continue
        jobs.append(job_for(q, r))
        index.append(i)
    if jobs:
        results = run_jobs(sandbox_pool(resources), jobs)
        for i, res in zip(index, results, strict=True):
            out[i] = (1.0 if res.passed else 0.0, {"status": res.status})
    return out
