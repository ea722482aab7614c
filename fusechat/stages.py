"""The pipeline's stages in order: folder under the run directory, upstream inputs, recipe keys read.

One table for the whole pipeline, so the fingerprint chain (a changed key reruns that stage and every stage after
it) is visible in one place.
"""

from __future__ import annotations

from fusechat.stage import StageSpec

_WORLD = ("world", "run.seed")

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
        StageSpec("eval_generate", "eval/01_generations", ("sft", "dpo"), ("eval", *_WORLD)),
        StageSpec("eval_score", "eval/02_scores", ("eval_generate",), ("eval.benchmarks",)),
        StageSpec("eval_tables", "eval/03_tables", ("eval_score",), ("run.smoke", "run.name", "eval.target_table")),
    ]
}
