"""HumanEval (EvalPlus' HumanEval+ release, base tests shown) as FuseEval runs it; see ``_evalplus.py``.

164 problems (openai/human-eval, MIT; EvalPlus' added tests Apache-2.0). Release parameter: v0.1.9 (evalplus
0.2.1, FuseEval's pin; default) or v0.1.10 (evalplus 0.3.x). Note that evalplus 0.3.1's own
``get_human_eval_plus(version=...)`` ignores the version (it always resolves v0.1.10), which is why the release
file is fetched by URL here rather than through that function. v0.1.9 is FuseEval's vendored copy (checked by
its git blob id), v0.1.10 evalplus' release asset (sha256).
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._code_synth import pick
from evaluation.tasks._evalplus import EvalPlusTask, fuseeval_copy, release_asset


class HumanEval(EvalPlusTask):
    id = "humaneval"
    version = "2"
    display = "HumanEval"
    order = 12
    tolerance_why = "164 problems (0.6 points each); base vs plus tests not stated by the paper"
    dataset = "humaneval"
    release_repo = "humanevalplus_release"
    release_name = "HumanEvalPlus"
    releases = {"v0.1.9": 164, "v0.1.10": 164}
    default_release = "v0.1.9"
    release_files = {
        # FuseEval's vendored file: git blob id from the tree at 5af2bad (``git ls-tree``)
        "v0.1.9": fuseeval_copy("HumanEvalPlus", "v0.1.9", git_blob="b56d7b9d6b16b3b94f9c08702f8409b16f836704"),
        "v0.1.10": release_asset("humanevalplus_release", "HumanEvalPlus", "v0.1.10",
                                 "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101"),
    }
    licence_note = "MIT (HumanEval); Apache-2.0 (EvalPlus tests)"

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Function-completion problems in HumanEval+'s jsonl schema (prompt = signature + docstring)."""
        out = []
        for i, prob in pick(rng, n):
            examples = "".join(f"    >>> {call}\n    {res}\n" for call, res in prob.examples)
            prompt = f'{prob.imports}\n\n{prob.signature()}\n    """ {prob.doc}\n{examples}    """\n'
            out.append({
                "task_id": f"HumanEval/{i}", "prompt": prompt, "entry_point": prob.name,
                "canonical_solution": prob.body, "base_input": prob.base_inputs(rng),
                "plus_input": prob.plus_inputs(rng), "atol": prob.atol, "contract": "",
            })
        return out


TASK = HumanEval()
