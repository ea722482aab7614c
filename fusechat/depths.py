"""The three depths at which this repository checks the paper (README, "Three ways to check the paper").

- ``released_models`` (depth 1): the authors' released models (and the public baselines of each table) through this
  evaluation harness; no training. Does the harness reproduce the paper's numbers for the paper's own models?
- ``released_data`` (depth 2): SFT, then the paper's preference loss, on the authors' released training data
  (``FuseAI/FuseChat-3.0-SFT-Data`` / ``-DPO-Data``; WRPO: its released source responses), then the evaluation.
  Isolates training from data construction.
- ``rebuild`` (depth 3): the whole method, data construction included (the target recipes).

A recipe names its depth in ``run.depth``; the stage table (``fusechat.stage_table.stages_for``), the plan, preflight,
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


TINY_RELEASE_REVISION = "tiny"  # the tiny world's stand-in releases (fusechat/tiny_release.py) have this revision


def revision_shown(path: str, revision: str | None) -> str:
    """A released set's revision as tables show it: the pinned one, ``newest`` when unpinned, ``tiny`` for the
    tiny world's stand-ins."""
    if path.startswith("tiny:"):
        return TINY_RELEASE_REVISION
    return revision or "newest"


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
        rev = TINY_RELEASE_REVISION if ref.startswith("tiny:released/") else split_revision(ref)[1]
        return {"depth": depth, "revision": rev}
    if depth == "released_data":
        return {"depth": depth, "revision": data_revision(recipe)}
    return {"depth": depth, "revision": None}


def data_revision(recipe: Any) -> str:
    """One line naming the released data (and revisions) a depth-2 run trains on: ``path@revision`` per set, a
    40-hex sha shortened to 12, ``newest`` where unpinned, ``tiny`` for the tiny world's stand-ins."""
    if recipe.wrpo is not None:
        rel = recipe.wrpo.release
        return f"{rel.path}@{_short(revision_shown(rel.path, rel.revision))}"
    rel = recipe.released
    if rel is None:
        return "unknown"
    return ", ".join(f"{r.path}@{_short(revision_shown(r.path, r.revision))}" for r in (rel.sft, rel.dpo))


def _short(rev: str) -> str:
    return rev[:12] if len(rev) == 40 and all(c in "0123456789abcdef" for c in rev) else rev


def column_tag(metrics: dict[str, Any]) -> str:
    """Where a reproduced column's number came from, shown after its label: ``depth 1: released model @<sha12>``,
    ``depth 2: trained here on the released data (<data@rev, …>)``, ``depth 3: rebuilt here``; '' for a metrics
    file that names no depth (written before depths existed)."""
    depth = metrics.get("depth")
    if depth not in DEPTH_LABELS:
        return ""
    rev = metrics.get("revision")
    tag = f"depth {DEPTH_NUMBER[depth]}: {DEPTH_LABELS[depth]}"
    if not rev:
        return tag
    return f"{tag} @{_short(rev)}" if depth == "released_models" else f"{tag} ({rev})"
