"""The pipeline's stages in order: folder under the run directory, upstream inputs, recipe keys read.

One table for the whole pipeline, so the fingerprint chain (a changed key reruns that stage and every stage after
it) is visible in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fusechat.stage_runner import StageSpec

if TYPE_CHECKING:
    from fusechat.recipe import Recipe

_WORLD = ("world", "run.seed")
#: what the answers depend on (not the judge: changing eval.judge.concurrency must not regenerate answers)
_EVAL_GEN = ("eval.backend", "eval.max_new_tokens", "eval.batch_size", "eval.benchmarks", "eval.limit", "eval.tiny",
             "eval.families", "eval.data_dir", "eval.models", "eval.model_options")
#: what a judgment depends on (not concurrency, retries or the cache folder)
_EVAL_JUDGE = ("eval.judge.base_url", "eval.judge.model", "eval.judge.local", "eval.judge.local_reward_model",
               "eval.judge.local_reward_center", "eval.judge.local_reward_scale")

STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("select_prompts", "data/01_prompts", (), ("data.sources", "data.selection", "data.release",
                                                            "data.release_scale", "data.sampling.models",
                                                            "data.sampling.max_new_tokens", *_WORLD),
                  module="data_construction.selection"),
        StageSpec("sample_responses", "data/02_responses", ("select_prompts",), ("data.sampling", *_WORLD),
                  module="data_construction.sampling"),
        StageSpec("score_rewards", "data/03_scores", ("select_prompts", "sample_responses"), ("data.scoring", *_WORLD),
                  module="data_construction.scoring"),
        StageSpec("verify_answers", "data/04_verified", ("select_prompts", "sample_responses"), ("data.verification",),
                  module="data_construction.verification"),
        StageSpec(
            "build_sft_dpo", "data/05_build", ("select_prompts", "score_rewards", "verify_answers"),
            ("data.build", "data.release", "data.release_scale", "run.seed"), module="data_construction.build",
        ),
        StageSpec("export", "data/06_export", ("select_prompts", "sample_responses", "build_sft_dpo"), (),
                  module="data_construction.export"),
        StageSpec("sft", "train/01_sft", ("export",), ("sft", *_WORLD), module="training.sft"),
        StageSpec("dpo", "train/02_dpo", ("sft", "export"), ("dpo", "run.seed"), module="training.dpo"),
        StageSpec("eval_generate", "eval/01_generations", ("sft", "dpo"), (*_EVAL_GEN, *_WORLD),
                  module="evaluation.generate"),
        StageSpec("eval_score", "eval/02_scores", ("eval_generate",), ("eval.benchmarks", *_EVAL_JUDGE),
                  module="evaluation.score"),
        StageSpec("eval_tables", "eval/03_tables", ("eval_score",), ("run.smoke", "run.name", "eval.target_table"),
                  module="evaluation.tables"),
    ]
}

_WRPO = ("wrpo", "run.seed")

#: The WRPO pipeline (a recipe with a ``wrpo:`` section; arXiv 2412.03187): the same prompt, sampling, scoring and
#: SFT stages, then y_ws / split, the SFT model's own samples, the (y_ws, y_wt, y_l) triples, WRPO, the evaluation of
#: ``eval.models`` (FuseChat-3.0's ``eval_generate`` / ``eval_score``, same specs) and the WRPO table.
WRPO_STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("select_prompts", "data/01_prompts", (), ("data.sources", "data.selection", "data.release", *_WORLD),
                  module="data_construction.selection"),
        StageSpec("sample_responses", "data/02_responses", ("select_prompts",),
                  ("data.sampling", "wrpo.source_responses", "wrpo.release", *_WORLD),
                            module="data_construction.sampling"),
        StageSpec("score_rewards", "data/03_scores", ("select_prompts", "sample_responses"), ("data.scoring", *_WORLD),
                  module="data_construction.scoring"),
        StageSpec("wrpo_split", "data/05_wrpo_split", ("select_prompts", "sample_responses", "score_rewards"),
                  ("wrpo.sft_fraction", "run.seed"), module="data_construction.wrpo_split"),
        StageSpec("sft", "train/01_sft", ("wrpo_split",), ("sft", *_WORLD), module="training.sft"),
        StageSpec("wrpo_target", "data/07_wrpo_target", ("select_prompts", "wrpo_split", "sft"),
                  (*_WRPO, "sft.model", "data.scoring", "data.sampling.backend", *_WORLD),
                            module="data_construction.wrpo_target"),
        StageSpec("wrpo_build", "data/08_wrpo_build",
                  ("select_prompts", "sample_responses", "wrpo_split", "wrpo_target"), ("wrpo.pair_chosen",),
                            module="data_construction.wrpo_build"),
        StageSpec("dpo", "train/02_dpo", ("sft", "wrpo_build"), ("dpo", "wrpo", "sft.model", "run.seed", *_WORLD),
                  module="training.dpo"),
        STAGES["eval_generate"],
        STAGES["eval_score"],
        StageSpec("wrpo_report", "eval/wrpo_table", ("dpo", "eval_score"), ("run.smoke", "run.name"),
                  module="evaluation.wrpo_report"),
    ]
}


#: Depth 1 (``run.depth: released_models``, fusechat/depths.py): the published models of ``eval.models`` through the
#: evaluation harness and the paper table; nothing is built or trained, so generation has no upstream stage.
RELEASED_MODEL_STAGES: dict[str, StageSpec] = {
    "eval_generate": StageSpec("eval_generate", STAGES["eval_generate"].folder, (),
                               STAGES["eval_generate"].config_keys, module="evaluation.generate"),
    "eval_score": STAGES["eval_score"],
    "eval_tables": STAGES["eval_tables"],
}

#: Depth 2 (``run.depth: released_data``): the authors' released SFT/DPO data, checked and written in the export's
#: layout (``release_data``), then the same SFT, DPO and evaluation stages as the rebuild.
RELEASED_DATA_STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("release_data", "data/06_release", (), ("released", *_WORLD),
                  module="data_construction.release_data"),
        StageSpec("sft", "train/01_sft", ("release_data",), ("sft", *_WORLD), module="training.sft"),
        StageSpec("dpo", "train/02_dpo", ("sft", "release_data"), ("dpo", "run.seed"), module="training.dpo"),
        STAGES["eval_generate"],
        STAGES["eval_score"],
        STAGES["eval_tables"],
    ]
}


def stages_for(recipe: Recipe) -> dict[str, StageSpec]:
    """The stage table a recipe runs: WRPO's when it has a ``wrpo:`` section (depth 2 loads its released source
    responses in the sampling stage), else by ``run.depth``: depth 1 evaluation only, depth 2 from the released
    data, depth 3 FuseChat-3.0's whole pipeline."""
    if recipe.wrpo is not None:
        return WRPO_STAGES
    return {"released_models": RELEASED_MODEL_STAGES, "released_data": RELEASED_DATA_STAGES}.get(
        recipe.run.depth, STAGES)


