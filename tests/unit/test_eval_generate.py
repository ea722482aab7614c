"""Evaluation generation without a model: family detection, rendering quirks (Qwen system cut, prefill), items
grouped by per-item decoding, n samples, stop strings, resumable chunks with deterministic seeds."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest

from evaluation.family_prompts import FamilyError, detect_family, render, stop_strings
from evaluation.generate import generate_task
from evaluation.tasks import get_task
from evaluation.tasks.base import DataSpec, Decoding, Prompt, Task
from fusechat.generation import Completion, SamplingParams
from fusechat.io import read_jsonl
from fusechat.tiny_world.chat_formats import FAMILIES


class FakeTokenizer:
    """Renders a family's chat template the way transformers does (jinja, generation prompt)."""

    def __init__(self, family: str) -> None:
        fam = FAMILIES[family]
        env = jinja2.Environment()
        env.globals["raise_exception"] = lambda msg: (_ for _ in ()).throw(ValueError(msg))
        self.template = env.from_string(fam.chat_template)
        self.bos = fam.bos

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool = False,
                            add_generation_prompt: bool = False, **kwargs: Any) -> str:
        return self.template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                    bos_token=self.bos, eos_token="</s>", **kwargs)


@dataclass
class FakeGenerator:
    family: str
    calls: list[tuple[list[str], SamplingParams]]

    @property
    def tokenizer(self) -> FakeTokenizer:
        return FakeTokenizer(self.family)

    def complete(self, prompts: list[str], params: SamplingParams) -> list[list[Completion]]:
        self.calls.append((prompts, params))
        rng = random.Random(params.seed)
        return [[Completion(f" body{rng.randint(0, 99)}", "stop", 3, 2) for _ in range(params.n)] for _ in prompts]


class TwoTempTask(Task):
    """Per-item decoding (MT-Bench-style per-category temperatures) with n samples and an assistant prefill."""

    id, version, display, category, metric = "twotemp", "1", "Two temps", "general", "m"
    tolerance, tolerance_why = 1.0, "t"
    data = DataSpec(None)

    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return Prompt([{"role": "user", "content": item["q"]}], prefill="```python\n")

    def decoding_for(self, item: dict[str, Any], family: str) -> Decoding:
        return Decoding(temperature=0.7 if item["cat"] == "writing" else 0.0, n=2 if item["cat"] == "writing" else 1,
                        max_new_tokens=100, stop=("\n```",))


def test_family_from_config_model_type_and_override(tmp_path: Path) -> None:
    for model_type, fam in (("llama", "llama3"), ("qwen2", "qwen2"), ("gemma2", "gemma2"), ("mistral", "mistral")):
        d = tmp_path / model_type
        d.mkdir()
        (d / "config.json").write_text(json.dumps({"model_type": model_type}))
        assert detect_family(str(d), "M") == fam
    assert detect_family(str(tmp_path / "llama"), "M", "qwen2") == "qwen2"
    with pytest.raises(FamilyError, match="eval.families.M: 'gpt' is not one of"):
        detect_family(str(tmp_path / "llama"), "M", "gpt")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "config.json").write_text(json.dumps({"model_type": "phi3"}))
    with pytest.raises(FamilyError, match="model_type 'phi3' .* set eval.families.M"):
        detect_family(str(tmp_path / "odd"), "M")


def test_render_cuts_qwen_default_system_and_appends_prefill() -> None:
    tok = FakeTokenizer("qwen2")
    msgs = [{"role": "user", "content": "Hi"}]
    kept = render(tok, Prompt(msgs))
    assert kept.startswith("<|im_start|>system\nYou are Qwen")
    cut = render(tok, Prompt(msgs, prefill="Sure:", default_system=False))
    assert cut == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nSure:"
    # a task's own system turn (qwen25-math-cot) stays, and non-Qwen templates are untouched by the cut
    math = render(tok, get_task("gsm8k").prompt({"question": "1+1?", "answer": "#### 2"}, "qwen2"))
    assert math.startswith("<|im_start|>system\nPlease reason step by step")
    llama = render(FakeTokenizer("llama3"), Prompt(msgs, default_system=False))
    assert llama.startswith("<|begin_of_text|><|start_header_id|>user")
    gemma = render(FakeTokenizer("gemma2"), get_task("math").prompt({"problem": "P"}, "gemma2"))
    assert gemma.endswith("P\nPlease reason step by step, and put your final answer within \\boxed{}.<end_of_turn>\n"
                          "<start_of_turn>model\n")


def test_stop_strings_family_then_task() -> None:
    assert stop_strings("llama3", ("Question:",)) == ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "Question:")
    assert stop_strings("qwen2", ("<|im_end|>",)) == ("<|im_end|>", "<|endoftext|>")


