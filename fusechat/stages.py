"""The pipeline's stages in order: folder under the run directory, upstream inputs, recipe keys read.

One table for the whole pipeline, so the fingerprint chain (a changed key reruns that stage and every stage after
it) is visible in one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fusechat.stage import StageSpec

if TYPE_CHECKING:
    from fusechat.recipe import Recipe

_WORLD = ("world", "run.seed")
#: what the answers depend on (not the judge: changing eval.judge.concurrency must not regenerate answers)
_EVAL_GEN = ("eval.backend", "eval.max_new_tokens", "eval.batch_size", "eval.benchmarks", "eval.limit", "eval.tiny",
             "eval.families", "eval.data_dir", "eval.models")
#: what a judgment depends on (not concurrency, retries or the cache folder)
_EVAL_JUDGE = ("eval.judge.base_url", "eval.judge.model", "eval.judge.local", "eval.judge.local_reward_model",
               "eval.judge.local_reward_center", "eval.judge.local_reward_scale")

STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("select_prompts", "data/01_prompts", (), ("data.sources", "data.selection", "data.release",
                                                            "data.release_scale", "data.sampling.models",
                                                            "data.sampling.max_new_tokens", *_WORLD)),
        StageSpec("sample_responses", "data/02_responses", ("select_prompts",), ("data.sampling", *_WORLD)),
        StageSpec("score_rewards", "data/03_scores", ("select_prompts", "sample_responses"), ("data.scoring", *_WORLD)),
        StageSpec("verify_answers", "data/04_verified", ("select_prompts", "sample_responses"), ("data.verification",)),
        StageSpec(
            "build_sft_dpo", "data/05_build", ("select_prompts", "score_rewards", "verify_answers"),
            ("data.build", "data.release", "data.release_scale", "run.seed"),
        ),
        StageSpec("export", "data/06_export", ("select_prompts", "sample_responses", "build_sft_dpo"), ()),
        StageSpec("sft", "train/01_sft", ("export",), ("sft", *_WORLD)),
        StageSpec("dpo", "train/02_dpo", ("sft", "export"), ("dpo", "run.seed")),
        StageSpec("eval_generate", "eval/01_generations", ("sft", "dpo"), (*_EVAL_GEN, *_WORLD)),
        StageSpec("eval_score", "eval/02_scores", ("eval_generate",), ("eval.benchmarks", *_EVAL_JUDGE)),
        StageSpec("eval_tables", "eval/03_tables", ("eval_score",), ("run.smoke", "run.name", "eval.target_table")),
    ]
}

_WRPO = ("wrpo", "run.seed")

#: The WRPO pipeline (a recipe with a ``wrpo:`` section; arXiv 2412.03187): the same prompt, sampling, scoring and
#: SFT stages, then y_ws / split, the SFT model's own samples, the (y_ws, y_wt, y_l) triples, WRPO, the evaluation of
#: ``eval.models`` (FuseChat-3.0's ``eval_generate`` / ``eval_score``, same specs) and the WRPO table.
WRPO_STAGES: dict[str, StageSpec] = {
    s.name: s
    for s in [
        StageSpec("select_prompts", "data/01_prompts", (), ("data.sources", "data.selection", "data.release", *_WORLD)),
        StageSpec("sample_responses", "data/02_responses", ("select_prompts",),
                  ("data.sampling", "wrpo.source_responses", "wrpo.release", *_WORLD)),
        StageSpec("score_rewards", "data/03_scores", ("select_prompts", "sample_responses"), ("data.scoring", *_WORLD)),
        StageSpec("wrpo_split", "data/05_wrpo_split", ("select_prompts", "sample_responses", "score_rewards"),
                  ("wrpo.sft_fraction", "run.seed")),
        StageSpec("sft", "train/01_sft", ("wrpo_split",), ("sft", *_WORLD)),
        StageSpec("wrpo_target", "data/07_wrpo_target", ("select_prompts", "wrpo_split", "sft"),
                  (*_WRPO, "sft.model", "data.scoring", "data.sampling.backend", *_WORLD)),
        StageSpec("wrpo_build", "data/08_wrpo_build",
                  ("select_prompts", "sample_responses", "wrpo_split", "wrpo_target"), ("wrpo.pair_chosen",)),
        StageSpec("dpo", "train/02_dpo", ("sft", "wrpo_build"), ("dpo", "wrpo", "sft.model", "run.seed", *_WORLD)),
        STAGES["eval_generate"],
        STAGES["eval_score"],
        StageSpec("wrpo_report", "eval/wrpo_table", ("dpo", "eval_score"), ("run.smoke", "run.name")),
    ]
}


def stages_for(recipe: Recipe) -> dict[str, StageSpec]:
    """The stage table a recipe runs: WRPO's when it has a ``wrpo:`` section, FuseChat-3.0's otherwise."""
    return WRPO_STAGES if recipe.wrpo is not None else STAGES
