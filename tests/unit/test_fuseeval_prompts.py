"""The prompt each task sends, per family, against what FuseEval (SLIT-AI/FuseChat-3.0 at 5af2bad) sends: the text
and the token ids, BOS included, and no date of the day of the run in any stage's prompts.

Expected strings of the hand-written formats come from ``tests/fixtures/fuseeval_prompts/golden.json``, derived by
``make_golden.py`` there from FuseEval's own templates and functions. Where FuseEval renders through the model's
chat template (MC-Eval, MT-Bench, AlignBench, LiveBench), its script's rule is replayed here on the same tokenizer:
``apply_chat_template`` (the MC-Eval Qwen system cut; the BOS strip for Gemma in the other three), then vLLM's
tokenisation of a prompt string (``add_special_tokens=True``). Ours is ``render`` tokenised without special tokens,
as both our backends do. The tokenizers are small BPEs with each family's special tokens, BOS behaviour (Llama-3 and
Gemma tokenizers add one, Qwen's none) and chat template (Llama: the Llama-3.2 structure with its date logic).
"""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from evaluation.family_prompts import render
from evaluation.tasks import get_task
from fusechat.generation import FIXED_DATE_STRING, pin_chat_date
from fusechat.tiny_world.chat_formats import FAMILIES

GOLDEN = json.loads((Path(__file__).parents[1] / "fixtures" / "fuseeval_prompts" / "golden.json").read_text())
#: The Llama-3.2-Instruct template's structure: BOS, the date logic, a system header with "Cutting Knowledge Date"
#: and "Today Date", then the turns (content trimmed), then the generation prompt.
LLAMA32_TEMPLATE = (
    "{{- bos_token }}{%- if not date_string is defined %}{%- if strftime_now is defined %}"
    "{%- set date_string = strftime_now(\"%d %b %Y\") %}{%- else %}{%- set date_string = \"26 Jul 2024\" %}"
    "{%- endif %}{%- endif %}{%- if messages[0]['role'] == 'system' %}"
    "{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}"
    "{%- else %}{%- set system_message = \"\" %}{%- endif %}"
    "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}"
    "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}{{- system_message }}{{- \"<|eot_id|>\" }}"
    "{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
    "message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}")
FAMS = ("llama3", "qwen2", "gemma2")
_TOKENIZERS: dict[str, Any] = {}


def tokenizer(family: str) -> Any:
    """A small byte-level BPE with the family's special tokens; Llama/Gemma add their BOS like the real ones."""
    if family in _TOKENIZERS:
        return _TOKENIZERS[family]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    fam = FAMILIES[family]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=fam.special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(["Question: answer the step by step program", "You are a helpful assistant."], trainer)
    if family != "qwen2":
        tok.post_processor = processors.TemplateProcessing(single=f"{fam.bos} $A", pair=f"{fam.bos} $A $B",
                                                           special_tokens=[(fam.bos, tok.token_to_id(fam.bos))])
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=None if family == "qwen2" else fam.bos,
                                 eos_token=fam.eos, pad_token=fam.pad,
                                 additional_special_tokens=[t for t in fam.special_tokens if t not in (fam.bos, fam.eos)])
    hf.chat_template = LLAMA32_TEMPLATE if family == "llama3" else fam.chat_template
    _TOKENIZERS[family] = hf
    return hf


