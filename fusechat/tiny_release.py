"""The tiny world's stand-ins for the authors' releases (``tiny:released/<name>``), so depth-1 and depth-2 recipes
have CPU smoke versions (README, "Three ways to check the paper").

Derived at run time from the built tiny world (``fusechat.tiny_world``), never committed, cached under
``$FUSECHAT_CACHE/tiny_release/<world key>/`` (built once under a file lock, written to a temporary folder and
renamed), so the tiny world's own content key is unchanged:

- models: ``FuseChat-Llama-3.1-8B-SFT`` is a copy of the tiny target (``Llama-3.1-8B-Instruct``),
  ``FuseChat-Llama-3.1-8B-Instruct`` a copy of the tiny ``Llama-3.1-70B-Instruct`` (same chat family, stronger
  answers), each with a ``release.json`` naming what it was copied from;
- data: ``FuseChat-3.0-SFT-Data`` / ``FuseChat-3.0-DPO-Data`` in the released schema (docs/method.md): SFT rows
  ``dataset, source_model, conversations``; DPO rows ``dataset, source_model, prompt, chosen, rejected``. Built from
  the tiny sources' shipped responses: UltraFeedback prompts with their two completions (the first 40% of the
  prompts give SFT rows with the higher-rated completion, the rest DPO pairs higher vs lower), OpenMathInstruct-2
  problems with their solutions and alpaca_gpt4_zh rows (SFT only). Source-model names cycle through the tiny
  source models. Two malformed rows (an SFT row without ``conversations``, a DPO row with an empty ``chosen``) are
  appended on purpose, so the depth-2 loader's named drops are exercised.

Model references with a pinned hub revision (``owner/name@<sha>``) resolve through ``huggingface_hub``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from fusechat.depths import TINY_RELEASE_REVISION, split_revision
from fusechat.stage_table import stage_hook
from fusechat.tiny_world import TinyWorldSettings, ensure_world, resolve
from fusechat.tiny_world.build import SOURCE_MODELS, _lock, cache_root, world_key

PREFIX = "tiny:released/"
MODELS = {"FuseChat-Llama-3.1-8B-SFT": "Llama-3.1-8B-Instruct",
          "FuseChat-Llama-3.1-8B-Instruct": "Llama-3.1-70B-Instruct"}
DATA = {"FuseChat-3.0-SFT-Data": "data/FuseChat-3.0-SFT-Data.jsonl",
        "FuseChat-3.0-DPO-Data": "data/FuseChat-3.0-DPO-Data.jsonl"}
SFT_SHARE = 0.4  # blog: instruction prompts split 4:6 SFT:DPO
#: the tiny release's revision, as a hub commit would be recorded
REVISION = TINY_RELEASE_REVISION


def release_root(settings: TinyWorldSettings | None = None) -> Path:
    """The folder of the tiny release for a tiny world (built on first use)."""
    settings = settings or TinyWorldSettings()
    world = ensure_world(settings)
    root = cache_root().parent / "tiny_release" / world_key(settings)
    if (root / "release.json").exists():
        return root
    with _lock(root.parent / ".lock"):
        if (root / "release.json").exists():
            return root
        tmp = root.with_name(root.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        for name, origin in MODELS.items():
            shutil.copytree(world / "models" / origin, tmp / "models" / name)
            (tmp / "models" / name / "release.json").write_text(json.dumps(
                {"stand_in_for": f"FuseAI/{name}", "copied_from": f"tiny:{origin}", "revision": REVISION}))
        sft, dpo = released_rows(settings)
        for key, rows in (("FuseChat-3.0-SFT-Data", sft), ("FuseChat-3.0-DPO-Data", dpo)):
            path = tmp / DATA[key]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        (tmp / "release.json").write_text(json.dumps({"world": world.name, "models": sorted(MODELS),
                                                      "data": DATA, "revision": REVISION}, indent=2))
        os.replace(tmp, root)
    return root


def released_rows(settings: TinyWorldSettings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tiny SFT and DPO releases (module doc), from the tiny world's source rows."""
    iter_rows = stage_hook("iter_rows")

    names = list(SOURCE_MODELS)
    sft: list[dict[str, Any]] = []
    dpo: list[dict[str, Any]] = []

    def model(i: int) -> str:
        return names[i % len(names)]

    uf = list(iter_rows("tiny:ultrafeedback", None, "train", settings))
    n_sft = round(len(uf) * SFT_SHARE)
    for i, row in enumerate(uf):
        ranked = sorted(row["completions"], key=lambda c: -float(c["overall_score"]))
        user = {"from": "human", "value": row["instruction"]}
        if i < n_sft:
            sft.append({"dataset": "ultrafeedback", "source_model": model(i),
                        "conversations": [user, {"from": "gpt", "value": ranked[0]["response"]}]})
        else:
            dpo.append({"dataset": "ultrafeedback", "source_model": model(i),
                        "prompt": [{"role": "user", "content": row["instruction"]}],
                        "chosen": [{"role": "assistant", "content": ranked[0]["response"]}],
                        "rejected": [{"role": "assistant", "content": ranked[-1]["response"]}]})
    for row in iter_rows("tiny:openmathinstruct2", None, "train", settings):
        sft.append({"dataset": "openmathinstruct2", "source_model": "Llama-3.1-405B-Instruct",
                    "conversations": [{"from": "human", "value": row["problem"]},
                                      {"from": "gpt", "value": row["generated_solution"]}]})
    for row in iter_rows("tiny:alpaca_gpt4_zh", None, "train", settings):
        sft.append({"dataset": "alpaca_gpt4_zh", "source_model": "Qwen2.5-72B-Instruct",
                    "conversations": [{"from": "human", "value": row["instruction"]},
                                      {"from": "gpt", "value": row["output"]}]})
    sft.append({"dataset": "ultrafeedback", "source_model": model(0)})  # malformed on purpose: no conversations
    dpo.append({**dpo[0], "chosen": []})  # malformed on purpose: an empty chosen response
    return sft, dpo


def resolve_ref(ref: str, settings: TinyWorldSettings | None = None) -> str:
    """A model or data reference as a loadable path or hub id: ``tiny:released/<name>`` (this module), other
    ``tiny:`` ids (the tiny world), ``owner/name@<revision>`` (downloaded at that revision into the hub cache;
    offline, the cached copy), anything else unchanged."""
    if ref.startswith(PREFIX):
        name = ref[len(PREFIX):]
        root = release_root(settings)
        if name in MODELS:
            return str(root / "models" / name)
        if name in DATA:
            return str(root / DATA[name])
        raise KeyError(f"unknown tiny release {ref!r}; known: {', '.join(f'{PREFIX}{n}' for n in [*MODELS, *DATA])}")
    if ref.startswith("tiny:"):
        return resolve(ref, settings)
    repo, rev = split_revision(ref)
    if rev is None:
        return ref
    from huggingface_hub import snapshot_download

    return snapshot_download(repo, revision=rev)
