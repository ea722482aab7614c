"""Every preference loss's held-out loss on one fixed batch, through the stage's own trainer construction
(``training.dpo.trl_config`` + ``training.dpo.build_trainer``), printed as one JSON line by rank 0.

Run it plainly (one process, no DeepSpeed) or under ``accelerate launch --config_file
training/configs/accelerate_zero3.yaml --num_processes 2`` (DeepSpeed ZeRO-3 over gloo on CPU): the two must print
the same losses (tests/unit/test_zero3_launch.py). ``python tests/launch/zero3_losses.py MODEL REF_MODEL OUT_DIR [LOSS …]`` (π_ref from another checkpoint of the same
tokenizer, so the reference-based losses are not all log 2 at the first step).
Under ZeRO-3 the construction itself is what the reference-model fix is about: TRL refuses to deep-copy a
partitioned policy, so every loss with π_ref needs it loaded explicitly.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PROMPTS = ["Name a colour.", "What is 2+3?", "Say hello.", "Give one fruit."]
CHOSEN = ["Blue is a colour.", "2+3 = 5.", "Hello there!", "An apple."]
TARGET = ["Red.", "It is 5.", "Hi!", "A pear is a fruit."]
REJECTED = ["No.", "Seven", "Goodbye forever and ever.", "Rocks."]
LOSS_NAMES = ("dpo", "ln_dpo", "ipo", "simpo", "wrpo")


def rows(loss: str) -> list[dict]:
    """Four fixed rows in the stage's data shape for ``loss`` (pairs, or WRPO's chosen=[y_ws, y_wt])."""
    def msg(text: str) -> list[dict]:
        return [{"role": "assistant", "content": text}]

    out = []
    for p, c, t, r in zip(PROMPTS, CHOSEN, TARGET, REJECTED, strict=True):
        row = {"prompt": [{"role": "user", "content": p}], "rejected": msg(r)}
        row["chosen"] = [msg(c), msg(t)] if loss == "wrpo" else msg(c)
        if loss == "wrpo":
            row["rejected"] = [msg(r)]
        out.append(row)
    return out


def main(model: str, ref: str, out_dir: str, losses: list[str]) -> dict[str, float]:
    import torch
    from datasets import Dataset
    from transformers import AutoTokenizer

    from fusechat.recipe import DPOConfig
    from training.dpo import build_trainer, trl_config

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    result: dict[str, float] = {}
    for loss in losses:
        extra = {"wrpo_alpha": 0.5, "wrpo_alpha_schedule": "constant"} if loss == "wrpo" else {}
        cfg = DPOConfig(loss=loss, beta=2.0 if loss != "ipo" else 0.1, learning_rate=1e-4, global_batch_size=2,
                        per_device_train_batch_size=1, num_gpus=2, max_length=64, max_prompt_length=32, bf16=False,
                        gradient_checkpointing=False, per_device_eval_batch_size=1, **extra)
        args = trl_config(cfg, Path(out_dir) / loss, seed=0)
        data = Dataset.from_list(rows(loss))
        trainer = build_trainer(loss, model, args, data, data, tok, torch.float32, ref_init=ref)
        result[loss] = float(trainer.evaluate()["eval_loss"])
    return result


if __name__ == "__main__":
    got = main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:] or list(LOSS_NAMES))
    if os.environ.get("RANK", "0") == "0":
        print("ZERO3_LOSSES " + json.dumps({"world_size": int(os.environ.get("WORLD_SIZE", "1")), "losses": got}))
