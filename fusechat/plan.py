"""Cost plan before anything runs: prompts, generations, tokens and GPU-hours per stage and per model.

``python -m fusechat.plan --recipe R.yaml [key=value …] [--json]``

What the plan counts, and how (assumptions are ``plan.*`` recipe keys; defaults and sources in docs/cost_plan.md):
- prompts after selection: the selection stage itself when every source is readable here (local files, the tiny
  world), otherwise each source's cap (``data.selection`` cap from the release table, or ``max_prompts``), assumed
  reached;
- generations: per source model, its prompts × ``data.sampling.n_per_domain`` (exactly what sampling requests);
- input tokens: one prefill per (prompt, model) — the chat-formatted prompt counted with the model's own tokenizer
  when it can be loaded here (on a seeded sample of at most ``SAMPLE`` prompts per domain), else
  ``plan.input_tokens``; output tokens: ``min(plan.output_tokens[domain], max_new_tokens)`` per generation;
- GPU-seconds: forward FLOPs ``2·N·tokens`` at ``plan.train_mfu`` (prefill, reward scoring), decode FLOPs
  ``2·N·output tokens`` at ``plan.decode_mfu`` (or measured ``plan.throughput``), training ``k·N·D`` at
  ``plan.train_mfu`` with k = 6 (forward + backward) + 2 (the re-forward of gradient checkpointing) for SFT and
  k = 6 + 2 + 2 (policy, its re-forward, the frozen reference's forward) for DPO, D = tokens seen (both sequences of
  a pair for DPO, each capped at the recipe's cutoff/max length), all divided by ``plan.gpu_peak_tflops``.

The last line is ``generations=<n> output_tokens=<n> gpu_hours=<h>``. The same dictionary is stored in the
select_prompts manifest (``stats.plan``) so a finished run can be compared with its plan.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import struct
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fusechat.recipe import REPO_ROOT, Recipe
from fusechat.stage_table import stage_hook

SAMPLE = 500  # prompts per (model, domain) tokenised for the input-token mean (seeded sample)

# Parameters (billions) from each model card on the hub (safetensors totals).
PARAMS_B: dict[str, float] = {
    "google/gemma-2-27b-it": 27.2,
    "mistralai/Mistral-Large-Instruct-2407": 123.0,
    "Qwen/Qwen2.5-72B-Instruct": 72.7,
    "meta-llama/Llama-3.1-70B-Instruct": 70.6,
    "Qwen/Qwen2.5-Math-72B-Instruct": 72.7,
    "RLHFlow/ArmoRM-Llama3-8B-v0.1": 7.51,
    "meta-llama/Llama-3.1-8B-Instruct": 8.03,
    "Qwen/Qwen2.5-7B-Instruct": 7.62,
    "google/gemma-2-9b-it": 9.24,
    "meta-llama/Llama-3.2-3B-Instruct": 3.21,
    "meta-llama/Llama-3.2-1B-Instruct": 1.24,
    # the released FuseChat-3.0 models (same architectures as their targets) and the tables' public baselines
    "FuseAI/FuseChat-Llama-3.1-8B-SFT": 8.03, "FuseAI/FuseChat-Llama-3.1-8B-Instruct": 8.03,
    "FuseAI/FuseChat-Qwen-2.5-7B-SFT": 7.62, "FuseAI/FuseChat-Qwen-2.5-7B-Instruct": 7.62,
    "FuseAI/FuseChat-Gemma-2-9B-SFT": 9.24, "FuseAI/FuseChat-Gemma-2-9B-Instruct": 9.24,
    "FuseAI/FuseChat-Llama-3.2-3B-SFT": 3.21, "FuseAI/FuseChat-Llama-3.2-3B-Instruct": 3.21,
    "FuseAI/FuseChat-Llama-3.2-1B-SFT": 1.24, "FuseAI/FuseChat-Llama-3.2-1B-Instruct": 1.24,
    "allenai/Llama-3.1-Tulu-3-8B": 8.03,
    # the WRPO table's target and source models
    "meta-llama/Meta-Llama-3-8B-Instruct": 8.03, "meta-llama/Meta-Llama-3-70B-Instruct": 70.6,
    "Qwen/Qwen2-72B-Instruct": 72.7, "internlm/internlm2_5-20b-chat": 19.9,
    "deepseek-ai/DeepSeek-V2-Chat-0628": 236.0, "deepseek-ai/DeepSeek-Coder-V2-Instruct-0724": 236.0,
    "01-ai/Yi-1.5-34B-Chat": 34.4, "microsoft/Phi-3-medium-4k-instruct": 14.0,
}
#: Mixture-of-experts models: parameters active per token (billions), which set the decoding FLOPs (model cards)
ACTIVE_PARAMS_B: dict[str, float] = {
    "deepseek-ai/DeepSeek-V2-Chat-0628": 21.0, "deepseek-ai/DeepSeek-Coder-V2-Instruct-0724": 21.0,
}
# Test-set sizes of hub benchmarks (their dataset cards), used when the items cannot be read here.


class PlanError(ValueError):
    """The plan cannot be made (a hub source without a cap …): one line naming the key to set."""


@dataclass
class Line:
    stage: str
    what: str
    prompts: int = 0
    generations: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    gpu_hours: float = 0.0
    note: str = ""


@dataclass
class Plan:
    recipe: str
    gpu_type: str
    lines: list[Line] = field(default_factory=list)
    assumptions: dict[str, Any] = field(default_factory=dict)

    @property
    def generations(self) -> int:
        return sum(ln.generations for ln in self.lines if ln.stage == "sample_responses")

    @property
    def all_generations(self) -> int:
        """Every generation of the data build: source-model sampling plus WRPO's SFT-model samples."""
        return sum(ln.generations for ln in self.lines if ln.stage in ("sample_responses", "wrpo_target"))

    @property
    def output_tokens(self) -> int:
        return sum(ln.output_tokens for ln in self.lines if ln.stage == "sample_responses")

    @property
    def gpu_hours(self) -> float:
        return sum(ln.gpu_hours for ln in self.lines)

    def as_dict(self) -> dict[str, Any]:
        by_stage: dict[str, float] = defaultdict(float)
        for ln in self.lines:
            by_stage[ln.stage] += ln.gpu_hours
        return {"recipe": self.recipe, "gpu_type": self.gpu_type, "generations": self.generations,
                "output_tokens": self.output_tokens, "input_tokens": sum(
                    ln.input_tokens for ln in self.lines if ln.stage == "sample_responses"),
                "gpu_hours": round(self.gpu_hours, 1),
                "gpu_hours_by_stage": {k: round(v, 2) for k, v in by_stage.items()},
                "lines": [asdict(ln) for ln in self.lines], "assumptions": self.assumptions}

    def render(self) -> str:
        a = self.assumptions
        out = [f"cost plan: {self.recipe} on {self.gpu_type} ({a['gpu_peak_tflops']:g} TFLOP/s bf16; MFU "
               f"{a['train_mfu']:g} train, {a['decode_mfu']:g} decode; assumptions: docs/cost_plan.md)"]
        sel = [ln for ln in self.lines if ln.stage == "select_prompts"]
        notes = sorted({ln.note for ln in sel})
        words = [f"{ln.what.split(' (')[0]} {ln.prompts:,}" for ln in sel]
        if sel:
            out.append(f"  select  {sum(ln.prompts for ln in sel):,} prompts ({'; '.join(notes)}): "
                       + ", ".join(words))
        out.append(f"  {'stage':<7} {'model':<40}{'prompts':>10}{'generations':>13}{'in_tok':>9}{'out_tok':>9}"
                   f"{'GPU-h':>8}")
        short = {"sample_responses": "sample", "score_rewards": "score", "eval_generate": "eval",
                 "wrpo_target": "target"}
        for ln in self.lines:
            if ln.stage == "select_prompts":
                continue
            out.append(f"  {short.get(ln.stage, ln.stage):<7} {ln.what[:39]:<40}{ln.prompts:>10,}"
                       f"{f'{ln.generations:,}' if ln.generations else '':>13}{_m(ln.input_tokens):>9}{_m(ln.output_tokens):>9}"
                       f"{ln.gpu_hours:>8.1f}")
        out.append(f"  {'total':<7} {'':<40}{'':>10}{self.generations:>13,}{'':>9}{_m(self.output_tokens):>9}"
                   f"{self.gpu_hours:>8.1f}")
        out.append("  (sample: input = one prefill per prompt and model; score: prompts = responses scored, in_tok = "
                   "prompt+response; sft/dpo: prompts = rows/pairs, in_tok = tokens seen over all epochs)")
        out.append(f"generations={self.generations} output_tokens={self.output_tokens} "
                   f"gpu_hours={self.gpu_hours:.1f}")
        return "\n".join(out)


