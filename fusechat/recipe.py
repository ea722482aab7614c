"""Recipes: one YAML file per run, validated against a schema, with ``key=value`` command-line overrides.

Every default below follows the FuseChat-3.0 blog (https://slit-ai.github.io/FuseChat-3.0/; the facts used are
in docs/method.md). Where the paper is silent the key is still explicit and its ``Field`` description starts with
"Paper silent"; each such key has a row in the README's "Unknowns and deviations" table (a test checks it).
Errors are one line naming the key and the file (``RecipeError``), never a pydantic traceback.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

REPO_ROOT = Path(__file__).resolve().parent.parent


class RecipeError(ValueError):
    """A recipe problem, rendered as one line: ``<file>: <key>: <what is wrong>``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# ----------------------------------------------------------------------------------------------- run / world
class RunConfig(_Strict):
    name: str
    dir: str = Field(description="Run directory; every stage writes its own folder below it.")
    seed: int = Field(42, description="Paper silent: seed of every split, order and sample of the run.")
    smoke: bool = Field(False, description="Marks outputs (tables) as a smoke run on the tiny world.")
    stage_cache: str | None = Field(
        None, description="Shared content-addressed stage store (fusechat/stage_runner.py); null = '.stage_cache' next to "
        "the run directory, so sibling runs share upstream work.")
    depth: Literal["released_models", "released_data", "rebuild"] = Field(
        "rebuild", description="How deep the run checks the paper (fusechat/depths.py): 'released_models' evaluates "
        "eval.models only (no data, no training); 'released_data' trains SFT then the preference loss on the "
        "authors' released data (section released:, or WRPO's wrpo.release) and evaluates; 'rebuild' runs the whole "
        "method. Tables and metrics files name it.")


class WorldConfig(_Strict):
    """The tiny world: tiny models and synthetic rows built by code, cached by content key."""

    enabled: bool = False
    seed: int = 0
    prompts_per_source: int = 24
    bench_items: int = 24


# ----------------------------------------------------------------------------------------------- data
class SourceConfig(_Strict):
    """One prompt source. ``path`` is a hub id (with ``revision``), a local file, or ``tiny:<name>``."""

    name: str
    domain: Literal["general", "math", "code", "chinese"]
    path: str
    revision: str | None = Field(None, description="Paper silent: hub revision of the dataset (null: the newest).")
    split: str = "train"
    max_prompts: int | None = Field(None, description="Cap after filtering (quota); None keeps all.")


class SelectionConfig(_Strict):
    min_prompt_chars: int = Field(4, description="Paper silent: shorter prompts are dropped (empty_prompt).")
    max_prompt_chars: int = Field(8000, description="Paper silent: characters of the whole prompt conversation (all "
                                  "turns); longer ones are dropped as prompt_too_long before any tokenizer runs.")
    response_reserve_tokens: int | None = Field(
        None, ge=0, description="Paper silent: tokens each sampling model's context window keeps free for the "
        "response; a prompt conversation (chat template, the model's tokens) longer than context_window minus this "
        "is dropped as over_context_window. null = min(data.sampling.max_new_tokens, context_window // 2).")
    dedup: bool = True
    near_dup_threshold: float | None = Field(
        0.9, gt=0, le=1, description="Paper silent: drop prompts whose word-3-gram Jaccard with a kept one is ≥ this "
        "(MinHash/LSH); null disables near-duplicate removal.")
    cap_from_release: bool = Field(
        True, description="With data.release seed/final, cap each source before sampling at the number of prompts "
        "the paper selected (its table's Selected Count, or SFT+DPO x headroom if larger), seeded by run.seed; "
        "a source's own max_prompts wins.")
    headroom: float = Field(
        1.1, ge=1.0, description="Paper silent: extra prompts sampled per source (x SFT+DPO entries) for prompts "
        "that later fail the pair rules (RM window, correctness), so the release quota can still be filled.")
    domain_filters: bool = Field(
        True, description="Blog: general and Chinese sets exclude code and math prompts; false keeps every prompt "
        "(WRPO trains on all UltraFeedback prompts).")


class SourceModelConfig(_Strict):
    """A source LLM with the blog's per-model sampling parameters (blog Table 2)."""

    name: str
    path: str
    family: Literal["llama3", "qwen2", "gemma2", "mistral", "other"] = Field(
        description="Chat-format family (the tiny world's stand-ins); 'other' for families it does not model.")
    temperature: float
    top_p: float
    repetition_penalty: float = 1.0
    tensor_parallel_size: int = 1
    trust_remote_code: bool = Field(
        False, description="Run the code the model's hub repository ships (InternLM2.5's tokenizer and model need "
        "it): passed to the transformers and vLLM loaders and to selection's context-window check.")
    context_window: int | None = Field(
        None, gt=0, description="Paper silent: the model's context length in tokens (vLLM max_model_len); null reads "
        "max_position_embeddings from the model config. Selection keeps only prompts that fit it.")
    domains: list[Literal["general", "math", "code", "chinese"]]