def test_generation_groups_by_decoding_resumes_and_is_deterministic(tmp_path: Path) -> None:
    task = TwoTempTask()
    items = [{"q": f"q{i}", "cat": "writing" if i % 3 == 0 else "math"} for i in range(7)]
    gen = FakeGenerator("llama3", [])
    n = generate_task(lambda: gen, task, items, "llama3", tmp_path / "a", "M", 42, 2, cap=None)
    assert n == 7
    rows = read_jsonl(tmp_path / "a" / "twotemp.jsonl")
    assert [r["index"] for r in rows] == list(range(7))
    for r, it in zip(rows, items, strict=True):
        assert len(r["responses"]) == (2 if it["cat"] == "writing" else 1)
        assert all(resp.startswith("```python\n body") for resp in r["responses"])  # prefill + continuation
        assert r["prompt"].endswith("<|start_header_id|>assistant<|end_header_id|>\n\n```python\n")
        assert r["decoding"]["temperature"] == (0.7 if it["cat"] == "writing" else 0.0)
    temps = [p.temperature for _, p in gen.calls]
    assert temps == [0.7, 0.7, 0.0, 0.0]  # group 0 (3 writing items, 2 chunks of 2), group 1 (4 items, 2 chunks)
    assert all(p.stop == ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "\n```") for _, p in gen.calls)
    # crash after the first chunk: only the missing chunks run again, the bytes are the same
    chunk = tmp_path / "b" / ".chunks" / "twotemp" / "000-000000.jsonl"
    chunk.parent.mkdir(parents=True)
    chunk.write_text("".join(json.dumps(r) + "\n" for r in rows if r["index"] in (0, 3)))
    gen2 = FakeGenerator("llama3", [])
    generate_task(lambda: gen2, task, items, "llama3", tmp_path / "b", "M", 42, 2, cap=None)
    assert len(gen2.calls) == 3
    assert (tmp_path / "b" / "twotemp.jsonl").read_bytes() == (tmp_path / "a" / "twotemp.jsonl").read_bytes()
    assert not (tmp_path / "b" / ".chunks" / "twotemp").exists()
    # done: nothing runs
    gen4 = FakeGenerator("llama3", [])
    generate_task(lambda: gen4, task, items, "llama3", tmp_path / "a", "M", 42, 2, cap=None)
    assert gen4.calls == []


def test_max_new_tokens_cap_applies_to_every_task() -> None:
    gen = FakeGenerator("qwen2", [])
    task = get_task("mmlu_pro")
    items = task.synthetic(random.Random(0), 3)
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        generate_task(lambda: gen, task, items, "qwen2", Path(d), "M", 1, 8, cap=40)
    (prompts, params), = gen.calls
    assert params.max_new_tokens == 40 and params.temperature == 0.0 and params.stop[-1] == "Question:"
    assert all(p.startswith("<|im_start|>user\nPlease read the following") for p in prompts)  # Qwen system cut


def test_multi_turn_generation_feeds_back_answers_and_resumes_byte_identically(tmp_path: Path) -> None:
    """MT-Bench: turn 2's prompt holds question 1, the model's own turn-1 answer and question 2; rows store one
    answer per turn; a crash after one chunk resumes to the same bytes; single-turn rows keep their keys."""
    task = get_task("mt_bench")
    items = task.synthetic(random.Random(3), 5)  # writing, roleplay (T 0.7) / extraction, math, coding (greedy)
    gen = FakeGenerator("llama3", [])
    assert generate_task(lambda: gen, task, items, "llama3", tmp_path / "a", "M", 7, 2, cap=64) == 5
    rows = read_jsonl(tmp_path / "a" / "mt_bench.jsonl")
    for r, it in zip(rows, items, strict=True):
        assert len(r["responses"]) == len(r["prompts"]) == len(r["finish_reasons"]) == len(r["seeds"]) == 2
        first, second = r["prompts"]
        assert it["turns"][0] in first and it["turns"][1] not in first
        assert it["turns"][0] in second and it["turns"][1] in second
        assert r["responses"][0].strip() in second.split(it["turns"][0], 1)[1].split(it["turns"][1], 1)[0]
        assert r["seeds"][0] != r["seeds"][1]
        assert r["decoding"]["temperature"] == {"writing": 0.7, "roleplay": 0.7}.get(it["category"], 0.0)
    assert len(gen.calls) == 2 * 3  # 2 turns x (1 sampled chunk of 2 items + 2 greedy chunks of 2 and 1 items)
    chunk = tmp_path / "b" / ".chunks" / "mt_bench" / "000-000000.jsonl"
    chunk.parent.mkdir(parents=True)
    chunk.write_text("".join(json.dumps(r) + "\n" for r in rows if r["index"] in (0, 1)))
    gen2 = FakeGenerator("llama3", [])
    generate_task(lambda: gen2, task, items, "llama3", tmp_path / "b", "M", 7, 2, cap=64)
    assert len(gen2.calls) == 2 * 2
    assert (tmp_path / "b" / "mt_bench.jsonl").read_bytes() == (tmp_path / "a" / "mt_bench.jsonl").read_bytes()
    # another run seed changes the sampled answers: the seeds are really used per turn
    gen3 = FakeGenerator("llama3", [])
    generate_task(lambda: gen3, task, items, "llama3", tmp_path / "c", "M", 8, 2, cap=64)
    assert read_jsonl(tmp_path / "c" / "mt_bench.jsonl")[0]["seeds"] != rows[0]["seeds"]


def test_multi_turn_generation_rejects_n_samples(tmp_path: Path) -> None:
    class TwoSamples(type(get_task("mt_bench"))):
        def decoding_for(self, item: dict[str, Any], family: str) -> Decoding:
            return Decoding(n=2)

    from fusechat.stage_runner import StageError

    with pytest.raises(StageError, match="one answer per turn"):
        generate_task(lambda: FakeGenerator("llama3", []), TwoSamples(), TwoSamples().synthetic(random.Random(0), 1),
                      "llama3", tmp_path, "M", 1, 2, cap=None)
