"""The alignment-handbook recipe equivalent to a preference stage: a flat ``config_full.yaml`` (model arguments,
data mixer, training fields, as the handbook's ``H4ArgumentParser`` reads it) plus the rows in the layout its driver
loads, written beside the TRL config, so a user of the authors' stack can rerun the same training there.

The authors' stack (WRPO ``requirements.txt`` at e6f2867): alignment-handbook 0.4.0.dev0 (commit 5a7ba95 is the last
of that schema), trl 0.9.6, transformers 4.43.3. Driver per loss (``DRIVERS``):
- ``dpo``, ``ipo``: the handbook's ``scripts/run_dpo.py`` (``loss_type: sigmoid | ipo``);
- ``ln_dpo``: the same driver with the group's ``avg_logp: true`` (FuseChat-3.0 preview DPO config; the switch is
  read by the ``DPOTrainer`` the WRPO repository ships);
- ``wrpo``: WRPO's ``scripts/run_wrpo.py`` (``loss_type: wrpo``, ``alpha``, ``is_dynamic``), which reads a
  ``datasets.load_from_disk`` folder whose rows are ``prompt`` (one user message), ``chosen`` [y_ws, y_wt] and
  ``rejected`` [y_l] as messages;
- ``simpo``: no handbook driver; the fields of trl 0.9.6's ``CPOConfig`` (``loss_type: simpo``, ``cpo_alpha: 0``).

The field names each driver accepts are in ``tests/fixtures/alignment_handbook_fields.json``, read from upstream
source by ``tools/extract_handbook_fields.py``; the test checks every key written here against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fusechat.recipe import DPOConfig

#: loss → (driver, the argument-set name in the golden field list)
DRIVERS: dict[str, tuple[str, str]] = {
    "dpo": ("alignment-handbook scripts/run_dpo.py", "run_dpo.py"),
    "ipo": ("alignment-handbook scripts/run_dpo.py", "run_dpo.py"),
    "ln_dpo": ("alignment-handbook scripts/run_dpo.py with the authors' avg_logp DPOTrainer", "run_dpo.py+avg_logp"),
    "wrpo": ("WRPO scripts/run_wrpo.py", "run_wrpo.py"),
    "simpo": ("trl 0.9.6 CPOTrainer (no handbook driver)", "CPOConfig"),
}
#: TRL config fields carried over by name when the run sets them (training hyperparameters, not run plumbing).
CARRIED = ("learning_rate", "beta", "num_train_epochs", "per_device_train_batch_size", "gradient_accumulation_steps",
           "max_length", "max_prompt_length", "truncation_mode", "lr_scheduler_type", "warmup_ratio", "bf16",
           "gradient_checkpointing", "gradient_checkpointing_kwargs", "optim", "seed", "label_smoothing",
           "save_strategy", "save_steps", "save_only_model", "logging_steps", "eval_strategy", "eval_steps",
           "per_device_eval_batch_size", "weight_decay", "adam_beta1", "adam_beta2", "max_grad_norm")


def handbook_config(cfg: DPOConfig, trl_args: dict[str, Any], model_path: str, data_dir: str,
                    splits: list[str]) -> dict[str, Any]:
    """The flat ``config_full.yaml`` mapping for ``cfg.loss``, with the values of the TRL config that runs here."""
    out: dict[str, Any] = {"model_name_or_path": model_path, "torch_dtype": None}
    out["dataset_mixer"] = data_dir if cfg.loss == "wrpo" else {data_dir: 1.0}  # run_wrpo.py: load_from_disk(path)
    out["dataset_splits"] = splits
    out.update({k: trl_args[k] for k in CARRIED if k in trl_args and trl_args[k] is not None})
    out["bf16"] = cfg.bf16  # the recipe's precision (a CPU run here turns bf16 off; the handbook stack runs on GPUs)
    if "eval_strategy" in out:
        out["do_eval"] = out["eval_strategy"] != "no"
    out["output_dir"] = "outputs/" + cfg.loss
    if cfg.loss in ("dpo", "ipo"):
        out["loss_type"] = "sigmoid" if cfg.loss == "dpo" else "ipo"
    elif cfg.loss == "ln_dpo":
        out.update(loss_type="sigmoid", avg_logp=True)
    elif cfg.loss == "wrpo":
        out.update(loss_type="wrpo", alpha=cfg.wrpo_alpha, is_dynamic=cfg.wrpo_alpha_schedule == "linear")
    else:
        out.update(loss_type="simpo", cpo_alpha=0.0, simpo_gamma=cfg.simpo_gamma)
    return out


def wrpo_row(row: dict[str, Any]) -> dict[str, Any]:
    """A WRPO row (prompt messages, chosen [y_ws, y_wt], rejected [y_l]) in run_wrpo.py's layout: ``prompt`` is one
    user message, each response one assistant message. A multi-turn prompt cannot be written (ValueError)."""
    prompt = row["prompt"]
    if isinstance(prompt, list):
        if len(prompt) != 1:
            raise ValueError(f"run_wrpo.py takes one prompt message (got {len(prompt)})")
        prompt = prompt[0]
    if isinstance(prompt, str):
        prompt = {"role": "user", "content": prompt}

    def message(y: Any) -> dict[str, str]:
        if isinstance(y, list):
            (y,) = y
        return y if isinstance(y, dict) else {"role": "assistant", "content": y}

    return {"prompt": prompt, "chosen": [message(y) for y in row["chosen"]],
            "rejected": [message(y) for y in row["rejected"]]}


def write_handbook_recipe(folder: Path, cfg: DPOConfig, trl_args: dict[str, Any], model_path: str,
                          splits: dict[str, list[dict[str, Any]]]) -> Path:
    """Write ``folder/config_full.yaml`` and the rows (``folder/data``: ``train.jsonl``/``test.jsonl`` for the
    handbook's loader, a ``save_to_disk`` folder for run_wrpo.py). Returns the YAML path."""
    import yaml

    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    dropped = 0
    if cfg.loss == "wrpo":
        from datasets import Dataset, DatasetDict

        def expressible(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            nonlocal dropped
            out = []
            for r in rows:
                try:
                    out.append(wrpo_row(r))
                except ValueError:
                    dropped += 1
            return out

        DatasetDict({k: Dataset.from_list(expressible(rows)) for k, rows in splits.items()}).save_to_disk(
            str(data_dir))
    else:
        for name, rows in splits.items():
            (data_dir / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    driver, _ = DRIVERS[cfg.loss]
    path = folder / "config_full.yaml"
    body = yaml.safe_dump(handbook_config(cfg, trl_args, model_path, str(data_dir), list(splits)), sort_keys=False)
    note = f"# rows left out (multi-turn prompt; run_wrpo.py takes one prompt message): {dropped}\n" if dropped else ""
    path.write_text(f"# {driver}; alignment-handbook 5a7ba95, trl 0.9.6, transformers 4.43.3\n"
                    f"# accelerate launch --config_file <deepspeed_zero3.yaml> <driver> {path.name}\n{note}{body}",
                    encoding="utf-8")
    return path