class SamplingConfig(_Strict):
    backend: Literal["auto", "vllm", "hf"] = "auto"
    max_new_tokens: int = Field(4096, description="Paper silent; 4096 as in the group's SimPO-derived pipeline.")
    n_per_domain: dict[str, int] = Field(
        default_factory=lambda: {"general": 5, "code": 8, "chinese": 1, "math": 4},
        description="Paper silent: the math sample count k; blog: 5 general, 8 code, 1 Chinese (Qwen only).",
    )
    batch_size: int = 32
    models: list[SourceModelConfig]


class ScoringConfig(_Strict):
    """Reward model: ArmoRM-Llama3-8B-v0.1 (remote code, preference ``score``) or any sequence-classification RM."""

    model: str = "RLHFlow/ArmoRM-Llama3-8B-v0.1"
    revision: str | None = None
    trust_remote_code: bool = True
    score_attr: Literal["score", "logits"] = "score"
    batch_size: int = 16
    chunk_rows: int = Field(4096, description="Responses per resumable/shardable chunk.")
    max_length: int = Field(4096, description="Paper silent: ArmoRM input (prompt + response) truncated to this many "
                            "tokens, keeping the start.")
    dtype: Literal["bfloat16", "float16", "float32", "auto"] = "auto"
    code_input: Literal["response", "code_blocks"] = Field(
        "response", description="Paper silent: what ArmoRM reads of a code response ('ArmoRM annotation of code "
        "segments'): the whole response, or only its fenced code blocks (the whole response when it has none).")


class VerificationConfig(_Strict):
    math_timeout_s: float = Field(5.0, description="Paper silent: grader time per math answer (math-verify).")
    code_timeout_s: float = Field(10.0, description="Paper silent: wall-clock limit per program in the sandbox.")
    workers: int = 2


class BuildConfig(_Strict):
    """Pairing rules of the blog's "Filtering" section (see docs/method.md).

    A field whose description starts with "Paper silent" is a choice the paper does not make; each has a row in
    the README's "Unknowns and deviations" table (``tests/unit/test_fidelity.py`` checks it).
    """

    sft_ratio: float = Field(0.4, ge=0.0, le=1.0, description="Instruction data split 4:6 SFT:DPO by prompt.")
    rm_gap_min: float = 0.01
    rm_gap_max: float = 0.1
    pair_choice: Literal["max_gap", "min_gap", "best_chosen", "random"] = Field(
        "best_chosen",
        description="Paper silent: which source model's pair to keep when several qualify.",
    )
    code_scoring: Literal["dual", "gate"] = Field(
        "dual", description="Blog: a 'dual-scoring system' for code, the RM score plus points for passing the "
        "static and the dynamic checks; 'gate' ranks code responses by the RM score alone (a pass only gates).")
    code_static_points: float = Field(
        1.0, ge=0.0, description="Paper silent: points added to a code response's RM score when it passes the "
        "static checks (dual scoring).")
    code_test_points: float = Field(
        1.0, ge=0.0, description="Paper silent: points added to a code response's RM score when it passes the "
        "tests (dual scoring).")
    code_rm_window: bool = Field(
        False, description="Paper silent: whether code pairs must also have an RM gap in [rm_gap_min, rm_gap_max] "
        "(the blog states the window for instruction and math pairs only); checked on the raw RM scores.")
    code_same_model: bool = Field(
        True, description="Paper silent: code pairs come from one source model, as the instruction and math rules "
        "say (the blog does not restate it for code).")
    code_prompts: Literal["shared", "disjoint"] = Field(
        "shared", description="Paper silent: 'shared' lets a code prompt give both an SFT row and a DPO pair (under "
        "release targets only once the prompts outside DPO run out: the one reading that reaches the published "
        "LeetCode row from greengerong/leetcode); 'disjoint' uses each code prompt once, like math.")
    grader_failures: Literal["neither", "incorrect"] = Field(
        "neither", description="Paper silent: a response whose grading failed (math grader error or timeout, "
        "sandbox error) is 'neither' side of a pair (counted by reason), or counted as 'incorrect'.")

    @model_validator(mode="after")
    def _gap_order(self) -> BuildConfig:
        if self.rm_gap_min > self.rm_gap_max:
            raise ValueError(f"rm_gap_min ({self.rm_gap_min}) > rm_gap_max ({self.rm_gap_max})")
        return self


