"""Multi-turn generation with a real (tiny-world) model on the transformers backend: the turn-2 prompt carries
the model's own turn-1 answer, and an interrupted run resumes to the same bytes."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evaluation.generate import generate_task
from evaluation.tasks import get_task
from fusechat.generation import HFGenerator
from fusechat.io import read_jsonl
from fusechat.tiny_world import TinyWorldSettings, resolve


@pytest.fixture(scope="module")
def gen() -> HFGenerator:
    return HFGenerator(resolve("tiny:Llama-3.1-70B-Instruct", TinyWorldSettings()), batch_size=8)


def test_tiny_model_answers_two_turns_and_resumes_identically(gen: HFGenerator, tmp_path: Path) -> None:
    task = get_task("mt_bench")
    items = task.synthetic(random.Random(11), 4)  # writing + roleplay sampled at T 0.7, extraction + math greedy
    generate_task(lambda: gen, task, items, "llama3", tmp_path / "a", "tiny", 5, 2, cap=16)
    rows = read_jsonl(tmp_path / "a" / "mt_bench.jsonl")
    assert len(rows) == 4
    for r, it in zip(rows, items, strict=True):
        one, two = r["responses"]
        assert one.strip(), r
        # the model's own turn-1 answer sits in the assistant turn between question 1 and question 2
        between = r["prompts"][1].split(it["turns"][0], 1)[1].split(it["turns"][1], 1)[0]
        assert "<|start_header_id|>assistant<|end_header_id|>\n\n" + one.strip() in between
        assert r["prompts"][1].startswith(r["prompts"][0])  # turn 2 extends turn 1's conversation
        assert all(0 < n <= 16 for n in r["completion_tokens"])
    chunk = tmp_path / "b" / ".chunks" / "mt_bench" / "000-000000.jsonl"
    chunk.parent.mkdir(parents=True)
    chunk.write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    generate_task(lambda: gen, task, items, "llama3", tmp_path / "b", "tiny", 5, 2, cap=16)
    assert (tmp_path / "b" / "mt_bench.jsonl").read_bytes() == (tmp_path / "a" / "mt_bench.jsonl").read_bytes()
