"""The three depths at which this repository checks the paper (README, "Three ways to check the paper").

- ``released_models`` (depth 1): the authors' released models (and the public baselines of each table) through this
  evaluation harness; no training. Does the harness reproduce the paper's numbers for the paper's own models?
- ``released_data`` (depth 2): SFT, then the paper's preference loss, on the authors' released training data
  (``FuseAI/FuseChat-3.0-SFT-Data`` / ``-DPO-Data``; WRPO: its released source responses), then the evaluation.
  Isolates training from data construction.
- ``rebuild`` (depth 3): the whole method, data construction included (the target recipes).

A recipe names its depth in ``run.depth``; the stage table (``fusechat.stages.stages_for``), the plan, preflight,
the metrics files (``depth``, ``revision``) and the tables' column labels follow it. A model reference may pin a
hub revision as ``owner/name@<revision>`` (resolved by ``huggingface_hub.snapshot_download``).
"""

from __future__ import annotations

from typing import Any, Literal

Depth = Literal["released_models", "released_data", "rebuild"]
DEPTHS: tuple[str, ...] = ("released_models", "released_data", "rebuild")
#: what a table column says about where its number came from
DEPTH_LABELS: dict[str, str] = {
    "released_models": "released model",
    "released_data": "trained here on the released data",
    "rebuild": "rebuilt here",
}
DEPTH_NUMBER = {"released_models": 1, "released_data": 2, "rebuild": 3}


def split_revision(ref: str) -> tuple[str, str | None]:
    """``owner/name@rev`` -> (``owner/name``, ``rev``); a run reference (``@sft``), a path or ``tiny:`` id without a
    revision -> (ref, None)."""
    if ref.startswith("@") or "@" not in ref:
        return ref, None
    repo, rev = ref.rsplit("@", 1)
    return repo, (rev or None)


def model_depth(run_depth: str, ref: str) -> str:
    """The depth of one evaluated column: a run reference (``@sft`` / ``@dpo``) was trained by this run at the run's
    depth; any other model (hub id, local path, ``tiny:`` id) is a released model evaluated as published."""
    return run_depth if ref.startswith("@") else "released_models"


def provenance(recipe: Any, ref: str) -> dict[str, Any]:
    """``{"depth", "revision"}`` of one evaluated column: the model's pinned hub revision (depth 1), the released
    data's revisions it was trained on (depth 2: ``sft=<rev>, dpo=<rev>``; WRPO: the release's), or null (depth 3:
    built here, see the run's manifests for the git commit)."""
    depth = model_depth(recipe.run.depth, ref)
    if depth == "released_models":
        return {"depth": depth, "revision": split_revision(ref)[1]}
    if depth == "released_data":
        return {"depth": depth, "revision": data_revision(recipe)}
    return {"depth": depth, "revision": None}


def data_revision(recipe: Any) -> str:
    """One line naming the released data (and revisions) a depth-2 run trains on."""
    if recipe.wrpo is not None:
        rel = recipe.wrpo.release
        return f"{rel.path}@{rel.revision or 'newest'}"
    rel = recipe.released
    return (f"{rel.sft.path}@{rel.sft.revision or 'newest'}, {rel.dpo.path}@{rel.dpo.revision or 'newest'}"
            if rel is not None else "unknown")


def column_tag(metrics: dict[str, Any]) -> str:
    """The provenance shown after a reproduced column's label: ``released model @1a2b3c4d5e6f`` etc.; '' for a
    metrics file that names no depth (written before depths existed)."""
    depth = metrics.get("depth")
    if depth not in DEPTH_LABELS:
        return ""
    rev = metrics.get("revision")
    if rev and len(rev) == 40 and all(c in "0123456789abcdef" for c in rev):
        rev = rev[:12]
    return f"depth {DEPTH_NUMBER[depth]}: {DEPTH_LABELS[depth]}" + (f" @{rev}" if rev else "")