def ours(tok: Any, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def vllm(tok: Any, text: str) -> list[int]:
    """vLLM's ``LLM.generate`` on a prompt string: the tokenizer with its special tokens added."""
    return tok(text, add_special_tokens=True)["input_ids"]


def leading(tok: Any, ids: list[int]) -> int:
    n = 0
    while n < len(ids) and tok.bos_token_id is not None and ids[n] == tok.bos_token_id:
        n += 1
    return n


# ------------------------------------------------------------------------------------------------ hand-written
@pytest.mark.parametrize("task_id", ["alpacaeval2", "arena_hard"])
@pytest.mark.parametrize("family", FAMS)
def test_pairwise_prompt_is_fuseeval_template_without_system_block(task_id: str, family: str) -> None:
    task, tok = get_task(task_id), tokenizer(family)
    for instruction, expected in zip(GOLDEN["inputs"]["instructions"], GOLDEN["pairwise"][family], strict=True):
        item = ({"instruction": instruction} if task_id == "alpacaeval2"
                else {"turns": [{"content": instruction}]})
        text = render(tok, task.prompt(item, family))
        assert ours(tok, text) == vllm(tok, expected)
        assert text == (tok.bos_token or "") + expected and "Cutting Knowledge" not in text
    assert leading(tok, ours(tok, text)) == {"llama3": 2, "qwen2": 0, "gemma2": 1}[family]


@pytest.mark.parametrize("task_id,key", [("gsm8k", "question"), ("math", "problem"), ("amc23", "question")])
@pytest.mark.parametrize("family", FAMS)
def test_math_prompt_is_fuseeval_prompt_type(task_id: str, key: str, family: str) -> None:
    task, tok = get_task(task_id), tokenizer(family)
    for question, expected in zip(GOLDEN["inputs"]["questions"], GOLDEN["math"][family], strict=True):
        text = render(tok, task.prompt({key: question}, family))
        assert ours(tok, text) == vllm(tok, expected)
        assert "Cutting Knowledge" not in text
    assert leading(tok, ours(tok, text)) == {"llama3": 2, "qwen2": 0, "gemma2": 1}[family]


@pytest.mark.parametrize("family", FAMS)
def test_livecodebench_prompt_is_fuseeval_lm_style(family: str) -> None:
    """Qwen2.5: CodeQwenInstruct; Llama: LLaMa3 through Llama-3's template (BOS kept: two); Gemma: BOS stripped."""
    task, tok = get_task("livecodebench"), tokenizer(family)
    for item, expected in zip(GOLDEN["inputs"]["lcb_items"], GOLDEN["lcb"][family], strict=True):
        text = render(tok, task.prompt(item, family))
        assert ours(tok, text) == vllm(tok, expected)
    assert leading(tok, ours(tok, text)) == {"llama3": 2, "qwen2": 0, "gemma2": 1}[family]
    if family == "qwen2":
        assert "Question: " in text and "### Question" not in text and "You are a helpful assistant." in text


@pytest.mark.parametrize("task_id", ["humaneval", "mbpp"])
@pytest.mark.parametrize("family", FAMS)
def test_evalplus_bos_as_fuseeval_model_py(task_id: str, family: str) -> None:
    """``Llama3Chat`` sends the templated string unstripped (two BOS), ``Gemma2Chat`` strips it (one)."""
    task, tok = get_task(task_id), tokenizer(family)
    item = task.synthetic(random.Random(0), 1)[0]
    ids = ours(tok, render(tok, task.prompt(item, family)))
    assert leading(tok, ids) == {"llama3": 2, "qwen2": 0, "gemma2": 1}[family]


# ------------------------------------------------------------------------------------------------ chat templates
def fuseeval_chat_string(tok: Any, messages: list[dict[str, str]], family: str, strip_bos: bool,
                         cut_qwen_system: bool) -> str:
    """FuseEval's scripts: ``apply_chat_template`` (Llama's date fixed, see the no-date test), MC-Eval's Qwen system
    cut, MT-Bench/AlignBench/LiveBench's ``if "gemma"/"mistral" in path: strip the BOS``."""
    s = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, date_string=FIXED_DATE_STRING)
    if cut_qwen_system and "<|im_start|>system" in s:
        s = "<|im_start|>user" + s.split("<|im_start|>user", 1)[1]
    if strip_bos and family in ("gemma2", "mistral") and tok.bos_token and s.startswith(tok.bos_token):
        s = s[len(tok.bos_token):]
    return s


@pytest.mark.parametrize("family", FAMS)
def test_multiple_choice_user_turn_and_double_bos(family: str) -> None:
    task, tok = get_task("mmlu_pro"), tokenizer(family)
    for raw, expected_user in zip(GOLDEN["inputs"]["mc_items"], GOLDEN["mc_user"], strict=True):
        item = {"question": raw["question"], "options": raw["options"], "answer_index": 0}
        prompt = task.prompt(item, family)
        assert prompt.messages == [{"role": "user", "content": expected_user}]
        expected = fuseeval_chat_string(tok, prompt.messages, family, strip_bos=False, cut_qwen_system=True)
        text = render(tok, prompt)
        assert ours(tok, text) == vllm(tok, expected)
    assert leading(tok, ours(tok, text)) == {"llama3": 2, "qwen2": 0, "gemma2": 2}[family]
    assert "You are Qwen" not in text


