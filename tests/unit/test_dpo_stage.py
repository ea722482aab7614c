"""The preference stage body (``training.dpo.run``) on a tiny model saved to disk: WRPO rows from a WRPO build, the
held-out split, the better of the last two checkpoints copied to ``model/``, α by step in the stats, and the
global-batch guard stopping a launch with the wrong world size."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageContext, StageError
from fusechat.stage_table import WRPO_STAGES
from training import dpo

REPO = Path(__file__).resolve().parents[2]
WORDS = "the a cat dog sat ran on mat fast slow red blue is was very good bad answer question why how".split()


def save_tiny_model(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[EOS]", "[BOS]", "[UNK]", *WORDS])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", eos_token="[EOS]", bos_token="[BOS]",
                                  unk_token="[UNK]")
    tok.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128, pad_token_id=0,
                      eos_token_id=1, bos_token_id=2)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)


def wrpo_rows(n: int) -> list[dict]:
    def msg(role: str, text: str) -> list[dict]:
        return [{"role": role, "content": text}]
    return [{"prompt": msg("user", f"why the {w} sat"), "chosen": [msg("assistant", "good answer very good"),
                                                                    msg("assistant", f"the {w} sat on the mat")],
             "rejected": [msg("assistant", "bad bad")]} for w in (WORDS * 2)[:n]]


def context(tmp_path: Path, *overrides: str) -> StageContext:
    recipe = load_recipe(REPO / "recipes" / "smoke_wrpo.yaml", [f"run.dir={tmp_path}", "dpo.learning_rate=1e-2",
                                                                 "dpo.save_steps=2", *overrides])
    sft = tmp_path / WRPO_STAGES["sft"].folder / "model"
    save_tiny_model(sft)
    build = tmp_path / WRPO_STAGES["wrpo_build"].folder / "trl"
    build.mkdir(parents=True)
    (build / "wrpo.jsonl").write_text("".join(json.dumps(r) + "\n" for r in wrpo_rows(11)))
    out = tmp_path / WRPO_STAGES["dpo"].folder
    out.mkdir(parents=True)
    return StageContext(WRPO_STAGES["dpo"], recipe, out, {"sft": sft.parent, "wrpo_build": build.parent})


def test_wrpo_stage_picks_the_better_of_the_last_two_checkpoints(tmp_path: Path) -> None:
    ctx = context(tmp_path, "dpo.checkpoint_heldout_fraction=0.1")
    result = dpo.run(ctx)
    s = result.stats
    c = result.counts[0]
    assert (c.n_in, c.n_out, c.dropped) == (11, 10, {"heldout_for_checkpoint_choice": 1})
    assert s["trainer"] == "WRPOTrainer" and s["global_steps"] == 5  # 10 rows / batch 2
    assert [x["step"] for x in s["checkpoint_candidates"]] == [4, 5]  # the last two saved: 4 and the final model
    best = max(s["checkpoint_candidates"], key=lambda x: (x["score"], x["step"]))
    assert s["chosen_checkpoint"] == best["step"]
    from safetensors.torch import load_file

    kept = load_file(ctx.out_dir / "model" / "model.safetensors")
    chosen = load_file(ctx.out_dir / "checkpoints" / f"checkpoint-{best['step']}" / "model.safetensors")
    assert all((kept[k] == chosen[k]).all() for k in kept)
    assert s["alpha_by_step"] == pytest.approx({k: 0.1 * (k - 1) / 5 for k in range(1, 6)})
    assert json.loads((ctx.out_dir / "trl_config.json").read_text())["class"] == "WRPOConfig"
    import yaml

    hb = yaml.safe_load((ctx.out_dir / "alignment_handbook" / "config_full.yaml").read_text())
    assert (hb["loss_type"], hb["alpha"], hb["model_name_or_path"]) == ("wrpo", 0.1, str(ctx.input("sft") / "model"))


def test_pairwise_loss_rejects_wrpo_rows_and_wrong_world_size_stops(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a").mkdir()
    ctx = context(tmp_path / "a", "dpo.loss=dpo")
    (ctx.input("wrpo_build") / "trl" / "pairs.jsonl").write_text(
        json.dumps(wrpo_rows(1)[0]) + "\n")
    with pytest.raises(StageError, match="pairs.jsonl: row 0: dpo.loss=dpo needs rows with one chosen"):
        dpo.run(ctx)
    (tmp_path / "b").mkdir()
    ctx = context(tmp_path / "b")
    monkeypatch.setenv("WORLD_SIZE", "4")
    with pytest.raises(StageError, match=r"per-device 2 x accumulation 1 x world size 4 = 8, not the recipe's "
                                         r"global batch 2"):
        dpo.run(ctx)
