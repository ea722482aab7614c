"""Each preference stage's alignment-handbook recipe (``training.handbook_recipe``) uses only argument names the
authors' stack parses: alignment-handbook 5a7ba95 ``ModelArguments`` / ``DataArguments`` plus the training dataclass
of the loss's driver (handbook DPOConfig = trl 0.9.6 DPOConfig over transformers 4.43.3 TrainingArguments; WRPO's
WRPOConfig; trl 0.9.6 CPOConfig for simpo). The field lists are a golden file read from upstream source by
``tools/extract_handbook_fields.py``; ``H4ArgumentParser`` rejects any other key (``allow_extra_keys=False``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fusechat.recipe import load_recipe
from training.dpo import trl_config
from training.handbook_recipe import DRIVERS, handbook_config, write_handbook_recipe

REPO = Path(__file__).resolve().parents[2]
FIELDS = json.loads((REPO / "tests" / "fixtures" / "alignment_handbook_fields.json").read_text())
RECIPES = {"llama31_8b": "ln_dpo", "qwen25_7b": "dpo", "gemma2_9b": "dpo", "wrpo_llama3_8b": "wrpo",
           "wrpo_llama3_8b_target_ipo": "ipo", "wrpo_llama3_8b_target_simpo": "simpo",
           "wrpo_llama3_8b_target_sft_dpo": "dpo"}


def config_for(name: str, tmp_path: Path) -> tuple:
    r = load_recipe(REPO / "recipes" / f"{name}.yaml")
    args = trl_config(r.dpo, tmp_path, r.run.seed, with_eval=r.dpo.checkpoint_choice == "best_of_last_two")
    return r, args.to_dict(), handbook_config(r.dpo, args.to_dict(), "outputs/sft", "data", ["train", "test"])


def test_the_golden_field_list_is_the_authors_stack() -> None:
    assert FIELDS["sources"]["alignment-handbook"].startswith("5a7ba95") and FIELDS["sources"]["trl"] == "0.9.6"
    assert {"model_name_or_path", "torch_dtype"} <= set(FIELDS["ModelArguments"])
    assert {"dataset_mixer", "dataset_splits"} <= set(FIELDS["DataArguments"])
    assert {"beta", "max_prompt_length", "loss_type", "hub_model_revision"} <= set(FIELDS["run_dpo.py"])
    assert {"alpha", "is_dynamic"} <= set(FIELDS["run_wrpo.py"]) - set(FIELDS["run_dpo.py"])
    assert "avg_logp" in FIELDS["run_dpo.py+avg_logp"] and "simpo_gamma" in FIELDS["CPOConfig"]


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_key_is_a_field_the_drivers_parser_accepts(name: str, tmp_path: Path) -> None:
    r, trl, hb = config_for(name, tmp_path)
    assert r.dpo.loss == RECIPES[name]
    accepted = {*FIELDS["ModelArguments"], *FIELDS["DataArguments"], *FIELDS[DRIVERS[r.dpo.loss][1]]}
    assert not set(hb) - accepted, sorted(set(hb) - accepted)
    # the paper's hyperparameters are the ones TRL runs here
    for key in ("learning_rate", "beta", "num_train_epochs", "per_device_train_batch_size",
                "gradient_accumulation_steps", "max_length", "max_prompt_length", "lr_scheduler_type",
                "warmup_ratio", "truncation_mode", "seed"):
        assert hb[key] == trl[key], key
    assert hb["per_device_train_batch_size"] * hb["gradient_accumulation_steps"] * r.dpo.num_gpus == 128
    want = {"ln_dpo": {"loss_type": "sigmoid", "avg_logp": True}, "dpo": {"loss_type": "sigmoid"},
            "ipo": {"loss_type": "ipo"}, "wrpo": {"loss_type": "wrpo", "alpha": 0.1, "is_dynamic": True},
            "simpo": {"loss_type": "simpo", "cpo_alpha": 0.0, "simpo_gamma": r.dpo.simpo_gamma}}[r.dpo.loss]
    assert {k: hb[k] for k in want} == want
    assert hb["model_name_or_path"] == "outputs/sft" and hb["dataset_splits"] == ["train", "test"]


def test_an_unknown_key_would_be_caught(tmp_path: Path) -> None:
    _, _, hb = config_for("qwen25_7b", tmp_path)
    accepted = {*FIELDS["ModelArguments"], *FIELDS["DataArguments"], *FIELDS["run_dpo.py"]}
    assert "wrpo_alpha" not in accepted and "alpha" not in accepted and "avg_logp" not in accepted
    assert set(hb) <= accepted


def test_files_in_the_drivers_layouts(tmp_path: Path) -> None:
    from datasets import load_dataset, load_from_disk

    r = load_recipe(REPO / "recipes" / "wrpo_llama3_8b.yaml")
    msg = [{"role": "user", "content": "why"}]
    row = {"prompt": msg, "chosen": [[{"role": "assistant", "content": "ws"}], [{"role": "assistant", "content": "wt"}]],
           "rejected": [[{"role": "assistant", "content": "l"}]]}
    two_turns = {**row, "prompt": [*msg, {"role": "assistant", "content": "a"}, *msg]}
    path = write_handbook_recipe(tmp_path / "w", r.dpo, {}, "outputs/sft",
                                 {"train": [row, two_turns, row], "test": [row]})
    assert "# rows left out (multi-turn prompt; run_wrpo.py takes one prompt message): 1\n" in path.read_text()
    hb = yaml.safe_load(path.read_text())
    data = load_from_disk(hb["dataset_mixer"])  # run_wrpo.py: datasets.load_from_disk(data_args.dataset_mixer)
    assert (len(data["train"]), len(data["test"])) == (2, 1)
    assert data["train"][0] == {"prompt": msg[0], "chosen": [{"role": "assistant", "content": "ws"},
                                                            {"role": "assistant", "content": "wt"}],
                                "rejected": [{"role": "assistant", "content": "l"}]}
    q = load_recipe(REPO / "recipes" / "qwen25_7b.yaml")
    pair = {"prompt": msg, "chosen": [{"role": "assistant", "content": "a"}],
            "rejected": [{"role": "assistant", "content": "b"}]}
    path = write_handbook_recipe(tmp_path / "q", q.dpo, {}, "outputs/sft", {"train": [pair], "test": [pair]})
    (mixer,) = yaml.safe_load(path.read_text())["dataset_mixer"]
    assert load_dataset(mixer, split="test")[0] == pair  # the handbook's get_datasets: load_dataset(path, split)
