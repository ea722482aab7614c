"""Recipes: one YAML file per run, validated against a schema, with ``key=value`` command-line overrides.

Every default below follows the FuseChat-3.0 blog (``../shared/seeds/fusechat3_blog.md``); where the paper is silent
the key is still explicit and its docstring/comment says "paper silent" (listed in the README's unknowns table).
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

REPO_ROOT = Path(__file__).resolve().parent.parent


class RecipeError(ValueError):
    """A recipe problem, rendered as one line: ``<file>: <key>: <what is wrong>``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# ----------------------------------------------------------------------------------------------- run / world
class RunConfig(_Strict):
    name: str
    dir: str = Field(description="Run directory; every stage writes its own folder below it.")
    seed: int = 42
    smoke: bool = Field(False, description="Marks outputs (tables) as a smoke run on the tiny world.")


class WorldConfig(_Strict):
    """The tiny world (DESIGN.md §5): tiny models and synthetic rows built by code, cached by content key."""

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
    revision: str | None = None
    split: str = "train"
    max_prompts: int | None = Field(None, description="Cap after filtering (quota); None keeps all.")


class SelectionConfig(_Strict):
    min_prompt_chars: int = 4
    max_prompt_chars: int = 8000
    dedup: bool = True
    near_dup_threshold: float | None = Field(
        0.9, gt=0, le=1, description="Paper silent: drop prompts whose word-3-gram Jaccard with a kept one is ≥ this "
        "(MinHash/LSH); null disables near-duplicate removal.")


class SourceModelConfig(_Strict):
    """A source LLM with the blog's per-model sampling parameters (blog Table 2)."""

    name: str
    path: str
    family: Literal["llama3", "qwen2", "gemma2", "mistral"]
    temperature: float
    top_p: float
    repetition_penalty: float = 1.0
    tensor_parallel_size: int = 1
    domains: list[Literal["general", "math", "code", "chinese"]]


class SamplingConfig(_Strict):
    backend: Literal["auto", "vllm", "hf"] = "auto"
    max_new_tokens: int = Field(4096, description="Paper silent; 4096 as in the group's SimPO-derived pipeline.")
    n_per_domain: dict[str, int] = Field(
        default_factory=lambda: {"general": 5, "code": 8, "chinese": 1, "math": 4},
        description="Blog: 5 general, 8 code, 1 Chinese (Qwen only); math sample count k is paper silent.",
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
    max_length: int = 4096
    dtype: Literal["bfloat16", "float16", "float32", "auto"] = "auto"


class VerificationConfig(_Strict):
    math_timeout_s: float = 5.0
    code_timeout_s: float = Field(10.0, description="Paper silent: wall-clock limit per program in the sandbox.")
    workers: int = 2


class BuildConfig(_Strict):
    """Pairing rules of blog §Filtering / research upstream.md §1.4."""

    sft_ratio: float = Field(0.4, ge=0.0, le=1.0, description="Instruction data split 4:6 SFT:DPO by prompt.")
    rm_gap_min: float = 0.01
    rm_gap_max: float = 0.1
    pair_choice: Literal["max_gap", "min_gap", "best_chosen", "random"] = Field(
        "best_chosen",
        description="Paper silent: which source model's pair to keep when several qualify.",
    )

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
    template: str
    learning_rate: float
    num_train_epochs: float = 3.0
    global_batch_size: int = 128
    per_device_train_batch_size: int = 2
    cutoff_len: int = 2048
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.1
    bf16: bool = True
    deepspeed: str | None = None
    num_gpus: int = 1
    extra: dict[str, Any] = Field(default_factory=dict, description="Passed verbatim to LLaMA-Factory.")


class DPOConfig(_Strict):
    """DPO with TRL (blog §DPO): 1 epoch, batch 128, max length 2048, cosine, warmup 0.1, per-target LR and beta.

    ``length_normalized: true`` is the blog's LN-DPO (Llama targets).
    """

    learning_rate: float
    beta: float
    length_normalized: bool
    num_train_epochs: float = 1.0
    global_batch_size: int = 128
    per_device_train_batch_size: int = 2
    max_length: int = 2048
    max_prompt_length: int = 1800
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.1
    save_steps: int = 100
    bf16: bool = True
    gradient_checkpointing: bool = True
    num_gpus: int = 1
    checkpoint_choice: Literal["last"] = Field(
        "last",
        description="Blog: best of the last two checkpoints, criterion paper silent; only 'last' is implemented.",
    )
    extra: dict[str, Any] = Field(default_factory=dict)


# ----------------------------------------------------------------------------------------------- evaluation
class EvalBenchmarkConfig(_Strict):
    """One benchmark to run: a task id of ``evaluation/tasks/``. Its items come from ``path`` when given (a local
    JSONL/JSON/Parquet file, or ``tiny:<task>`` for the tiny world's synthetic items), else from the task's data
    fetched by ``python evaluation/fetch_data.py``."""

    name: str
    path: str | None = None
    limit: int | None = Field(None, description="First N items only (None: eval.limit, else all).")
    options: dict[str, Any] = Field(default_factory=dict, description="Task parameters (task-specific).")


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
        description="Column label -> model path. '@sft' and '@dpo' refer to this run's trained models.",
    )
    target_table: str | None = Field(None, description="Reported table to compare with (results/reported).")


class Recipe(_Strict):
    run: RunConfig
    world: WorldConfig = WorldConfig()
    data: DataConfig
    sft: SFTConfig
    dpo: DPOConfig
    eval: EvalConfig

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
    for i, src in enumerate(recipe.data.sources):
        _check_path(src.path, f"data.sources.{i}.path", file)
    for i, b in enumerate(recipe.eval.benchmarks if isinstance(recipe.eval.benchmarks, list) else []):
        if b.path is not None:
            _check_path(b.path, f"eval.benchmarks.{i}.path", file)
    if recipe.sft.deepspeed:
        _check_path(recipe.sft.deepspeed, "sft.deepspeed", file, always_local=True)


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
