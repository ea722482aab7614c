"""SFT/DPO construction by the paper's per-domain rules (blog, "Filtering"; docs/method.md).

- **Instruction following** (``general``): prompts are split 4:6 into SFT:DPO (``build.sft_ratio``; a seeded
  shuffle per source). SFT takes the single highest-RM response across all source models. DPO takes, *within one
  source model*, that model's highest-RM response as chosen and its lowest-RM response as rejected, and keeps the
  pair only if ``rm_gap_min <= RM(chosen) - RM(rejected) <= rm_gap_max`` (0.01 and 0.1). When several source
  models qualify, ``build.pair_choice`` decides (paper silent; default ``best_chosen``: the pair whose chosen
  response has the highest RM).
- **Math**: DPO pairs are built first — same source model, chosen = correct with highest RM, rejected = incorrect
  with lowest RM, same gap window; "the left data samples are reserved for the SFT phase, incorporating correct
  answers with the highest RM scores". Prompts with no correct response are dropped. The dataset's
  Llama-3.1-405B solution is a single response, so it never forms a same-model pair: it can only serve SFT.
- **Code**: "a dual-scoring system: ArmoRM annotation of code segments and additional points for passing both
  static and dynamic checks" (``build.code_scoring: dual``; ``gate`` ranks by RM alone). SFT takes a response
  "that passed all tests with the highest RM scores"; DPO contrasts the highest-scoring test-passing response with
  the lowest-scoring test-failing one (same source model and RM window: ``build.code_same_model``,
  ``build.code_rm_window``, paper silent). Prompts where every response fails are dropped ("We excluded cases
  where all model responses failed"); prompts without verdicts (``not_checked``) are dropped as ``not_verified``.
  Whether a code prompt may give both an SFT row and a DPO pair is ``build.code_prompts`` (paper silent).
- **Grader failures**: a math response whose grading errored or timed out, or a code response the sandbox could not
  judge (``error``), is neither correct nor incorrect (``build.grader_failures: neither``): it is left out of the
  candidates and counted by reason. The blog's negatives are "incorrect answers", not failures of our grader.
- **Chinese**: SFT only (no Chinese RM), the best-RM Qwen2.5-72B-Instruct response.

Every prompt ends in SFT, in DPO (a shared code prompt in both), or in ``dropped`` with its reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from fusechat.recipe import BuildConfig

CORRECT = {"correct", "passed"}
INCORRECT = {"incorrect", "no_answer", "failed", "timeout", "error", "memory", "crashed", "syntax_error",
             "output_limit", "no_code", "static_fail"}
STATIC_FAIL = {"no_code", "syntax_error", "static_fail"}  # code verdicts of responses failing the static checks
GRADER_FAILURES = {"math": {"error": "grader_error", "timeout": "grader_timeout"},
                   "code": {"error": "sandbox_error"}}  # a code ``timeout`` is the program's own failure


@dataclass(frozen=True)
class Candidate:
    model: str
    sample_index: int
    score: float  # the RM score
    status: str  # verdict: correct / incorrect / … / not_applicable / not_checked
    points: float = 0.0  # code dual scoring: points for passing the static checks and the tests

    @property
    def total(self) -> float:
        """The ranking score: RM plus points (points are 0 outside code dual scoring)."""
        return self.score + self.points


@dataclass(frozen=True)
class Pair:
    model: str  # the chosen response's source model (and the rejected one's under the same-model rule)
    chosen: Candidate
    rejected: Candidate

    @property
    def gap(self) -> float:
        """Gap of the ranking scores (RM, plus points under code dual scoring)."""
        return self.chosen.total - self.rejected.total

    @property
    def rm_gap(self) -> float:
        return self.chosen.score - self.rejected.score


def in_window(gap: float, cfg: BuildConfig) -> bool:
    return cfg.rm_gap_min <= gap <= cfg.rm_gap_max


def best(cands: list[Candidate]) -> Candidate:
    """Highest ranking score; ties broken by (model, sample_index) so the choice is deterministic."""
    return max(cands, key=lambda c: (c.total, c.model, -c.sample_index))


def worst(cands: list[Candidate]) -> Candidate:
    return min(cands, key=lambda c: (c.total, c.model, c.sample_index))


def by_model(cands: list[Candidate]) -> dict[str, list[Candidate]]:
    """Candidates grouped by source model, models in sorted order (pairs never cross source models)."""
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        groups[c.model].append(c)
    return dict(sorted(groups.items()))


def instruction_pairs(cands: list[Candidate], cfg: BuildConfig) -> list[Pair]:
    """Per source model: its best vs its worst response, kept if the RM gap is inside the window."""
    pairs = []
    for model, group in by_model(cands).items():
        if len(group) < 2:
            continue
        p = Pair(model, best(group), worst(group))
        if in_window(p.gap, cfg):
            pairs.append(p)
    return pairs


def verified_pairs(cands: list[Candidate], cfg: BuildConfig) -> list[Pair]:
    """Math: per source model, best-RM correct vs lowest-RM incorrect, kept if the RM gap is inside the window."""
    pairs = []
    for model, group in by_model(cands).items():
        good = [c for c in group if c.status in CORRECT]
        bad = [c for c in group if c.status in INCORRECT]
        if good and bad:
            p = Pair(model, best(good), worst(bad))
            if in_window(p.gap, cfg):
                pairs.append(p)
    return pairs


def code_points(status: str, cfg: BuildConfig) -> float:
    """Dual scoring's "additional points for passing both static and dynamic checks" (0 under ``gate``)."""
    if cfg.code_scoring == "gate":
        return 0.0
    static_ok = status not in STATIC_FAIL and status != "not_checked"
    return cfg.code_static_points * static_ok + cfg.code_test_points * (status in CORRECT)