@pytest.mark.parametrize("task_id", ["mt_bench", "alignbench", "livebench"])
@pytest.mark.parametrize("family", FAMS)
def test_chat_template_tasks_bos_as_fuseeval_scripts(task_id: str, family: str) -> None:
    task, tok = get_task(task_id), tokenizer(family)
    for item in task.synthetic(random.Random(1), 3):
        prompt = task.prompt(item, family)
        expected = fuseeval_chat_string(tok, prompt.messages, family, strip_bos=True, cut_qwen_system=False)
        text = render(tok, prompt)
        assert ours(tok, text) == vllm(tok, expected)
    assert leading(tok, ours(tok, text)) == {"llama3": 2, "qwen2": 0, "gemma2": 1}[family]


# ------------------------------------------------------------------------------------------------ no date of the run
class _Clock:
    """``datetime`` as transformers' ``strftime_now`` sees it, frozen at a given day."""

    def __init__(self, day: datetime) -> None:
        self.day = day

    def now(self) -> datetime:
        return self.day


def _at(monkeypatch: pytest.MonkeyPatch, day: datetime, fn: Any) -> Any:
    from transformers.utils import chat_template_utils

    monkeypatch.setattr(chat_template_utils, "datetime", _Clock(day))
    return fn()


DAYS = (datetime(2031, 3, 9), datetime(2040, 12, 25))


def test_clock_skew_reaches_an_unpinned_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """The skew works: the bare Llama-3.2 template writes the (skewed) day of the run."""
    tok = tokenizer("llama3")
    msgs = [{"role": "user", "content": "hi"}]
    texts = [_at(monkeypatch, d, lambda: tok.apply_chat_template(msgs, tokenize=False)) for d in DAYS]
    assert "09 Mar 2031" in texts[0] and "25 Dec 2040" in texts[1]


@pytest.mark.parametrize("task_id", ["alpacaeval2", "arena_hard", "mt_bench", "alignbench", "livebench", "gsm8k",
                                     "math", "amc23", "mmlu_pro", "mmlu_redux", "mmlu", "gpqa_diamond", "humaneval",
                                     "mbpp", "livecodebench"])
def test_no_date_of_the_run_in_evaluation_prompts(task_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    task, tok = get_task(task_id), tokenizer("llama3")
    item = task.synthetic(random.Random(0), 1)[0]
    texts = [_at(monkeypatch, d, lambda: render(tok, task.prompt(item, "llama3"))) for d in DAYS]
    assert texts[0] == texts[1]
    assert "2031" not in texts[0] and "2040" not in texts[0]


def test_no_date_of_the_run_in_sampling_sft_dpo_formatting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every other stage formats through a tokenizer loaded with ``pin_chat_date`` (generators for sampling, the
    reward model, context-window checks, DPO/WRPO via TRL): whatever the clock says, the fixed date is written."""
    from trl.data_utils import maybe_apply_chat_template

    tok = pin_chat_date(_copy(tokenizer("llama3")))
    pair = {"prompt": [{"role": "user", "content": "hi"}], "chosen": [{"role": "assistant", "content": "a"}],
            "rejected": [{"role": "assistant", "content": "b"}]}
    for fn in (lambda: tok.apply_chat_template(pair["prompt"], tokenize=False, add_generation_prompt=True),
               lambda: json.dumps(maybe_apply_chat_template(pair, tok))):
        texts = [_at(monkeypatch, d, fn) for d in DAYS]
        assert texts[0] == texts[1] and f"Today Date: {FIXED_DATE_STRING}" in texts[0]
    assert pin_chat_date(tok).chat_template == tok.chat_template  # pinning twice changes nothing


def _copy(tok: Any) -> Any:
    import copy

    return copy.deepcopy(tok)


def test_a_template_with_a_clock_but_no_date_variable_is_refused() -> None:
    tok = _copy(tokenizer("qwen2"))
    tok.chat_template = "{{ strftime_now('%Y') }}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    with pytest.raises(ValueError, match="strftime_now"):
        pin_chat_date(tok)
