"""MBPP (EvalPlus' MBPP+ release, base tests shown) as FuseEval runs it; see ``_evalplus.py``.

Release parameter: v0.1.0 (399 tasks; evalplus 0.2.1's default and the file FuseEval ships; our default) or
v0.2.0 (378 tasks; evalplus 0.3.x removed broken tasks and notes "~4pp pass@1 improvement could be expected").
MBPP is CC-BY-4.0 (Google). FuseEval sets no MBPP-specific prompt: the task prompt (a docstring with the
description and one example assert) goes through the same chat prompt as HumanEval.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._code_synth import pick
from evaluation.tasks._evalplus import EvalPlusTask, fuseeval_copy, release_asset

#: Synthetic task numbers start here: evalplus deserialises the inputs of some real task numbers (< 810).
SYNTH_ID_BASE = 900


class MBPP(EvalPlusTask):
    id = "mbpp"
    version = "2"
    display = "MBPP"
    order = 13
    tolerance_why = "MBPP+ v0.1.0 (399) vs v0.2.0 (378) not pinned by FuseEval; base vs plus not stated"
    dataset = "mbpp"
    release_repo = "mbppplus_release"
    release_name = "MbppPlus"
    releases = {"v0.1.0": 399, "v0.2.0": 378}
    default_release = "v0.1.0"
    release_files = {
        # FuseEval's vendored file (sha256 of the blob in the tree at 5af2bad)
        "v0.1.0": fuseeval_copy("MbppPlus", "v0.1.0",
                                sha256="a855b9de667baea8e2f8aa61f898767a7336872208a85222b35622545e819fe9"),
        "v0.2.0": release_asset("mbppplus_release", "MbppPlus", "v0.2.0",
                                "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63"),
    }
    licence_note = "CC-BY-4.0 (MBPP); Apache-2.0 (EvalPlus tests)"

    @property
    def not_none_tasks(self) -> tuple[str, ...]:  # type: ignore[override]
        from evalplus.eval._special_oracle import MBPP_OUTPUT_NOT_NONE_TASKS

        return tuple(MBPP_OUTPUT_NOT_NONE_TASKS)

    def problem(self, item: dict[str, Any]) -> dict[str, Any]:
        """evalplus' ``get_mbpp_plus`` deserialisation of the inputs (by task number)."""
        from evalplus.data.mbpp import mbpp_deserialize_inputs

        return {**item, "base_input": mbpp_deserialize_inputs(item["task_id"], item["base_input"]),
                "plus_input": mbpp_deserialize_inputs(item["task_id"], item["plus_input"])}

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Problems in MBPP+'s jsonl schema (prompt = docstring with the description and one example assert)."""
        out = []
        for i, prob in pick(rng, n):
            call, res = prob.examples[0]
            tid = SYNTH_ID_BASE + i
            desc = f"Write a function {prob.name} that does the following: {prob.doc[0].lower()}{prob.doc[1:]}"
            test_list = [f"assert {call} == {res}"]
            code = prob.solution()
            out.append({
                "task_id": f"Mbpp/{tid}", "code": code, "prompt": f'"""\n{desc}\n{test_list[0]}\n"""\n',
                "source_file": "synthetic", "test_imports": [], "test_list": test_list,
                "test": "\n".join(test_list) + "\n", "entry_point": prob.name, "canonical_solution": code,
                "base_input": prob.base_inputs(rng), "plus_input": prob.plus_inputs(rng), "atol": prob.atol,
                "contract": "",
            })
        return out


TASK = MBPP()