def code_pairs(cands: list[Candidate], cfg: BuildConfig) -> list[Pair]:
    """Code: the highest-scoring test-passing response vs the lowest-scoring test-failing one.

    Scores are RM plus points (``code_points``); per source model unless ``code_same_model`` is false (then one
    pair over all models); the chosen must out-score the rejected, and ``code_rm_window`` adds the RM window.
    """
    scored = [dataclasses.replace(c, points=code_points(c.status, cfg)) for c in cands]
    groups = by_model(scored) if cfg.code_same_model else {"*": scored}
    pairs = []
    for group in groups.values():
        good = [c for c in group if c.status in CORRECT]
        bad = [c for c in group if c.status in INCORRECT]
        if not (good and bad):
            continue
        chosen = best(good)
        p = Pair(chosen.model, chosen, worst(bad))
        if p.gap > 0 and (not cfg.code_rm_window or in_window(p.rm_gap, cfg)):
            pairs.append(p)
    return pairs


def choose_pair(pairs: list[Pair], cfg: BuildConfig, rng: random.Random) -> Pair:
    """Which qualifying source model's pair to keep (paper silent; ``build.pair_choice``)."""
    if cfg.pair_choice == "best_chosen":
        return max(pairs, key=lambda p: (p.chosen.total, p.model))
    if cfg.pair_choice == "max_gap":
        return max(pairs, key=lambda p: (p.gap, p.model))
    if cfg.pair_choice == "min_gap":
        return min(pairs, key=lambda p: (p.gap, p.model))
    return rng.choice(sorted(pairs, key=lambda p: p.model))


@dataclass
class BuildResult:
    sft: list[dict[str, Any]]
    dpo: list[dict[str, Any]]
    dropped: Counter[str]  # prompts, by reason
    shortfall: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    ungraded: Counter[str] = field(default_factory=Counter)  # responses left out as neither side, by reason

    @property
    def prompts_used(self) -> int:
        """Distinct prompts in SFT or DPO (a shared code prompt counts once)."""
        return len({r["prompt_id"] for r in self.sft} | {r["prompt_id"] for r in self.dpo})