#: What orchestration (plan, preflight, the rehearsal, compare, the tiny world) asks of the stages: hook name -> the
#: stage whose module (``StageSpec.module``) answers it with a public name of that module. The layers contract
#: (docs/architecture.md) keeps ``fusechat`` from importing a method package; orchestration asks here instead, and
#: tests/unit/test_layers.py checks that every hook resolves.
HOOKS: dict[str, str] = {
    "select_prompts": "select_prompts",  # plan: the prompts a recipe selects, when its sources are readable here
    "source_cap": "select_prompts",  # plan: a hub source's prompt cap, when it cannot be read offline
    "iter_rows": "select_prompts",  # the tiny release: the tiny world's source rows as the loader reads them
    "quotas_for": "build_sft_dpo",  # plan: the release table's SFT/DPO targets per source
    "LOSSES": "dpo",  # the rehearsal: which preference file a loss reads
    "selected_benchmarks": "eval_generate",  # plan, preflight: the (task, entry) pairs of eval.benchmarks
    "training_formats": "eval_generate",  # the tiny world: the evaluation prompt formats its models learn
    "infer_role": "eval_tables",  # compare: a reproduced model's role from its label
}


def stage_hook(name: str) -> Any:
    """The public name ``name`` of the module of the stage that answers it (``HOOKS``), imported on first use."""
    from importlib import import_module

    spec = STAGES[HOOKS[name]]
    return getattr(import_module(spec.module), name)
