"""Every named loss, through its trainer's own path (TRL tokenisation, collator, ``get_batch_loss_metrics``), equals
the plain function in ``training/losses.py`` evaluated on log-probs computed here by hand from the same tiny model;
WRPO reduces to DPO at α = 1 and α = 0 and its α schedule is linear in the optimiser steps."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch

from fusechat.recipe import DPOConfig
from training import losses as L  # noqa: N812
from training.dpo import TRAINERS, trl_config

WORDS = "the a cat dog sat ran on mat fast slow red blue is was very good bad answer question why how".split()
PROMPTS = ["why the cat sat", "how the dog ran", "the red mat is", "a blue dog was"]
GOOD = ["the cat sat on the mat", "the dog ran very fast", "good answer", "blue is good"]
TARGET = ["the cat sat", "a dog ran fast fast slow", "a good red answer", "the blue dog is very good"]
BAD = ["bad", "slow slow bad answer", "the mat was red red red", "why"]


@pytest.fixture(scope="module")
def tok():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[EOS]", "[BOS]", "[UNK]", *WORDS])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", eos_token="[EOS]", bos_token="[BOS]",
                                   unk_token="[UNK]")


@pytest.fixture(scope="module")
def models(tok):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
                      pad_token_id=0, eos_token_id=1, bos_token_id=2)
    policy = LlamaForCausalLM(cfg)
    ref = copy.deepcopy(policy)
    with torch.no_grad():  # a reference that differs from the policy, so every log-ratio is non-zero
        for p in ref.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return policy.eval(), ref.eval()


def summed_logps(model, ids: list[int], mask: list[int]) -> tuple[float, int]:
    """Σ log p(token_t | tokens_<t) over positions with mask 1, and their count: computed here, not by TRL."""
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    logp = torch.log_softmax(logits[:-1], -1).gather(-1, torch.tensor(ids[1:])[:, None])[:, 0]
    m = torch.tensor(mask[1:], dtype=torch.bool)
    return logp[m].sum().item(), int(m.sum())


def recipe_cfg(loss: str, **kw) -> DPOConfig:
    base = dict(loss=loss, learning_rate=1e-3, beta=0.5, global_batch_size=4, per_device_train_batch_size=4,
                max_length=64, max_prompt_length=32, bf16=False, gradient_checkpointing=False,
                checkpoint_choice="last")
    return DPOConfig(**{**base, **kw})


def make_trainer(loss: str, tok, models, tmp_path: Path, rows: list[dict], **kw):
    from datasets import Dataset

    cfg = recipe_cfg(loss, **kw)
    trainer_cls, _ = TRAINERS[loss]()
    args = trl_config(cfg, tmp_path / loss, seed=0)
    policy, ref = models
    extra = {} if loss == "simpo" else {"ref_model": copy.deepcopy(ref)}
    return trainer_cls(model=copy.deepcopy(policy), args=args, train_dataset=Dataset.from_list(rows),
                       processing_class=tok, **extra)


def pair_rows() -> list[dict]:
    return [{"prompt": p, "chosen": " " + c, "rejected": " " + r} for p, c, r in zip(PROMPTS, GOOD, BAD, strict=True)]


def dpo_side_logps(model, row: dict, side: str) -> tuple[float, int]:
    p, c = row["prompt_input_ids"], row[f"{side}_input_ids"]
    return summed_logps(model, p + c, [0] * len(p) + [1] * len(c))


@pytest.mark.parametrize("loss", ["dpo", "ln_dpo", "ipo"])
def test_dpo_family_trainer_equals_plain_function(loss: str, tok, models, tmp_path: Path) -> None:
    trainer = make_trainer(loss, tok, models, tmp_path, pair_rows())
    rows = [trainer.train_dataset[i] for i in range(len(PROMPTS))]
    got, metrics = trainer.get_batch_loss_metrics(trainer.model, trainer.data_collator(rows))
    policy, ref = models
    v = {k: torch.tensor([dpo_side_logps(m, r, s)[0] for r in rows])
         for k, m, s in [("pc", policy, "chosen"), ("pr", policy, "rejected"), ("rc", ref, "chosen"),
                         ("rr", ref, "rejected")]}
    lc = torch.tensor([float(len(r["chosen_input_ids"])) for r in rows])
    lr = torch.tensor([float(len(r["rejected_input_ids"])) for r in rows])
    if loss == "dpo":
        want = L.dpo_loss(v["pc"], v["pr"], v["rc"], v["rr"], beta=0.5)
    elif loss == "ln_dpo":
        want = L.ln_dpo_loss(v["pc"], v["pr"], v["rc"], v["rr"], lc, lr, beta=0.5)
    else:
        want = L.ipo_loss(v["pc"], v["pr"], v["rc"], v["rr"], lc, lr, beta=0.5)
    assert math.isclose(got.item(), want.mean().item(), rel_tol=1e-4), (loss, got.item(), want.mean().item())
    assert not math.isclose(want.mean().item(), math.log(2), rel_tol=1e-3)  # the log-ratios are not all zero


def test_dpo_label_smoothing_reaches_trainer(tok, models, tmp_path: Path) -> None:
    trainer = make_trainer("dpo", tok, models, tmp_path, pair_rows(), label_smoothing=0.2)
    rows = [trainer.train_dataset[i] for i in range(len(PROMPTS))]
    got, _ = trainer.get_batch_loss_metrics(trainer.model, trainer.data_collator(rows))
    policy, ref = models
    v = [torch.tensor([dpo_side_logps(m, r, s)[0] for r in rows])
         for m, s in [(policy, "chosen"), (policy, "rejected"), (ref, "chosen"), (ref, "rejected")]]
    assert math.isclose(got.item(), L.dpo_loss(*v, beta=0.5, label_smoothing=0.2).mean().item(), rel_tol=1e-4)


def test_simpo_through_cpo_trainer_equals_plain_function(tok, models, tmp_path: Path) -> None:
    trainer = make_trainer("simpo", tok, models, tmp_path, pair_rows(), simpo_gamma=0.3)
    assert trainer.loss_type == "simpo" and trainer.cpo_alpha == 0.0 and trainer.simpo_gamma == 0.3
    rows = [trainer.train_dataset[i] for i in range(len(PROMPTS))]
    got, _ = trainer.get_batch_loss_metrics(trainer.model, trainer.data_collator(rows))
    policy, _ = models
    side = {s: [summed_logps(policy, r[f"{s}_input_ids"], [int(x != -100) for x in r[f"{s}_labels"]]) for r in rows]
            for s in ("chosen", "rejected")}
    pc, lc = (torch.tensor([float(x[i]) for x in side["chosen"]]) for i in (0, 1))
    pr, lr = (torch.tensor([float(x[i]) for x in side["rejected"]]) for i in (0, 1))
    want = L.simpo_loss(pc, pr, lc, lr, beta=0.5, gamma=0.3).mean()
    assert math.isclose(got.item(), want.item(), rel_tol=1e-4), (got.item(), want.item())


def wrpo_rows() -> list[dict]:
    return [{"prompt": p, "chosen": [" " + ws, " " + wt], "rejected": [" " + lo]}
            for p, ws, wt, lo in zip(PROMPTS, GOOD, TARGET, BAD, strict=True)]


def wrpo_batch_loss(trainer, alpha_step: int, total: int):
    trainer.state.global_step, trainer.state.max_steps = alpha_step, total
    rows = [trainer.train_dataset[i] for i in range(len(PROMPTS))]
    loss, metrics = trainer.get_batch_loss_metrics(trainer.model, trainer.data_collator(rows))
    return loss.item(), metrics, rows


def test_wrpo_trainer_equals_formula_and_reduces_to_dpo(tok, models, tmp_path: Path) -> None:
    trainer = make_trainer("wrpo", tok, models, tmp_path, wrpo_rows(), wrpo_alpha=1.0)
    policy, ref = models
    _, _, rows = wrpo_batch_loss(trainer, 0, 10)
    lp = {(m, s): torch.tensor([dpo_side_logps(model, r, s)[0] for r in rows])
          for m, model in (("p", policy), ("r", ref)) for s in ("chosen", "target", "rejected")}
    dpo_ws = L.dpo_loss(lp["p", "chosen"], lp["p", "rejected"], lp["r", "chosen"], lp["r", "rejected"], 0.5).mean()
    dpo_wt = L.dpo_loss(lp["p", "target"], lp["p", "rejected"], lp["r", "target"], lp["r", "rejected"], 0.5).mean()
    assert not math.isclose(dpo_ws.item(), dpo_wt.item(), rel_tol=1e-3)  # the two reductions are distinguishable
    # α = α_end·k/T: with α_end = 1, k = T gives α = 1 (DPO on y_ws vs y_l); k = 0 gives α = 0 (y_wt vs y_l)
    got1, m1, _ = wrpo_batch_loss(trainer, 10, 10)
    got0, m0, _ = wrpo_batch_loss(trainer, 0, 10)
    assert (m1["alpha"], m0["alpha"]) == (1.0, 0.0)
    assert math.isclose(got1, dpo_ws.item(), rel_tol=1e-4) and math.isclose(got0, dpo_wt.item(), rel_tol=1e-4)
    got_mid, m_mid, _ = wrpo_batch_loss(trainer, 3, 10)
    want = L.wrpo_loss(lp["p", "chosen"], lp["p", "target"], lp["p", "rejected"], lp["r", "chosen"],
                       lp["r", "target"], lp["r", "rejected"], alpha=0.3, beta=0.5).mean()
    assert m_mid["alpha"] == pytest.approx(0.3) and math.isclose(got_mid, want.item(), rel_tol=1e-4)
    src = (0.5 * (lp["p", "chosen"] - lp["r", "chosen"])).mean().item()
    assert m_mid["rewards/source_chosen"] == pytest.approx(src, rel=1e-4)
    for key in ("rewards/chosen", "rewards/target_chosen", "rewards/rejected", "rewards/margins",
                "rewards/accuracies", "rewards/source_accuracies", "rewards/target_accuracies"):
        assert key in m_mid


def test_wrpo_label_smoothing_and_bad_rows(tok, models, tmp_path: Path) -> None:
    trainer = make_trainer("wrpo", tok, models, tmp_path, wrpo_rows(), wrpo_alpha=0.4, label_smoothing=0.1,
                           wrpo_alpha_schedule="constant")
    got, m, rows = wrpo_batch_loss(trainer, 0, 10)
    policy, ref = models
    lp = [torch.tensor([dpo_side_logps(model, r, s)[0] for r in rows])
          for model in (policy, ref) for s in ("chosen", "target", "rejected")]
    assert m["alpha"] == 0.4  # constant α ignores the step
    want = L.wrpo_loss(*lp, alpha=0.4, beta=0.5, label_smoothing=0.1).mean()
    assert math.isclose(got, want.item(), rel_tol=1e-4)
    bad = [{"prompt": "why", "chosen": [" good"], "rejected": [" bad"]}]
    with pytest.raises(ValueError, match="row 0: need chosen=\\[y_ws, y_wt\\]"):
        make_trainer("wrpo", tok, models, tmp_path, bad)


def test_wrpo_alpha_rises_linearly_over_optimiser_steps(tok, models, tmp_path: Path) -> None:
    """α logged at optimiser step k (used during that step, after k−1 completed) is α_end·(k−1)/T."""
    trainer = make_trainer("wrpo", tok, models, tmp_path, wrpo_rows(), wrpo_alpha=0.1,
                           global_batch_size=1, per_device_train_batch_size=1, save_steps=1000)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "alpha" in h]
    total = trainer.state.max_steps
    assert total == 4 and [h["step"] for h in logs] == [1, 2, 3, 4]
    for h in logs:
        assert h["alpha"] == pytest.approx(0.1 * (h["step"] - 1) / total)
    assert trainer.current_alpha() == pytest.approx(0.1)  # after T steps: α_end


def test_alpha_at_is_clamped_and_constant() -> None:
    assert [L.alpha_at(k, 8, 0.1, "linear") for k in (0, 2, 8, 12)] == pytest.approx([0.0, 0.025, 0.1, 0.1])
    assert L.alpha_at(3, 8, 0.1, "constant") == 0.1


def test_plain_functions_match_scalar_formulas() -> None:
    def sig(z: float) -> float:
        return 1 / (1 + math.exp(-z))
    pc, pr, rc, rr, lc, lr, b = -10.0, -14.0, -11.0, -12.0, 5.0, 7.0, 0.3
    t = [torch.tensor([x]) for x in (pc, pr, rc, rr, lc, lr)]
    assert L.dpo_loss(*t[:4], beta=b).item() == pytest.approx(-math.log(sig(b * ((pc - rc) - (pr - rr)))))
    h = (pc - rc) / lc - (pr - rr) / lr
    assert L.ipo_loss(*t, beta=b).item() == pytest.approx((h - 1 / (2 * b)) ** 2)
    assert L.simpo_loss(t[0], t[1], t[4], t[5], beta=b, gamma=0.2).item() == pytest.approx(
        -math.log(sig(b * pc / lc - b * pr / lr - 0.2)))
    ws, wt, lo = (torch.tensor([x]) for x in (-3.0, -4.0, -6.0))
    rws, rwt, rlo = (torch.tensor([x]) for x in (-3.5, -4.2, -5.0))
    z = 0.25 * b * (-3.0 + 3.5) + 0.75 * b * (-4.0 + 4.2) - b * (-6.0 + 5.0)
    assert L.wrpo_loss(ws, wt, lo, rws, rwt, rlo, alpha=0.25, beta=b).item() == pytest.approx(-math.log(sig(z)))
    assert L.wrpo_loss(ws, wt, lo, rws, rwt, rlo, alpha=0.25, beta=b, label_smoothing=0.1).item() == pytest.approx(
        -0.9 * math.log(sig(z)) - 0.1 * math.log(sig(-z)))


def test_registry_matches_recipe_enum() -> None:
    from typing import get_args

    from fusechat.recipe import PreferenceLoss

    assert set(L.LOSSES) == set(get_args(PreferenceLoss)) == set(TRAINERS)
    assert {n for n, s in L.LOSSES.items() if s.length_normalised} == {"ln_dpo", "ipo", "simpo"}
    assert [n for n, s in L.LOSSES.items() if s.data == "multi_chosen"] == ["wrpo"]


def long_rows() -> list[dict]:
    """A 20-word prompt with a 60-word chosen and a 5-word rejected response: 20 + 61 tokens > max_length 64."""
    prompt = " ".join((WORDS * 3)[:20])
    return [{"prompt": prompt, "chosen": " " + " ".join((WORDS[::-1] * 3)[:60]), "rejected": " bad slow bad answer why"}]


@pytest.mark.parametrize("loss", ["dpo", "ln_dpo", "ipo", "wrpo"])
def test_long_rows_are_truncated_as_the_upstream_trainers_do(loss: str, tok, models, tmp_path: Path) -> None:
    """TRL 0.9.6 / WRPO: the whole 20-token prompt stays (it is under max_prompt_length 32); every response is cut
    to max_length - max_prompt_length = 32 tokens. TRL 0.24 alone would keep all 61 response tokens and the last
    3 prompt tokens. The loss is the plain function on exactly the kept tokens (LN-DPO divides by 32 and 6)."""
    rows = long_rows()
    if loss == "wrpo":
        rows = [{"prompt": r["prompt"], "chosen": [r["chosen"], r["chosen"]], "rejected": [r["rejected"]]} for r in rows]
    trainer = make_trainer(loss, tok, models, tmp_path, rows)
    row = trainer.train_dataset[0]
    whole_prompt = tok(rows[0]["prompt"], add_special_tokens=False)["input_ids"]
    chosen_text = rows[0]["chosen"][0] if loss == "wrpo" else rows[0]["chosen"]
    whole_chosen = tok(chosen_text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    assert row["prompt_input_ids"] == whole_prompt and len(whole_prompt) == 20
    assert row["chosen_input_ids"] == whole_chosen[:32] and len(row["rejected_input_ids"]) == 6
    if loss == "wrpo":
        assert row["target_input_ids"] == whole_chosen[:32]
        return
    got, _ = trainer.get_batch_loss_metrics(trainer.model, trainer.data_collator([row]))
    policy, ref = models
    v = {k: torch.tensor([dpo_side_logps(m, row, s)[0]]) for k, m, s in [
        ("pc", policy, "chosen"), ("pr", policy, "rejected"), ("rc", ref, "chosen"), ("rr", ref, "rejected")]}
    lc, lr = torch.tensor([32.0]), torch.tensor([6.0])
    want = {"dpo": lambda: L.dpo_loss(v["pc"], v["pr"], v["rc"], v["rr"], beta=0.5),
            "ln_dpo": lambda: L.ln_dpo_loss(v["pc"], v["pr"], v["rc"], v["rr"], lc, lr, beta=0.5),
            "ipo": lambda: L.ipo_loss(v["pc"], v["pr"], v["rc"], v["rr"], lc, lr, beta=0.5)}[loss]()
    assert math.isclose(got.item(), want.item(), rel_tol=1e-4), (loss, got.item(), want.item())