def seeded_order(ids: list[str], seed: int) -> list[str]:
    return sorted(ids, key=lambda pid: hashlib.sha256(f"{seed}:{pid}".encode()).hexdigest())


def split_sft(prompt_ids: list[str], ratio: float, seed: int) -> set[str]:
    """The 4:6 SFT:DPO prompt split: a seeded order (hash of seed and id), the first round(ratio·n) go to SFT."""
    return set(seeded_order(prompt_ids, seed)[: round(ratio * len(prompt_ids))])


def graded(domain: str, cands: list[Candidate], cfg: BuildConfig, ungraded: Counter[str]) -> list[Candidate]:
    """Leave out responses whose grading failed (``build.grader_failures: neither``), counting them by reason."""
    failures = GRADER_FAILURES.get(domain, {})
    if cfg.grader_failures == "incorrect" or not failures:
        return cands
    kept = []
    for c in cands:
        if c.status in failures:
            ungraded[failures[c.status]] += 1
        else:
            kept.append(c)
    return kept


def _options(p: dict[str, Any], cands: list[Candidate], cfg: BuildConfig,
             rng: random.Random) -> tuple[Pair | None, Candidate | None, str]:
    """What a prompt can give: (its DPO pair or None, its SFT response or None, the reason when neither)."""
    domain = p["domain"]
    if domain == "general":
        pairs = instruction_pairs(cands, cfg)
        return (choose_pair(pairs, cfg, rng) if pairs else None), best(cands), "no_pair_in_gap_window"
    if domain in ("math", "code"):
        if domain == "code" and all(c.status == "not_checked" for c in cands):
            return None, None, "not_verified"
        pairs = verified_pairs(cands, cfg) if domain == "math" else code_pairs(cands, cfg)
        good = [c for c in cands if c.status in CORRECT]  # SFT: a passing/correct response with the highest RM
        reason = "no_correct_response" if domain == "math" else "all_responses_fail_tests"
        return (choose_pair(pairs, cfg, rng) if pairs else None), (best(good) if good else None), reason
    if domain == "chinese":
        return None, best(cands), "no_scored_response"
    raise ValueError(f"unknown domain {domain!r}")  # pragma: no cover - the recipe schema forbids it


def shares_prompts(domain: str, cfg: BuildConfig) -> bool:
    """True when a prompt of ``domain`` may give both an SFT row and a DPO pair (``build.code_prompts``)."""
    return domain == "code" and cfg.code_prompts == "shared"


def build(prompts: list[dict[str, Any]], cands_by_prompt: dict[str, list[Candidate]], cfg: BuildConfig,
          seed: int, quotas: dict[str, tuple[int, int]] | None = None) -> BuildResult:
    """Apply the per-domain rules; every prompt ends in SFT, DPO or ``dropped`` with a reason.

    Without quotas: general prompts are split 4:6 first (SFT prompts take their best response; DPO prompts keep a
    pair or are dropped), math/code prompts go to DPO when a verified pair exists, else to SFT with their best
    correct response (a shared code prompt with a pair goes to both). With quotas (``data.release``), each source
    fills exactly its published (SFT, DPO) counts: DPO first, from prompts with a qualifying pair in a seeded
    order, then SFT from the remaining prompts (shared code prompts: then from the DPO prompts, when the remaining
    ones run out); ``sft_ratio`` is not used. Prompts left over are dropped as ``over_quota``; an unfilled target is a shortfall with its reason.
    """
    rng = random.Random(seed)
    result = BuildResult([], [], Counter())
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in prompts:
        by_source[p["source"]].append(p)
    for source in sorted(by_source):
        plist = by_source[source]
        options: dict[str, tuple[Pair | None, Candidate | None, str]] = {}
        for p in plist:
            scored = [c for c in cands_by_prompt.get(p["id"], []) if math.isfinite(c.score)]
            cands = graded(p["domain"], scored, cfg, result.ungraded)
            if cands:
                options[p["id"]] = _options(p, cands, cfg, rng)
            else:
                options[p["id"]] = (None, None, "all_grading_failed" if scored else "no_scored_response")
        if quotas is None:
            _assign_by_rule(plist, options, cfg, seed, result)
        else:
            _assign_by_quota(source, plist, options, quotas.get(source, (0, 0)), seed, result,
                             shared=any(shares_prompts(p["domain"], cfg) for p in plist))
    return result


