"""FuseEval's second generation path for MT-Bench and LiveBench: HF transformers with FastChat conversation templates.

FuseEval ships two generators for each: ``gen_model_answer_vllm.py`` (vLLM, the model's own chat template; this
project's default, ``generator: vllm``) and ``gen_model_answer.py`` (HF ``model.generate``, FastChat's
``get_conversation_template(model_id)``; ``generator: hf_fastchat``). The HF scripts' settings:

* conversation: the FastChat template FuseEval's LiveBench fork selects for the FuseChat model names
  (``livebench/model/model_adapter.py`` at 5af2bad, run with FastChat's ``conversation.py`` at 0e6d3e4):
  Llama-3.x -> ``llama-3`` (no system block, no date header), Qwen-2.5 -> ``qwen-7b-chat`` (system "You are a
  helpful assistant."), Gemma-2 -> ``gemma`` (``<bos>`` written into the text). The rendered strings are restated
  in ``render`` and compared with that code's output in ``tests/unit/test_fastchat_generator.py``;
* BOS: the text goes through ``tokenizer([prompt])``, which adds the tokenizer's BOS: Llama and Gemma get two;
* decoding: ``do_sample = temperature >= 1e-4``; MT-Bench ``--max-new-token`` 1024 (vLLM path: 4096), LiveBench
  4096; transformers' sampling default ``top_k`` 50; no vLLM ``max_model_len`` cap.

MT-Bench's HF script imports FastChat's own adapter (``fastchat.model``) from whatever FastChat was installed (FuseEval
pins none); at FastChat 0e6d3e4 that adapter gives the FuseChat Llama-3.1 name ``meta-llama-3.1`` and the Llama-3.2
names ``one_shot`` (a Vicuna one-shot prompt). Which FastChat the authors had is unknown, so both tasks use the
LiveBench fork's choice above (docs/evaluation.md, "Generation choices where FuseEval is ambiguous").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from evaluation.tasks.base import Prompt

Generator = Literal["vllm", "hf_fastchat"]
GENERATORS: tuple[str, ...] = ("vllm", "hf_fastchat")
#: transformers' ``generate`` default top_k, in force when the HF scripts sample
HF_TOP_K = 50
QWEN_SYSTEM = "You are a helpful assistant."


def check_generator(value: str, task: str) -> str:
    """``value`` when it names a generation path, else a one-line error."""
    if value not in GENERATORS:
        raise ValueError(f"{task}: options.generator must be one of {', '.join(GENERATORS)}, not {value!r}")
    return value


def render(family: str, questions: Sequence[str], answers: Sequence[str]) -> str:
    """FastChat's ``get_prompt()`` for the user ``questions`` with the model's earlier ``answers`` (one fewer),
    ending with the open assistant turn."""
    if len(answers) != len(questions) - 1:
        raise ValueError("render: one answer for each question but the last")
    pairs = [(q, a) for q, a in zip(questions, [*answers, None], strict=True)]
    if family == "llama3":
        out = "<|begin_of_text|>"
        for q, a in pairs:
            out += f"<|start_header_id|>user<|end_header_id|>\n\n{q}<|eot_id|>"
            out += "<|start_header_id|>assistant<|end_header_id|>\n\n" + ("" if a is None else f"{a}<|eot_id|>")
        return out
    if family == "qwen2":
        out = f"<|im_start|>system\n{QWEN_SYSTEM}<|im_end|>\n"
        for q, a in pairs:
            out += f"<|im_start|>user\n{q}<|im_end|>\n<|im_start|>assistant\n" + ("" if a is None else f"{a}<|im_end|>\n")
        return out
    if family == "gemma2":
        out = "<bos>"
        for q, a in pairs:
            out += f"<start_of_turn>user\n{q}<end_of_turn>\n<start_of_turn>model\n"
            out += "" if a is None else f"{a}<end_of_turn>\n"
        return out
    raise ValueError(f"generator hf_fastchat: no FuseEval FastChat template for family {family!r} "
                     "(llama3, qwen2, gemma2)")


def fastchat_prompt(family: str, questions: Sequence[str], answers: Sequence[str]) -> Prompt:
    """The HF path's prompt: FastChat's text, plus the tokenizer's BOS in front (Llama, Gemma: a second one)."""
    messages: list[dict[str, str]] = []
    for q, a in zip(questions, [*answers, None], strict=True):
        messages.append({"role": "user", "content": q})
        if a is not None:
            messages.append({"role": "assistant", "content": a})
    return Prompt(messages, text=render(family, questions, answers), add_bos=family in ("llama3", "gemma2"))