class DataConfig(_Strict):
    release: Literal["seed", "final", "none"] = Field(
        "seed", description="Per-dataset SFT/DPO targets: seed blog table, final README table, or none (rules only)."
    )
    release_scale: float = Field(1.0, gt=0, description="Scale every release target (subsets, the scale benchmark).")
    sources: list[SourceConfig]
    selection: SelectionConfig = SelectionConfig()
    sampling: SamplingConfig
    scoring: ScoringConfig = ScoringConfig()
    verification: VerificationConfig = VerificationConfig()
    build: BuildConfig = BuildConfig()


# ----------------------------------------------------------------------------------------------- training
class SFTConfig(_Strict):
    """LLaMA-Factory SFT (blog §SFT): 3 epochs, batch 128, cutoff 2048, cosine, warmup 0.1, per-target LR."""

    model: str
    template: str = Field(description="Paper silent: LLaMA-Factory chat template (the target family's own).")
    learning_rate: float
    num_train_epochs: float = 3.0
    global_batch_size: int = 128
    per_device_train_batch_size: int = Field(2, description="Paper silent: per-GPU batch (accumulation fills 128).")
    cutoff_len: int = 2048
    packing: bool = Field(
        False, description="Paper silent (FuseChat-3.0): LLaMA-Factory packing of examples into cutoff_len-token "
        "blocks; off is LLaMA-Factory's SFT default. WRPO's run_sft.py packs (SFTTrainer packing=True): on in the "
        "WRPO recipes.")
    train_on_prompt: bool = Field(
        False, description="Paper silent (FuseChat-3.0): loss on the prompt tokens too (LLaMA-Factory "
        "train_on_prompt); off is LLaMA-Factory's default. WRPO's run_sft.py trains on the whole text: on in the "
        "WRPO recipes.")
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.1
    bf16: bool = True
    deepspeed: str | None = Field(None, description="Paper silent: DeepSpeed config (ZeRO-3 in the target recipes).")
    num_gpus: int = 1
    extra: dict[str, Any] = Field(default_factory=dict, description="Passed verbatim to LLaMA-Factory.")


PreferenceLoss = Literal["dpo", "ln_dpo", "ipo", "simpo", "wrpo"]


