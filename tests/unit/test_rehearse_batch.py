"""The rehearsal's batch scaling (``fusechat.rehearse``): the recipe's per-device batch and accumulation, lowered only
as far as the tiny world's few rows need for the minimum optimiser steps, and a packing SFT (WRPO's Target-SFT)
counted in packed blocks, not rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from fusechat.cli import load_or_exit
from fusechat.rehearse import (
    MIN_PREF_STEPS,
    MIN_SFT_STEPS,
    WORLD_SIZE,
    batch_plan,
    packed_blocks,
    packing_block,
    rehearsal_tree,
    sft_examples_of,
)


def _steps(section: dict, examples: int) -> int:
    acc = section["global_batch_size"] // (section["per_device_train_batch_size"] * WORLD_SIZE)
    assert section["per_device_train_batch_size"] * WORLD_SIZE * acc == section["global_batch_size"]
    return math.floor(examples * section["num_train_epochs"] / section["global_batch_size"])


def test_batch_plan_lowers_accumulation_before_per_device_batch() -> None:
    assert batch_plan(2, 8, 14, 3, 1) == (2, 1)      # 14 rows / (2 x 2) = 3 steps at accumulation 1
    assert batch_plan(2, 8, 64, 3, 1) == (2, 5)      # 64 / (2 x 2 x 5) = 3.2
    assert batch_plan(8, 2, 16, 2, 1) == (4, 1)      # 16 blocks: 4 per process per step gives 2 steps
    assert batch_plan(8, 2, 4, 2, 1) == (1, 1)       # 4 blocks: only 1 per process per step gives 2 steps
    assert batch_plan(8, 2, 1000, 2, 1) == (8, 2)    # enough rows: the recipe's own values


def test_target_recipe_keeps_its_batch() -> None:
    """llama31_8b with the tiny world's 24 SFT rows and 14 trained pairs (README: 2 x 8 x 2 = 32, then 2 x 1 x 2)."""
    tree = rehearsal_tree(load_or_exit("recipes/llama31_8b.yaml", []), "llama31_8b", 24, 14)
    assert (tree["sft"]["per_device_train_batch_size"], tree["sft"]["global_batch_size"]) == (2, 32)
    assert (tree["dpo"]["per_device_train_batch_size"], tree["dpo"]["global_batch_size"]) == (2, 4)
    assert "cutoff_len" in tree["sft"] and tree["sft"]["cutoff_len"] == 256


def test_packing_sft_reaches_two_steps_on_few_rows() -> None:
    """WRPO's Target-SFT packs into cutoff_len blocks: 7 rows of ~50 tokens fill 2 blocks of 256 (1 step at any
    batch); the rehearsal halves the block and lowers the per-device batch until its blocks give 2 steps."""
    recipe = load_or_exit("recipes/wrpo_llama3_8b.yaml", [])
    assert recipe.sft.packing

    def count(block: int) -> int:  # 7 rows of 50 tokens, greedy-packed
        return math.ceil(7 / max(1, block // 50))

    block, blocks = packing_block(recipe.sft, count)
    tree = rehearsal_tree(recipe, "wrpo_llama3_8b", blocks, 13, block)
    assert tree["sft"]["cutoff_len"] == block < 256 and tree["sft"]["packing"] is True
    assert _steps(tree["sft"], blocks) >= MIN_SFT_STEPS
    assert _steps(tree["dpo"], 13) >= MIN_PREF_STEPS


@pytest.fixture(scope="module")
def tiny_llama() -> str:
    from fusechat.tiny_world import resolve

    return resolve("tiny:Llama-3.1-8B-Instruct")


def test_packed_blocks_counts_llamafactory_packing(tmp_path: Path, tiny_llama: str) -> None:
    rows = tmp_path / "sft.jsonl"
    text = "A good tip: learn about gardens slowly. " * 2
    rows.write_text("".join(json.dumps({"conversations": [{"from": "human", "value": f"Question {i}?"},
                                                          {"from": "gpt", "value": text}]}) + "\n" for i in range(6)))
    one = packed_blocks(rows, tiny_llama, "llama3", 4096, True)
    each = packed_blocks(rows, tiny_llama, "llama3", 40, True)
    assert one == 1 and each == 6


def test_sft_examples_are_packed_blocks_for_a_packing_recipe(tmp_path: Path, tiny_llama: str) -> None:
    """The plain and the SLURM rehearsal size SFT with one helper: rows for FuseChat's SFT, packed blocks (and a
    smaller block) for WRPO's packing Target-SFT (the SLURM path once passed WRPO's row count as its examples)."""
    rows = tmp_path / "sft.jsonl"
    text = "A good tip: learn about gardens slowly. " * 2
    rows.write_text("".join(json.dumps({"conversations": [{"from": "human", "value": f"Question {i}?"},
                                                          {"from": "gpt", "value": text}]}) + "\n" for i in range(6)))
    plain = load_or_exit("recipes/llama31_8b.yaml", [])
    assert sft_examples_of(plain, plain, rows) == (6, None)
    wrpo = load_or_exit("recipes/wrpo_llama3_8b.yaml", [])
    rehearsal = tmp_path / "rehearsal.yaml"
    rehearsal.write_text(yaml.safe_dump(rehearsal_tree(wrpo, "wrpo_llama3_8b", None, None), sort_keys=False))
    blocks, block = sft_examples_of(wrpo, load_or_exit(str(rehearsal), []), rows)
    assert block is not None and block < 256
    assert blocks == packed_blocks(rows, tiny_llama, "llama3", block, wrpo.sft.train_on_prompt)