def _assign_by_rule(plist: list[dict[str, Any]], options: dict, cfg: BuildConfig, seed: int,
                    result: BuildResult) -> None:
    general = [p["id"] for p in plist if p["domain"] == "general"]
    sft_general = split_sft(general, cfg.sft_ratio, seed)
    for p in plist:
        pair, sft, reason = options[p["id"]]
        if sft is None and pair is None:
            result.dropped[reason] += 1
        elif p["domain"] == "general":
            if p["id"] in sft_general:
                result.sft.append(_sft_row(p, sft))
            elif pair is not None:
                result.dpo.append(_dpo_row(p, pair))
            else:
                result.dropped[reason] += 1
        elif pair is not None:
            result.dpo.append(_dpo_row(p, pair))
            if sft is not None and shares_prompts(p["domain"], cfg):
                result.sft.append(_sft_row(p, sft))
        elif sft is not None:
            result.sft.append(_sft_row(p, sft))
        else:
            result.dropped[reason] += 1


def _assign_by_quota(source: str, plist: list[dict[str, Any]], options: dict, target: tuple[int, int], seed: int,
                     result: BuildResult, shared: bool = False) -> None:
    want_sft, want_dpo = target
    by_id = {p["id"]: p for p in plist}
    order = seeded_order(list(by_id), seed)
    dpo_ids = [pid for pid in order if options[pid][0] is not None][:want_dpo]
    in_dpo = set(dpo_ids)
    sft_ids = [pid for pid in order if pid not in in_dpo and options[pid][1] is not None]
    if shared:  # prompts outside DPO first; a DPO prompt gives an SFT row only when those run out
        sft_ids += [pid for pid in dpo_ids if options[pid][1] is not None]
    sft_ids = sft_ids[:want_sft]
    used = set(dpo_ids) | set(sft_ids)
    result.dpo.extend(_dpo_row(by_id[pid], options[pid][0]) for pid in dpo_ids)  # both already in seeded order
    result.sft.extend(_sft_row(by_id[pid], options[pid][1]) for pid in sft_ids)
    for pid in order:
        if pid in used:
            continue
        pair, sft, reason = options[pid]
        result.dropped["over_quota" if (pair is not None or sft is not None) else reason] += 1
    short: dict[str, dict[str, Any]] = {}
    if len(dpo_ids) < want_dpo:
        short["dpo"] = {"wanted": want_dpo, "got": len(dpo_ids), "reason": "too few prompts with a qualifying pair"}
    if len(sft_ids) < want_sft:
        short["sft"] = {"wanted": want_sft, "got": len(sft_ids),
                        "reason": "too few prompts with a usable response" + ("" if shared else " left after DPO")}
    if short:
        result.shortfall[source] = short


def _sft_row(p: dict[str, Any], c: Candidate) -> dict[str, Any]:
    """An SFT decision: which response (by key) answers the prompt. Texts are joined in at export."""
    return {"prompt_id": p["id"], "source": p["source"], "domain": p["domain"], "source_model": c.model,
            "sample_index": c.sample_index, "score": c.score}


def _dpo_row(p: dict[str, Any], pair: Pair) -> dict[str, Any]:
    """A DPO decision: chosen and rejected responses (by key); ``rejected_model`` differs from ``source_model``
    only for cross-model code pairs (``build.code_same_model: false``). Scores are the RM scores."""
    return {"prompt_id": p["id"], "source": p["source"], "domain": p["domain"], "source_model": pair.model,
            "chosen_index": pair.chosen.sample_index, "rejected_model": pair.rejected.model,
            "rejected_index": pair.rejected.sample_index, "chosen_score": pair.chosen.score,
            "rejected_score": pair.rejected.score}