class DPOConfig(_Strict):
    """Preference optimisation with TRL (blog §DPO; WRPO paper): 1 epoch, batch 128, max length 2048, cosine, warmup
    0.1, per-target LR and beta. ``loss`` names an entry of ``training.losses.LOSSES`` (one dispatch in
    ``training.dpo``): ``ln_dpo`` is the blog's LN-DPO (Llama targets), ``dpo`` standard DPO (Qwen, Gemma).

    Keys named like TRL's config fields are passed to TRL under the same name. Any other field of the TRL config
    class the loss uses (``trl.DPOConfig``; ``trl.CPOConfig`` for simpo) may be written here directly (e.g.
    ``optim: adamw_torch``, ``truncation_mode: keep_start``); unknown names are rejected at load time.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    loss: PreferenceLoss
    learning_rate: float
    beta: float
    num_train_epochs: float = 1.0
    global_batch_size: int = Field(128, description="Paper silent: the blog gives no DPO batch; 128 from the "
                                   "authors' preview config (8 GPUs x 2 x 8 accumulation). Checked at launch: "
                                   "per-device x accumulation x world size.")
    per_device_train_batch_size: int = Field(2, description="Paper silent: per-GPU batch (accumulation fills 128).")
    max_length: int = 2048
    max_prompt_length: int = Field(1800, description="Paper silent: from the authors' preview DPO config.")
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.1
    save_steps: int = 100
    bf16: bool = True
    gradient_checkpointing: bool = Field(True, description="Paper silent: on in the authors' preview DPO config.")
    num_gpus: int = Field(1, description="Processes the launcher starts (world size) the global batch assumes.")
    label_smoothing: float = Field(0.0, ge=0.0, lt=0.5, description="Conservative-DPO ε (not for ipo).")
    simpo_gamma: float = Field(0.5, description="SimPO target margin γ (simpo only; TRL CPOConfig field).")
    wrpo_alpha: float = Field(0.1, ge=0.0, le=1.0, description="WRPO α_end, the final fusion coefficient (wrpo only).")
    wrpo_alpha_schedule: Literal["linear", "constant"] = Field(
        "linear", description="WRPO: α linear from 0 to α_end over the optimiser steps, or constant α_end.")
    checkpoint_choice: Literal["last", "best_of_last_two"] = Field(
        "best_of_last_two",
        description="Blog: the better of the last two checkpoints (every save_steps); 'last' keeps the final model.",
    )
    checkpoint_criterion: Literal["rewards/accuracies", "rewards/margins", "loss"] = Field(
        "rewards/accuracies",
        description="Paper silent: held-out metric (TRL eval log key) that picks the better checkpoint; ties go to "
        "the later one. 'loss' is lower-is-better, the others higher-is-better.",
    )
    checkpoint_heldout_fraction: float = Field(
        0.02, gt=0.0, lt=1.0,
        description="Paper silent: share of the preference rows (seeded) held out to score the checkpoints; only "
        "with best_of_last_two.",
    )

    @model_validator(mode="after")
    def _trl_fields(self) -> DPOConfig:
        """Extra keys must be fields of the TRL config class the loss uses (checked only when there are any)."""
        extra = sorted(self.model_extra or {})
        if extra:
            import dataclasses

            try:
                from trl import CPOConfig, DPOConfig
            except ImportError:  # the generation env (vLLM) has no TRL; the training env checks these keys
                return self

            cls = CPOConfig if self.loss == "simpo" else DPOConfig
            known = {f.name for f in dataclasses.fields(cls)}
            bad = [k for k in extra if k not in known]
            if bad:
                raise PydanticCustomError("unknown_key", "unknown key {key}", {
                    "key": bad[0], "hint": f"neither a recipe key nor a field of trl.{cls.__name__}"})
            fixed = [k for k in extra if k in ("loss_type", "loss_weights", "cpo_alpha")]
            if fixed:
                raise PydanticCustomError("unknown_key", "unknown key {key}", {
                    "key": fixed[0], "hint": "set by dpo.loss; choose the loss by name there"})
        return self


class WRPOReleaseConfig(_Strict):
    """The authors' released source responses, read with ``wrpo.source_responses: release``
    (``data_construction/wrpo_release.py``). The WRPO README names the dataset but not its fields; the defaults
    assume the layout of the SimPO pipeline the authors say they followed (princeton-nlp/llama3-ultrafeedback-armorm:
    one row per prompt, ``prompt`` text and an ``all_generated_responses`` list). Every column is a key, so another
    layout needs no code change."""

    path: str = Field("AALF/ultrafeedback_wrpo", description="Hub id, local file, or tiny:ultrafeedback_wrpo.")
    revision: str | None = Field(None, description="Paper silent: hub revision of the release (null: the newest).")
    split: str = "train"
    prompt_column: str = Field(
        "prompt", description="Paper silent (schema unpublished; assumed): the prompt, as text, one message "
        "{role, content}, or a list of messages ending with the user's turn.")
    responses_column: str = Field(
        "all_generated_responses", description="Paper silent (schema unpublished; assumed): the source responses "
        "of the prompt, a list of texts or of assistant messages.")
    model_column: str | None = Field(
        None, description="Paper silent (schema unpublished; assumed absent): the source model of the responses, "
        "a name for the whole row or a list aligned with the responses; null labels them all 'release'.")


class WRPODataConfig(_Strict):
    """WRPO data build (arXiv 2412.03187; https://github.com/SLIT-AI/WRPO commit e6f2867). A recipe with this
    section runs the WRPO pipeline (``fusechat.stage_table.WRPO_STAGES``): UltraFeedback prompts, source responses
    (``data.sampling``: 5 per source model, T 0.8, top-p 0.95) scored by ArmoRM; y_ws = the best over all sources;
    ``sft_fraction`` of the prompts (seeded) go to SFT on y_ws; the SFT model samples ``target_samples`` per
    remaining prompt; ArmoRM picks y_wt (best) and y_l (worst); export chosen=[y_ws, y_wt], rejected=[y_l]."""

    source_responses: Literal["sample", "release"] = Field(
        "sample", description="Paper: the source responses are sampled by the sampling stage from data.sampling.models "
        "('sample'), or loaded from the authors' release (wrpo.release; 'release', no generation); ArmoRM "
        "(data.scoring) scores them either way.")
    release: WRPOReleaseConfig = WRPOReleaseConfig()
    sft_fraction: float = Field(1 / 3, gt=0.0, lt=1.0, description="Paper: 1/3 of the prompts go to SFT on y_ws.")
    target_samples: int = Field(5, ge=2, description="Paper: the SFT model samples 5 responses per prompt.")
    target_temperature: float = 0.8
    target_top_p: float = 0.95
    target_max_new_tokens: int = Field(4096, description="Paper silent; as data.sampling.max_new_tokens.")
    target_batch_size: int = 32
    preference_init: Literal["sft", "target"] = Field(
        "sft", description="'sft': WRPO and Target-SFT-* rows (policy, reference and target samples from the SFT "
        "model); 'target': the Target-DPO/IPO/SimPO rows, which start from the target model itself (no SFT).")
    pair_chosen: Literal["target", "source"] = Field(
        "target", description="Paper silent: the chosen response of the pairwise rows (dpo, ipo, simpo) built from "
        "the WRPO data: y_wt (the target's best sample, on-policy pairs) or y_ws (the best source response).")


class ReleasedSplitConfig(_Strict):
    """One released FuseChat-3.0 data set (docs/method.md, "Released data schema"): a hub id (with ``revision``), a
    local JSON/JSONL/Parquet file, or ``tiny:released/<name>``."""

    path: str
    revision: str | None = Field(None, description="Paper silent: hub revision (commit sha) trained on; null: "
                                 "the newest, recorded as unpinned.")
    split: str = "train"


class ReleasedDataConfig(_Strict):
    """Depth 2 (``run.depth: released_data``): the released SFT and DPO data, read in the released schema, checked
    row by row (named drops), counted against the paper's composition table and written in the export's layout, so
    SFT and DPO read them exactly as they read a build (``data_construction/release_data.py``)."""

    sft: ReleasedSplitConfig = ReleasedSplitConfig(path="FuseAI/FuseChat-3.0-SFT-Data")
    dpo: ReleasedSplitConfig = ReleasedSplitConfig(path="FuseAI/FuseChat-3.0-DPO-Data")
    counts: Literal["seed", "final"] = Field(
        "final", description="Paper silent: which published composition table the released counts are compared with (the "
        "release matches the later README table, paper Table 1).")


# ----------------------------------------------------------------------------------------------- evaluation
class EvalModelOptions(_Strict):
    """How one evaluated model is loaded (large public baselines of the WRPO table need several GPUs)."""

    tensor_parallel_size: int = Field(1, ge=1, description="Paper silent: vLLM tensor parallelism of this model's "
                                      "evaluation (GPUs it is spread over).")
    trust_remote_code: bool = Field(False, description="Run the model repository's code (InternLM2.5).")


class EvalBenchmarkConfig(_Strict):
    """One benchmark to run: a task id of ``evaluation/tasks/``. Its items come from ``path`` when given (a local
    JSONL/JSON/Parquet file, or ``tiny:<task>`` for the tiny world's synthetic items), else from the task's data
    fetched by ``python evaluation/fetch_data.py``."""

    name: str
    path: str | None = None
    limit: int | None = Field(None, description="First N items only (None: eval.limit, else all).")
    options: dict[str, Any] = Field(default_factory=dict, description="Task parameters (task-specific).")


class EvalJudgeConfig(_Strict):
    """The LLM judge of the judged benchmarks: any OpenAI-compatible chat-completions endpoint (docs/judges.md)."""

    base_url: str | None = Field(
        None, description="Endpoint, e.g. http://localhost:8000/v1 for `vllm serve`; None: api.openai.com (the "
                          "paper's judges).")
    model: str | None = Field(
        None, description="Judge model for every judged task; None: each task's paper judge (gpt-4-1106-preview "
                          "for AlpacaEval-2 and Arena-Hard, gpt-4-0125-preview for MT-Bench, gpt-4 for AlignBench).")
    api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the API "
                             "key (the key itself is never written to recipes, manifests, logs or caches).")
    concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    max_retries: int = Field(5, ge=0, description="Retries of a failed request, exponential backoff.")
    backoff_s: float = Field(2.0, ge=0, description="First retry delay; doubled on each retry.")
    timeout_s: float = Field(120.0, gt=0, description="Per-request timeout.")
    cache_dir: str | None = Field(
        None, description="On-disk judgment cache, shared by runs (default: $FUSECHAT_CACHE/judgments or "
                          ".cache/judgments); a rerun never pays twice for the same judgment.")
    local: Literal["none", "tiny"] = Field(
        "none", description="'tiny': the scoring stage serves a local OpenAI-compatible judge on localhost whose "
                            "verdicts come from local_reward_model (tiny world, tests, smoke).")
    local_reward_model: str = Field("tiny:ArmoRM-Llama3-8B-v0.1", description="Reward model of the local judge.")
    local_reward_center: float = Field(
        0.1, description="Local judge: raw reward of a typical answer; the judged tasks' local mappings read "
                         "(reward - center) / scale. Default: the tiny reward model's scores of the smoke run's "
                         "answers (mean 0.097, sd 0.048 over 34 judged answers).")
    local_reward_scale: float = Field(0.05, gt=0, description="Local judge: raw reward spread (one standard unit).")


class EvalConfig(_Strict):
    backend: Literal["auto", "vllm", "hf"] = "auto"
    max_new_tokens: int | None = Field(
        None, description="Cap on every task's own max_new_tokens (smoke runs); None: each task's protocol.")
    batch_size: int = 16
    benchmarks: list[EvalBenchmarkConfig] | Literal["all", "ground_truth"] = Field(
        "ground_truth", description="Task ids, or every registered task ('all') / every ground-truth task. Paper "
                                    "silent on the MMLU-redux data (FuseEval loads full MMLU): task mmlu_redux "
                                    "runs MMLU-Redux, task mmlu full MMLU.")
    limit: int | None = Field(None, description="Items per benchmark when an entry sets none (None: all).")
    tiny: bool = Field(False, description="Items of every benchmark without a path: its task's synthetic "
                                          "items from the tiny world (tiny:<task>), never real data.")
    families: dict[str, str] = Field(
        default_factory=dict, description="Paper silent (FuseEval: a substring of the model path): model label -> "
                                          "prompt family; default from the model's config model_type.")
    data_dir: str | None = Field(
        None, description="Fetched benchmark data (default: $FUSECHAT_EVAL_DATA or .cache/eval_data). Paper "
                          "silent on dataset revisions: resolved and recorded at fetch time.")
    models: dict[str, str] = Field(
        default_factory=dict,
        description="Column label -> model path. '@sft' and '@dpo' refer to this run's trained models; a hub id may "
        "pin a revision as owner/name@<commit sha>.",
    )
    model_options: dict[str, EvalModelOptions] = Field(
        default_factory=dict, description="Column label -> loading options (tensor parallelism, remote code).")
    target_table: str | None = Field(None, description="Reported table to compare with (results/reported).")
    judge: EvalJudgeConfig = EvalJudgeConfig()


# ----------------------------------------------------------------------------------------------- plan / cluster
class PlanConfig(_Strict):
    """Assumptions of the cost plan (``python -m fusechat.plan``). The paper names no hardware and no token
    lengths, so every key here is paper silent; defaults and their sources are in docs/cost_plan.md."""

    gpu_type: str = Field("H100-SXM-80GB", description="Paper silent: GPU the plan is priced on.")
    gpu_memory_gib: float = Field(80.0, gt=0, description="Paper silent: memory per GPU (H100 SXM datasheet).")
    gpu_peak_tflops: float = Field(989.0, gt=0, description="Paper silent: dense BF16 peak per GPU, TFLOP/s "
                                   "(NVIDIA H100 SXM datasheet, without sparsity).")
    train_mfu: float = Field(0.35, gt=0, le=1, description="Paper silent: model-FLOPs utilisation of ZeRO-3 full "
                             "fine-tuning, forward passes of scoring and prefill.")
    decode_mfu: float = Field(0.08, gt=0, le=1, description="Paper silent: effective utilisation of batched vLLM "
                              "decoding (memory-bound), FLOPs = 2 x params x output tokens.")
    input_tokens: dict[str, int] = Field(
        default_factory=lambda: {"general": 180, "math": 90, "code": 260, "chinese": 70},
        description="Paper silent: mean chat-formatted prompt tokens per domain, used when prompts or tokenizers "
        "cannot be read (hub sources offline).")
    output_tokens: dict[str, int] = Field(
        default_factory=lambda: {"general": 550, "math": 400, "code": 450, "chinese": 350},
        description="Paper silent: mean completion tokens per domain (capped at max_new_tokens).")
    dataset_response_tokens: int = Field(
        350, description="Paper silent: mean tokens of a dataset-shipped response (OpenMathInstruct-2's Llama-405B "
        "solutions), scored but not generated.")
    eval_output_tokens: int = Field(400, description="Paper silent: mean answer tokens per benchmark item.")
    throughput: dict[str, float] = Field(
        default_factory=dict, description="Optional measured output tokens/s per GPU for a model (by name or "
        "path); overrides the FLOPs-based estimate for that model.")
    params_b: dict[str, float] = Field(
        default_factory=dict, description="Parameters (billions) for models the built-in table (fusechat/plan.py, "
        "from the model cards) does not know.")


class ClusterConfig(_Strict):
    """SLURM rendering (``python -m fusechat.slurm``): what the cluster looks like; the recipe's own keys
    (tensor_parallel_size, sft/dpo num_gpus) decide how many GPUs and nodes each job takes."""

    gpus_per_node: int = Field(8, ge=1)
    cpus_per_gpu: int = 8
    partition: str | None = None
    account: str | None = None
    sampling_shards: int = Field(4, ge=1, description="Array tasks per source model (each runs --shard i/N).")
    scoring_shards: int = Field(8, ge=1, description="Array tasks for reward scoring (1 GPU each).")
    time_limit: str = "48:00:00"
    master_port: int = Field(29500, ge=1, le=65535, description="Rendezvous port of the multi-node SFT and DPO "
                             "jobs on their first node (torchrun's and accelerate's default).")
    gen_python: str = Field("python", description="Interpreter of the generation env (vLLM; sampling, scoring, "
                            "eval generation).")
    train_python: str = Field("python", description="Interpreter of the training env (environment.yml).")
    setup: str = Field("", description="Shell lines run first in every job (module load, conda activate ...).")


class Recipe(_Strict):
    run: RunConfig
    world: WorldConfig = WorldConfig()
    # required except at depth 1 (run.depth: released_models), which builds and trains nothing
    data: DataConfig = None  # type: ignore[assignment]
    sft: SFTConfig = None  # type: ignore[assignment]
    dpo: DPOConfig = None  # type: ignore[assignment]
    eval: EvalConfig
    plan: PlanConfig = PlanConfig()
    cluster: ClusterConfig = ClusterConfig()
    wrpo: WRPODataConfig | None = None
    released: ReleasedDataConfig | None = None

    # paths the recipe was loaded from, kept out of the schema
    _source: Path | None = None

    @property
    def run_dir(self) -> Path:
        p = Path(self.run.dir)
        return p if p.is_absolute() else REPO_ROOT / p

    def section(self, dotted: str) -> Any:
        """Return the plain-data value at a dotted key (e.g. ``data.build``)."""
        node: Any = self.model_dump(mode="json")
        for part in dotted.split("."):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    @model_validator(mode="before")
    @classmethod
    def _sections_of_the_depth(cls, tree: Any) -> Any:
        """``data``, ``sft`` and ``dpo`` are required, except at depth 1 (``run.depth: released_models``), which
        builds and trains nothing. Checked first, so a recipe missing them says so before anything else."""
        if isinstance(tree, dict):
            run = tree.get("run") if isinstance(tree.get("run"), dict) else {}
            if run.get("depth", "rebuild") != "released_models":
                for key in ("data", "sft", "dpo"):
                    if tree.get(key) is None:
                        raise PydanticCustomError("depth", "{key}: missing required key (only run.depth "
                                                  "released_models needs no {key} section)", {"key": key})
        return tree

    @model_validator(mode="after")
    def _depth_rules(self) -> Recipe:
        """What each depth needs (fusechat/depths.py): depth 1 evaluates only published models; depth 2 trains on
        released data (``released:``, or WRPO's ``wrpo.source_responses: release``)."""
        depth = self.run.depth
        if depth == "released_models":
            refs = [label for label, ref in self.eval.models.items() if ref.startswith("@")]
            if refs:
                raise PydanticCustomError("depth", "run.depth released_models evaluates published models only; "
                                          "eval.models {label} refers to a model trained here",
                                          {"label": refs[0]})
        if depth == "released_data":
            if self.wrpo is not None and self.wrpo.source_responses != "release":
                raise PydanticCustomError("depth", "run.depth released_data with a wrpo section needs "
                                          "wrpo.source_responses: release", {})
            if self.wrpo is None and self.released is None:
                raise PydanticCustomError("depth", "run.depth released_data needs a released: section (the "
                                          "released SFT and DPO data)", {})
        elif self.released is not None:
            raise PydanticCustomError("depth", "a released: section is read only with run.depth released_data", {})
        unknown = sorted(set(self.eval.model_options) - set(self.eval.models))
        if unknown:
            raise PydanticCustomError("depth", "eval.model_options.{label}: not a label of eval.models",
                                      {"label": unknown[0]})
        return self

    def hash_of(self, keys: list[str]) -> str:
        payload = {k: self.section(k) for k in sorted(keys)}
        return stable_hash(payload)


def stable_hash(obj: Any) -> str:
    """sha256 of a canonical JSON rendering (sorted keys); used for config and fingerprint hashes."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------- loading
def _parse_override(item: str, file: str) -> tuple[list[str], Any]:
    if "=" not in item:
        raise RecipeError(f"{file}: override '{item}' is not of the form key=value")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key:
        raise RecipeError(f"{file}: override '{item}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw != "" else ""
    except yaml.YAMLError:
        value = raw
    return key.split("."), value


def _apply_override(tree: dict[str, Any], parts: list[str], value: Any, file: str) -> None:
    node: Any = tree
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        dotted = ".".join(parts[: i + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"{file}: {dotted}: no such list index (list has {len(node)} items)")
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise RecipeError(f"{file}: {dotted}: cannot set a key inside a {type(node).__name__}")
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def _format_error(err: dict[str, Any], file: str, tree: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{file}: {loc}: unknown key"
    if kind == "missing":
        return f"{file}: {loc}: missing required key"
    if kind == "unknown_key":  # an extra key checked against a library's own field names (dpo -> TRL config)
        return f"{file}: {loc}.{err['ctx']['key']}: unknown key ({err['ctx']['hint']})"
    if kind == "depth":  # a whole-recipe rule of run.depth (Recipe._depth_rules)
        return f"{file}: {err['msg']}"
    value: Any = tree
    try:
        for p in err["loc"]:
            value = value[p]
        shown = f" (got {value!r})"
    except (KeyError, IndexError, TypeError):
        shown = ""
    return f"{file}: {loc}: {err['msg'].lower()}{shown}"


def _check_files(recipe: Recipe, file: str) -> None:
    """Local paths named in the recipe must exist (hub ids and ``tiny:`` refs are resolved later)."""
    for i, src in enumerate(recipe.data.sources if recipe.data is not None else []):
        _check_path(src.path, f"data.sources.{i}.path", file)
    for i, b in enumerate(recipe.eval.benchmarks if isinstance(recipe.eval.benchmarks, list) else []):
        if b.path is not None:
            _check_path(b.path, f"eval.benchmarks.{i}.path", file)
    if recipe.sft is not None and recipe.sft.deepspeed:
        _check_path(recipe.sft.deepspeed, "sft.deepspeed", file, always_local=True)
    if recipe.wrpo is not None and recipe.wrpo.source_responses == "release":
        _check_path(recipe.wrpo.release.path, "wrpo.release.path", file)
    if recipe.released is not None:
        for part in ("sft", "dpo"):
            _check_path(getattr(recipe.released, part).path, f"released.{part}.path", file)


def _check_path(value: str, key: str, file: str, always_local: bool = False) -> None:
    if value.startswith("tiny:"):
        return
    looks_local = always_local or value.startswith(("/", "./", "../")) or Path(value).suffix in {
        ".json", ".jsonl", ".parquet", ".csv", ".yaml", ".yml",
    }
    if looks_local:
        p = Path(value) if Path(value).is_absolute() else REPO_ROOT / value
        if not p.exists():
            raise RecipeError(f"{file}: {key}: file not found: {value}")


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _with_defaults(tree: dict[str, Any], path: Path, file: str) -> dict[str, Any]:
    """``defaults: [other.yaml, …]`` (paths relative to the recipe) are loaded first; the recipe overrides them.

    This is how every target recipe shares ``recipes/data_fusechat3.yaml`` (the dataset build)."""
    merged: dict[str, Any] = {}
    for rel in tree.pop("defaults", []) or []:
        dep = (path.parent / rel).resolve()
        if not dep.exists():
            raise RecipeError(f"{file}: defaults: file not found: {rel}")
        sub = yaml.safe_load(dep.read_text(encoding="utf-8")) or {}
        merged = _deep_merge(merged, _with_defaults(sub, dep, str(dep)))
    return _deep_merge(merged, tree)


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Load a recipe YAML, apply ``key=value`` overrides, validate. Raises ``RecipeError`` (one line)."""
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise RecipeError(f"{file}: recipe file not found")
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise RecipeError(f"{file}:{where}: invalid YAML") from None
    if not isinstance(tree, dict):
        raise RecipeError(f"{file}: top level must be a mapping")
    tree = _with_defaults(copy.deepcopy(tree), path, file)
    for item in overrides or []:
        parts, value = _parse_override(item, file)
        _apply_override(tree, parts, value, file)
    try:
        recipe = Recipe.model_validate(tree)
    except ValidationError as exc:
        raise RecipeError(_format_error(exc.errors()[0], file, tree)) from None
    _check_files(recipe, file)
    recipe._source = path.resolve()
    return recipe
