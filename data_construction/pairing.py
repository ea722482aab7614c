"""SFT/DPO construction by the paper's per-domain rules (blog §Filtering; research/upstream.md §1.4).

- **Instruction following** (``general``): prompts are split 4:6 into SFT:DPO (``build.sft_ratio``; a seeded
  shuffle per source). SFT takes the single highest-RM response across all source models. DPO takes, *within one
  source model*, that model's highest-RM response as chosen and its lowest-RM response as rejected, and keeps the
  pair only if ``rm_gap_min <= RM(chosen) - RM(rejected) <= rm_gap_max`` (0.01 and 0.1). When several source
  models qualify, ``build.pair_choice`` decides (paper silent; default ``best_chosen``: the pair whose chosen
  response has the highest RM).
- **Math**: DPO pairs are built first — same source model, chosen = correct with highest RM, rejected = incorrect
  with lowest RM, same gap window; "the left data samples are reserved for the SFT phase, incorporating correct
  answers with the highest RM scores". Prompts with no correct response are dropped.
- **Code** follows the math rule with "passes the tests" as correctness; prompts where every response fails are
  dropped ("We excluded cases where all model responses failed"). Until the sandbox stage lands, code prompts
  without verdicts are dropped as ``not_verified``.
- **Chinese**: SFT only (no Chinese RM), the best-RM Qwen2.5-72B-Instruct response.

Every prompt ends in SFT, in DPO, or in ``dropped`` with its reason.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from fusechat.recipe import BuildConfig

CORRECT = {"correct", "passed"}
INCORRECT = {"incorrect", "no_answer", "failed", "timeout", "error", "memory", "crashed", "syntax_error"}


@dataclass(frozen=True)
class Candidate:
    model: str
    sample_index: int
    text: str
    score: float
    status: str  # verdict: correct / incorrect / … / not_applicable / not_checked


@dataclass(frozen=True)
class Pair:
    model: str
    chosen: Candidate
    rejected: Candidate

    @property
    def gap(self) -> float:
        return self.chosen.score - self.rejected.score


def in_window(gap: float, cfg: BuildConfig) -> bool:
    return cfg.rm_gap_min <= gap <= cfg.rm_gap_max


def best(cands: list[Candidate]) -> Candidate:
    """Highest RM; ties broken by (model, sample_index) so the choice is deterministic."""
    return max(cands, key=lambda c: (c.score, c.model, -c.sample_index))


def worst(cands: list[Candidate]) -> Candidate:
    return min(cands, key=lambda c: (c.score, c.model, c.sample_index))


def instruction_pairs(cands: list[Candidate], cfg: BuildConfig) -> list[Pair]:
    """Per source model: its best vs its worst response, kept if the RM gap is inside the window."""
    by_model: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_model[c.model].append(c)
    pairs = []
    for model in sorted(by_model):
        group = by_model[model]
        if len(group) < 2:
            continue
        p = Pair(model, best(group), worst(group))
        if in_window(p.gap, cfg):
            pairs.append(p)
    return pairs


def verified_pairs(cands: list[Candidate], cfg: BuildConfig) -> list[Pair]:
    """Per source model: best-RM correct vs lowest-RM incorrect, kept if the RM gap is inside the window."""
    by_model: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_model[c.model].append(c)
    pairs = []
    for model in sorted(by_model):
        good = [c for c in by_model[model] if c.status in CORRECT]
        bad = [c for c in by_model[model] if c.status in INCORRECT]
        if good and bad:
            p = Pair(model, best(good), worst(bad))
            if in_window(p.gap, cfg):
                pairs.append(p)
    return pairs


def choose_pair(pairs: list[Pair], cfg: BuildConfig, rng: random.Random) -> Pair:
    """Which qualifying source model's pair to keep (paper silent; ``build.pair_choice``)."""
    if cfg.pair_choice == "best_chosen":
        return max(pairs, key=lambda p: (p.chosen.score, p.model))
    if cfg.pair_choice == "max_gap":
        return max(pairs, key=lambda p: (p.gap, p.model))
    if cfg.pair_choice == "min_gap":
        return min(pairs, key=lambda p: (p.gap, p.model))
    return rng.choice(sorted(pairs, key=lambda p: p.model))


def split_sft(prompt_ids: list[str], ratio: float, seed: int) -> set[str]:
    """The 4:6 SFT:DPO prompt split: a seeded order (hash of seed and id), the first round(ratio·n) go to SFT."""
    order = sorted(prompt_ids, key=lambda pid: hashlib.sha256(f"{seed}:{pid}".encode()).hexdigest())
    return set(order[: round(ratio * len(order))])


def build(prompts: list[dict[str, Any]], cands_by_prompt: dict[str, list[Candidate]], cfg: BuildConfig,
          seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Counter[str]]:
    """Apply the per-domain rules; return (sft rows, dpo rows, drop reasons by prompt)."""
    rng = random.Random(seed)
    dropped: Counter[str] = Counter()
    sft: list[dict[str, Any]] = []
    dpo: list[dict[str, Any]] = []
    general_by_source: dict[str, list[str]] = defaultdict(list)
    for p in prompts:
        if p["domain"] == "general":
            general_by_source[p["source"]].append(p["id"])
    sft_general: set[str] = set()
    for ids in general_by_source.values():
        sft_general |= split_sft(ids, cfg.sft_ratio, seed)

    for p in prompts:
        cands = [c for c in cands_by_prompt.get(p["id"], []) if math.isfinite(c.score)]
        if not cands:
            dropped["no_scored_response"] += 1
            continue
        domain = p["domain"]
        if domain == "general":
            if p["id"] in sft_general:
                sft.append(_sft_row(p, best(cands)))
                continue
            pairs = instruction_pairs(cands, cfg)
            if not pairs:
                dropped["no_pair_in_gap_window"] += 1
                continue
            dpo.append(_dpo_row(p, choose_pair(pairs, cfg, rng)))
        elif domain in ("math", "code"):
            if domain == "code" and all(c.status == "not_checked" for c in cands):
                dropped["not_verified"] += 1
                continue
            pairs = verified_pairs(cands, cfg)
            if pairs:
                dpo.append(_dpo_row(p, choose_pair(pairs, cfg, rng)))
                continue
            good = [c for c in cands if c.status in CORRECT]
            if not good:
                dropped["no_correct_response" if domain == "math" else "all_responses_fail_tests"] += 1
                continue
            sft.append(_sft_row(p, best(good)))
        elif domain == "chinese":
            sft.append(_sft_row(p, best(cands)))
        else:  # pragma: no cover - the recipe schema forbids other domains
            raise ValueError(f"unknown domain {domain!r}")
    return sft, dpo, dropped


def _sft_row(p: dict[str, Any], c: Candidate) -> dict[str, Any]:
    return {
        "prompt_id": p["id"], "source": p["source"], "domain": p["domain"], "source_model": c.model,
        "messages": [*p["messages"], {"role": "assistant", "content": c.text}], "score": c.score,
    }


def _dpo_row(p: dict[str, Any], pair: Pair) -> dict[str, Any]:
    return {
        "prompt_id": p["id"], "source": p["source"], "domain": p["domain"], "source_model": pair.model,
        "prompt": p["messages"], "chosen": pair.chosen.text, "rejected": pair.rejected.text,
        "chosen_score": pair.chosen.score, "rejected_score": pair.rejected.score,
    }