def _m(n: int) -> str:
    """Tokens in millions (thousands below a million) with one decimal, blank for zero."""
    if not n:
        return ""
    return f"{n / 1e6:,.1f}M" if n >= 1e6 else f"{n / 1e3:,.1f}K"


# ------------------------------------------------------------------------------------------ model facts
def _safetensors_params(folder: Path) -> int:
    """Parameter count from the safetensors headers of a local model folder (no tensor is read)."""
    total = 0
    for f in sorted(folder.glob("*.safetensors")):
        with f.open("rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(n))
        for k, v in header.items():
            if k != "__metadata__":
                total += math.prod(v["shape"])
    return total


def params_of(recipe: Recipe, name: str, path: str) -> float:
    """Parameters in billions: ``plan.params_b`` (by name or path), the model-card table, or a local folder. A pinned
    revision (``owner/name@sha``) does not change the count."""
    from fusechat.depths import split_revision

    path = split_revision(path)[0]
    for key in (name, path):
        if key in recipe.plan.params_b:
            return recipe.plan.params_b[key]
        if key in PARAMS_B:
            return PARAMS_B[key]
    local = _local_path(recipe, path)
    if local is not None and local.is_dir():
        return _safetensors_params(local) / 1e9
    raise PlanError(f"plan.params_b: no parameter count for model {name!r} ({path}); set plan.params_b.{name}=<B>")


def _local_path(recipe: Recipe, path: str) -> Path | None:
    if path.startswith("tiny:"):
        if not recipe.world.enabled:  # never build the tiny world just for a plan
            return None
        from fusechat.tiny_release import resolve_ref
        from fusechat.tiny_world import settings_from

        return Path(resolve_ref(path, settings_from(recipe.world)))
    p = Path(path) if Path(path).is_absolute() else REPO_ROOT / path
    return p if p.exists() else None


def _tokenizer(recipe: Recipe, path: str, trust_remote_code: bool = False) -> Any | None:
    local = _local_path(recipe, path)
    if local is None:
        return None
    from transformers import AutoTokenizer

    from fusechat.generation import pin_chat_date

    return pin_chat_date(AutoTokenizer.from_pretrained(str(local), trust_remote_code=trust_remote_code))


def prompt_tokens(tok: Any, messages: list[dict[str, str]]) -> int:
    """Prompt tokens exactly as the generators count them (chat template, then no extra special tokens)."""
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return len(tok(text, add_special_tokens=False)["input_ids"])


# ------------------------------------------------------------------------------------------ prompts
def _readable(recipe: Recipe) -> bool:
    """Can every source be read on this machine (local files or the tiny world)?"""
    return all(s.path.startswith("tiny:") or _local_path(recipe, s.path) is not None for s in recipe.data.sources)


def planned_prompts(recipe: Recipe) -> tuple[list[dict[str, Any]] | None, dict[str, tuple[str, int, str]]]:
    """The selected prompts when they can be computed here, and per source (domain, count, how it was known)."""
    select_prompts, source_cap = stage_hook("select_prompts"), stage_hook("source_cap")

    if _readable(recipe):
        rows, _, _ = select_prompts(recipe)
        per = Counter(r["source"] for r in rows)
        return rows, {s.name: (s.domain, per.get(s.name, 0), "selected here") for s in recipe.data.sources}
    out: dict[str, tuple[str, int, str]] = {}
    for i, s in enumerate(recipe.data.sources):
        cap = source_cap(recipe, s)
        if cap is None:
            raise PlanError(f"data.sources.{i} ({s.name}): a hub source without a cap cannot be planned offline; "
                            f"set data.sources.{i}.max_prompts or data.release=seed|final")
        out[s.name] = (s.domain, cap, "cap, assumed reached")
    return None, out


# ------------------------------------------------------------------------------------------ the plan
def _gpu_hours(flops: float, recipe: Recipe, mfu: float) -> float:
    return flops / (recipe.plan.gpu_peak_tflops * 1e12 * mfu) / 3600.0


def make_plan(recipe: Recipe, rows: list[dict[str, Any]] | None = None, per_source: dict | None = None) -> Plan:
    """Compute the plan; ``rows`` are the selected prompts when already known (the selection stage passes them)."""
    pc = recipe.plan
    depth = recipe.run.depth
    if recipe.wrpo is None and depth in ("released_models", "released_data"):
        return _plan_released(recipe)
    if rows is None and per_source is None:
        rows, per_source = planned_prompts(recipe)
    elif per_source is None:
        per = Counter(r["source"] for r in rows)
        per_source = {s.name: (s.domain, per.get(s.name, 0), "selected") for s in recipe.data.sources}
    src = recipe._source
    shown = str(src.relative_to(REPO_ROOT)) if src and src.is_relative_to(REPO_ROOT) else str(src or "recipe")
    plan = Plan(shown, pc.gpu_type, assumptions=pc.model_dump(mode="json"))
    for name, (domain, n, how) in per_source.items():
        plan.lines.append(Line("select_prompts", f"{name} ({domain})", prompts=n, note=how))
    prompts_by_domain: Counter[str] = Counter()
    for domain, n, _ in per_source.values():
        prompts_by_domain[domain] += n
    samp = recipe.data.sampling
    out_len = {d: min(pc.output_tokens.get(d, samp.max_new_tokens), samp.max_new_tokens) for d in samp.n_per_domain}
    mean_in: dict[str, float] = {}  # per domain, the first serving model's mean prompt tokens
    scored_tokens = 0.0  # prompt + response tokens of every generated response (reward scoring reads both)
    for m in samp.models:
        tok = _tokenizer(recipe, m.path, m.trust_remote_code) if rows is not None else None
        p_b = params_of(recipe, m.name, m.path)
        gens = prompts = in_tok = out_tok = 0
        notes = set()
        for d in m.domains:
            n_d = prompts_by_domain.get(d, 0)
            if n_d == 0:
                continue
            if tok is not None:
                mine = [r for r in rows if r["domain"] == d]
                pick = mine if len(mine) <= SAMPLE else random.Random(f"plan-{m.name}-{d}").sample(mine, SAMPLE)
                mean = sum(prompt_tokens(tok, r["messages"]) for r in pick) / len(pick)
                notes.add("input tokens: own tokenizer" + ("" if len(mine) <= SAMPLE else f" (sample {SAMPLE})"))
            else:
                mean = float(pc.input_tokens.get(d, 0))
                notes.add("input tokens: plan.input_tokens")
            mean_in.setdefault(d, mean)
            k = samp.n_per_domain[d]
            scored_tokens += n_d * k * (mean + out_len[d])
            prompts += n_d
            gens += n_d * k
            in_tok += round(n_d * mean)
            out_tok += n_d * k * out_len[d]
        if m.name in pc.throughput or m.path in pc.throughput:
            tps = pc.throughput.get(m.name, pc.throughput.get(m.path))
            decode_h = out_tok / tps / 3600.0
            notes.add("decode: plan.throughput")
        else:
            decode_h = _gpu_hours(2 * p_b * 1e9 * out_tok, recipe, pc.decode_mfu)
        hours = decode_h + _gpu_hours(2 * p_b * 1e9 * in_tok, recipe, pc.train_mfu)
        plan.lines.append(Line("sample_responses", f"{m.name} ({p_b:.3g}B, TP{m.tensor_parallel_size})",
                               prompts, gens, in_tok, out_tok, hours, "; ".join(sorted(notes))))
    _plan_scoring(recipe, plan, prompts_by_domain, rows, scored_tokens, mean_in)
    if recipe.wrpo is not None and recipe.wrpo.source_responses == "release":
        # WRPO with the authors' released responses: nothing is generated; the scoring line (computed above)
        # assumes the release holds as many responses as sampling would have made
        for ln in plan.lines:
            if ln.stage == "sample_responses":
                ln.generations = ln.input_tokens = ln.output_tokens = 0
                ln.gpu_hours = 0.0
                ln.note = "wrpo.source_responses: release (loaded, not generated)"
    _plan_training(recipe, plan, prompts_by_domain, mean_in, out_len)
    if recipe.wrpo is not None:
        _plan_wrpo_target(recipe, plan, prompts_by_domain, mean_in)
    _plan_eval(recipe, plan)
    return plan


def _plan_wrpo_target(recipe: Recipe, plan: Plan, prompts_by_domain: Counter, mean_in: dict[str, float]) -> None:
    """WRPO: the SFT model samples ``wrpo.target_samples`` responses for every prompt outside the SFT share (decode
    at ``plan.decode_mfu``, one prefill per prompt), and ArmoRM scores them (prefill of prompt + response)."""
    w, pc = recipe.wrpo, recipe.plan
    prompts = sum(n - math.ceil(n * w.sft_fraction) for n in prompts_by_domain.values())
    gens = prompts * w.target_samples
    out_len = min(pc.output_tokens.get("general", 0), w.target_max_new_tokens)
    in_len = mean_in.get("general", pc.input_tokens.get("general", 0))
    n_b = params_of(recipe, "target", recipe.sft.model)
    rm_b = params_of(recipe, "reward model", recipe.data.scoring.model)
    hours = (_gpu_hours(2 * n_b * 1e9 * gens * out_len, recipe, pc.decode_mfu)
             + _gpu_hours(2 * n_b * 1e9 * prompts * in_len, recipe, pc.train_mfu)
             + _gpu_hours(2 * rm_b * 1e9 * gens * (in_len + out_len), recipe, pc.train_mfu))
    plan.lines.append(Line("wrpo_target", f"{recipe.sft.model.split('/')[-1]} SFT samples", prompts, gens,
                           round(prompts * in_len), gens * out_len, hours,
                           f"{w.target_samples} per prompt outside the SFT share, scored by the reward model"))


def _shown(recipe: Recipe) -> str:
    src = recipe._source
    return str(src.relative_to(REPO_ROOT)) if src and src.is_relative_to(REPO_ROOT) else str(src or "recipe")


def _plan_released(recipe: Recipe) -> Plan:
    """Depths 1 and 2 (fusechat/depths.py): nothing is sampled or scored. Depth 1 evaluates ``eval.models``; depth 2
    trains on the released data (rows per domain: the paper's composition table ``released.counts``, which the
    release matches; sequence lengths ``plan.input_tokens`` + ``plan.output_tokens``) and evaluates."""
    pc = recipe.plan
    plan = Plan(_shown(recipe), pc.gpu_type, assumptions=pc.model_dump(mode="json"))
    if recipe.run.depth == "released_data":
        out_len = {d: min(n, recipe.data.sampling.max_new_tokens) for d, n in pc.output_tokens.items()}
        _plan_training(recipe, plan, Counter(), {}, out_len)
    _plan_eval(recipe, plan)
    return plan


def _plan_scoring(recipe: Recipe, plan: Plan, prompts_by_domain: Counter, rows: list | None,
                  scored_tokens: float, mean_in: dict[str, float]) -> None:
    """ArmoRM reads every generated response and every response shipped with a dataset (OpenMathInstruct-2's
    Llama-3.1-405B solution, one per problem), prompt included, truncated at ``data.scoring.max_length``."""
    sc = recipe.data.scoring
    gens = sum(ln.generations for ln in plan.lines if ln.stage == "sample_responses")
    if rows is not None:
        shipped = sum(1 for r in rows if r.get("dataset_response"))
    else:
        shipped = prompts_by_domain.get("math", 0)
    responses = gens + shipped
    tokens = round(scored_tokens + shipped * (mean_in.get("math", 0) + recipe.plan.dataset_response_tokens))
    tokens = min(tokens, responses * sc.max_length)
    p_b = params_of(recipe, "reward model", sc.model)
    plan.lines.append(Line("score_rewards", f"{sc.model.split('/')[-1]} ({p_b:.3g}B)", prompts=responses,
                           input_tokens=tokens,
                           gpu_hours=_gpu_hours(2 * p_b * 1e9 * tokens, recipe, recipe.plan.train_mfu),
                           note=f"prompts column = responses scored ({shipped:,} shipped with the dataset)"))


def _expected_rows(recipe: Recipe, prompts_by_domain: Counter) -> tuple[dict[str, int], dict[str, int], str]:
    """SFT rows and DPO pairs per domain: the release table's targets, or (release none) an upper bound."""
    quotas_for = stage_hook("quotas_for")

    names = [s.name for s in recipe.data.sources]
    domain_of = {s.name: s.domain for s in recipe.data.sources}
    sft: Counter[str] = Counter()
    dpo: Counter[str] = Counter()
    if recipe.run.depth == "released_data" and recipe.released is not None:
        for src, (s, d) in (quotas_for(recipe.released.counts, names) or {}).items():
            sft[domain_of[src]] += s
            dpo[domain_of[src]] += d
        return dict(sft), dict(dpo), f"the released data (paper table {recipe.released.counts})"
    if recipe.data.release != "none":
        for src, (s, d) in (quotas_for(recipe.data.release, names, recipe.data.release_scale) or {}).items():
            sft[domain_of[src]] += s
            dpo[domain_of[src]] += d
        return dict(sft), dict(dpo), f"data.release={recipe.data.release} targets"
    r = recipe.data.build.sft_ratio
    for d, n in prompts_by_domain.items():
        if d == "chinese":
            sft[d] += n
        else:
            sft[d] += math.ceil(n * r)
            dpo[d] += n - math.ceil(n * r)
    return dict(sft), dict(dpo), "release none: upper bound (every prompt yields a row)"


def _plan_training(recipe: Recipe, plan: Plan, prompts_by_domain: Counter, mean_in: dict[str, float],
                   out_len: dict[str, int]) -> None:
    pc = recipe.plan
    sft_rows, dpo_rows, how = _expected_rows(recipe, prompts_by_domain)
    resp = {d: min(pc.output_tokens.get(d, 0), recipe.data.sampling.max_new_tokens) for d in out_len}
    seq = {d: mean_in.get(d, pc.input_tokens.get(d, 0)) + resp.get(d, 0) for d in set(sft_rows) | set(dpo_rows)}
    s, d = recipe.sft, recipe.dpo
    n_b = params_of(recipe, "target", s.model)
    sft_tokens = sum(n * min(seq[k], s.cutoff_len) for k, n in sft_rows.items()) * s.num_train_epochs
    dpo_tokens = sum(n * 2 * min(seq[k], d.max_length) for k, n in dpo_rows.items()) * d.num_train_epochs
    k_sft, k_dpo = 6 + 2, 6 + (2 if d.gradient_checkpointing else 0) + 2
    plan.lines.append(Line("sft", f"{s.model.split('/')[-1]} ({n_b:.3g}B)", prompts=sum(sft_rows.values()),
                           input_tokens=round(sft_tokens),
                           gpu_hours=_gpu_hours(k_sft * n_b * 1e9 * sft_tokens, recipe, pc.train_mfu),
                           note=f"{k_sft}·N·D, {s.num_train_epochs:g} epochs; rows: {how}"))
    plan.lines.append(Line("dpo", f"{s.model.split('/')[-1]} ({n_b:.3g}B)", prompts=sum(dpo_rows.values()),
                           input_tokens=round(dpo_tokens),
                           gpu_hours=_gpu_hours(k_dpo * n_b * 1e9 * dpo_tokens, recipe, pc.train_mfu),
                           note=f"{k_dpo}·N·D (policy 6 + re-forward 2 + reference 2), chosen+rejected"))


def _plan_eval(recipe: Recipe, plan: Plan) -> None:
    """Evaluation decoding: per model, every selected task's items x its samples x min(assumed answer tokens, the
    task's max new tokens). Items: the entry's / ``eval.limit``, else the task's expected item count (tiny world:
    its synthetic items)."""
    selected_benchmarks = stage_hook("selected_benchmarks")
    from fusechat.depths import split_revision

    e = recipe.eval
    target_b = params_of(recipe, "target", recipe.sft.model) if recipe.sft is not None else 0.0
    tasks = selected_benchmarks(e)
    for label, path in e.models.items():
        p_b = target_b if path in {"@sft", "@dpo"} else params_of(recipe, label, path)
        flops_b = ACTIVE_PARAMS_B.get(split_revision(path)[0], p_b)
        items = tokens = 0
        for task, entry in tasks:
            limit = entry.limit if entry.limit is not None else e.limit
            tiny = (entry.path or "").startswith("tiny:") and recipe.world.enabled
            n = recipe.world.bench_items if tiny else (task.data.expected_items or 0)
            n = min(n, limit) if limit is not None else n
            cap = task.decoding.max_new_tokens if e.max_new_tokens is None else min(e.max_new_tokens,
                                                                                    task.decoding.max_new_tokens)
            items += n
            tokens += n * task.decoding.n * min(recipe.plan.eval_output_tokens, cap)
        plan.lines.append(Line("eval_generate", f"{label} ({p_b:.3g}B)", prompts=items, output_tokens=0,
                               input_tokens=0,
                               gpu_hours=_gpu_hours(2 * flops_b * 1e9 * tokens, recipe, recipe.plan.decode_mfu),
                               note=f"{len(tasks)} benchmarks, ~{tokens:,} answer tokens"))


#: Every target's recipe at each depth (README, "Three ways to check the paper"), and the command that runs it.
DEPTH_RECIPES: dict[str, tuple[str, str, str]] = {
    t: (f"recipes/depth1/{t}.yaml", f"recipes/depth2/{t}.yaml", f"recipes/{t}.yaml")
    for t in ("llama31_8b", "qwen25_7b", "gemma2_9b", "llama32_3b", "llama32_1b", "wrpo_llama3_8b")
}
#: WRPO's prompts (UltraFeedback) cannot be counted offline; the summary assumes this many (a plan assumption,
#: shown on its line; docs/cost_plan.md). ``data.sources.0.max_prompts=N`` on a single plan sets it.
WRPO_PROMPTS_ASSUMED = 60_000


def depth_command(target: str, depth: int) -> str:
    """The command that runs a target at a depth (recipes/run_*.sh wrap preflight and the environments)."""
    wrpo = target.startswith("wrpo")
    if depth == 1:
        return f"bash recipes/run_depth1.sh recipes/depth1/{target}.yaml"
    if depth == 2:
        return f"bash recipes/{'run_wrpo.sh' if wrpo else 'run_depth2.sh'} recipes/depth2/{target}.yaml"
    return f"bash recipes/{target}.sh"


def depth_summary(targets: list[str]) -> list[dict[str, Any]]:
    """One row per (target, depth): data-build generations, evaluation answers, GPU-hours and the command."""
    from fusechat.recipe import RecipeError, load_recipe

    rows = []
    for target in targets:
        for depth, recipe_file in enumerate(DEPTH_RECIPES[target], start=1):
            row: dict[str, Any] = {"target": target, "depth": depth, "recipe": recipe_file,
                                   "command": depth_command(target, depth), "note": ""}
            try:
                recipe = load_recipe(REPO_ROOT / recipe_file)
                try:
                    plan = make_plan(recipe)
                except PlanError:
                    if recipe.wrpo is None:
                        raise
                    recipe = load_recipe(REPO_ROOT / recipe_file, [f"data.sources.0.max_prompts={WRPO_PROMPTS_ASSUMED}"])
                    plan = make_plan(recipe)
                    row["note"] = f"prompts assumed {WRPO_PROMPTS_ASSUMED:,}"
            except (PlanError, RecipeError) as exc:
                row.update(generations=None, eval_answers=None, gpu_hours=None, note=str(exc))
                rows.append(row)
                continue
            row.update(generations=plan.all_generations,
                       eval_answers=sum(ln.prompts for ln in plan.lines if ln.stage == "eval_generate"),
                       gpu_hours=round(plan.gpu_hours, 1))
            rows.append(row)
    return rows


def render_summary(rows: list[dict[str, Any]]) -> str:
    names = {1: "released models", 2: "released data", 3: "rebuild"}
    out = ["Three ways to check the paper (GPU-hours on the plan's assumptions, docs/cost_plan.md; judge API calls "
           "not included):", f"  {'target':<15}{'depth':<21}{'generations':>13}{'eval answers':>14}{'GPU-h':>9}  "
           "command"]
    for r in rows:
        gens = "—" if r["generations"] is None else f"{r['generations']:,}"
        ev = "—" if r["eval_answers"] is None else f"{r['eval_answers']:,}"
        hours = "—" if r["gpu_hours"] is None else f"{r['gpu_hours']:.1f}"
        note = f"  ({r['note']})" if r["note"] else ""
        out.append(f"  {r['target']:<15}{r['depth']}: {names[r['depth']]:<18}{gens:>13}{ev:>14}{hours:>9}  "
                   f"{r['command']}{note}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    from fusechat.cli import load_or_exit

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", help="plan one recipe; without it, every target at each of the three depths")
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.add_argument("--target", action="append", choices=list(DEPTH_RECIPES),
                   help="without --recipe: only these targets (repeatable)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON instead of a table")
    args = p.parse_args(argv)
    try:
        if args.recipe is None:
            rows = depth_summary(args.target or list(DEPTH_RECIPES))
            print(json.dumps(rows, indent=2) if args.json else render_summary(rows))
            return 0
        recipe = load_or_exit(args.recipe, args.overrides)
        plan = make_plan(recipe)
    except ModuleNotFoundError as exc:
        from fusechat.envhint import missing_module_exit

        missing_module_exit(exc, "python -m fusechat.plan")
    except PlanError as exc:
        print(f"plan error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(plan.as_dict(), indent=2) if args.json else plan.render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
