"""Per-family prompt quirks of the evaluation harness, all in one place.

* **Which family** an evaluated model is: its ``config.json`` ``model_type`` (``llama`` -> llama3, ``qwen2`` ->
  qwen2, ``gemma2``/``gemma`` -> gemma2, ``mistral`` -> mistral), unless the recipe says
  (``eval.families: {label: family}``). FuseEval decides by substrings of the model *path* ("qwen", "llama",
  "gemma"), so there "the directory name matters"; the config is the sturdier signal for the same decision.
* **Rendering** (``render``): a task's ``Prompt.text`` when FuseEval writes the whole prompt string by hand
  (AlpacaEval-2 / Arena-Hard ``configs/*.txt``: ``PAIRWISE_TEMPLATES``; Math-Eval prompt types; LiveCodeBench's
  LLaMa3 and CodeQwenInstruct styles), else the task's messages through the model's own chat template with the
  generation prompt and a fixed ``date_string`` (``fusechat.generation.FIXED_DATE_STRING``: Llama-3.2's template
  would otherwise write the day of the run). Then the task's assistant ``prefill`` (the response is prefill +
  continuation). With ``Prompt.default_system=False`` a Qwen default system block is cut exactly as FuseEval's
  MC-Eval does (``"<|im_start|>user" + text.split("<|im_start|>user", 1)[1]``).
* **BOS**: the rendered text is tokenised *without* adding special tokens (both backends,
  ``Generator.complete``), so the BOS tokens in the text are exactly the ones the model sees. FuseEval hands
  prompt strings to ``vllm.LLM.generate``, whose tokenizer adds its own BOS in front (Llama-3 and Gemma
  tokenizers do, Qwen's has none); some of its scripts strip the template's BOS first, some do not
  (``Prompt.add_bos``, set per task and family, then prepends the tokenizer's BOS text, ``vllm_added_bos``):
  MC-Eval never strips (a double BOS for Llama and Gemma); MT-Bench (vLLM path), AlignBench and LiveBench strip
  for paths containing "gemma"/"mistral" (double BOS for Llama only); the AlpacaEval/Arena-Hard ``llama3.txt``
  starts with ``<|begin_of_text|>`` (double for Llama, single for Gemma, whose ``gemma2.txt`` has none); so does
  Math-Eval's ``llama3-math-cot``; EvalPlus and LiveCodeBench strip for Gemma only (one BOS), not for Llama
  (double). docs/evaluation.md has the table.
* **Stop tokens**: the family's end-of-turn tokens (FuseEval Math-Eval's per-family ``stop_words``), plus the
  task's own stop strings (e.g. MC-Eval's ``Question:``). The backends turn special-token stops into stop ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation.tasks.base import Prompt
from fusechat.generation import FIXED_DATE_STRING

MODEL_TYPES: dict[str, str] = {"llama": "llama3", "qwen2": "qwen2", "gemma2": "gemma2", "gemma": "gemma2",
                               "mistral": "mistral"}
FAMILIES: tuple[str, ...] = ("llama3", "qwen2", "gemma2", "mistral")
#: End-of-turn / end-of-text stop strings per family (FuseEval Math-Eval ``math_eval.py``).
STOP_TOKENS: dict[str, tuple[str, ...]] = {
    "llama3": ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"),
    "qwen2": ("<|im_end|>", "<|endoftext|>"),
    "gemma2": ("<end_of_turn>", "<eos>"),
    "mistral": ("</s>",),
}
QWEN_SYSTEM_CUT = "<|im_start|>user"
#: FuseEval 5af2bad ``IF-Eval/AlpacaEval-2/configs/{llama3,qwen_25,gemma2}.txt`` (byte-identical to
#: ``IF-Eval/Arena-Hard/configs/``), read by alpaca_eval's ``vllm_local_completions`` with ``{instruction}`` filled
#: in: Llama without a system block (and so without Llama-3.1's "Cutting Knowledge Date" header), Qwen with its
#: default system prompt. Mistral has no FuseEval template (its chat template is used).
PAIRWISE_TEMPLATES: dict[str, str] = {
    "llama3": ("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{instruction}<|eot_id|>"
               "<|start_header_id|>assistant<|end_header_id|>\n\n"),
    "qwen2": ("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
              "<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n"),
    "gemma2": "<start_of_turn>user\n{instruction}<end_of_turn>\n<start_of_turn>model\n",
}
#: FuseEval's scripts that strip the template's BOS before vLLM adds its own decide by these path substrings.
BOS_STRIPPED_FAMILIES: tuple[str, ...] = ("gemma2", "mistral")


class FamilyError(ValueError):
    """The family of a model cannot be decided; the message names the model and the recipe key."""


def detect_family(model_path: str, label: str, override: str | None = None) -> str:
    """The family of an evaluated model: the recipe override, else its config's ``model_type``."""
    if override is not None:
        if override not in FAMILIES:
            raise FamilyError(f"eval.families.{label}: {override!r} is not one of {', '.join(FAMILIES)}")
        return override
    cfg = Path(model_path) / "config.json"
    if cfg.is_file():
        model_type = json.loads(cfg.read_text()).get("model_type")
    else:
        try:
            from transformers import AutoConfig

            model_type = AutoConfig.from_pretrained(model_path).model_type
        except Exception as exc:  # offline hub id, missing folder ...
            raise FamilyError(f"{label}: cannot read the config of {model_path!r} ({type(exc).__name__}); "
                              f"set eval.families.{label} to one of {', '.join(FAMILIES)}") from None
    if model_type not in MODEL_TYPES:
        raise FamilyError(f"{label}: model_type {model_type!r} of {model_path!r} has no prompt family; set "
                          f"eval.families.{label} to one of {', '.join(FAMILIES)}")
    return MODEL_TYPES[model_type]


def llama3_text(messages: list[dict[str, str]]) -> str:
    """Meta-Llama-3-Instruct's chat template (no "Cutting Knowledge Date" header), with the generation prompt: BOS,
    then per message ``<|start_header_id|>role<|end_header_id|>\\n\\n`` + content ``| trim`` + ``<|eot_id|>``.
    LiveCodeBench's LLaMa3 style renders with this tokenizer (``meta-llama/Meta-Llama-3-8B-Instruct``) whatever
    Llama model is evaluated."""
    body = "".join(f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content'].strip()}<|eot_id|>"
                   for m in messages)
    return f"<|begin_of_text|>{body}<|start_header_id|>assistant<|end_header_id|>\n\n"


def pairwise_prompt(instruction: str, family: str) -> Prompt:
    """AlpacaEval-2 / Arena-Hard generation as FuseEval sends it: the family's ``PAIRWISE_TEMPLATES`` string with
    the instruction, handed to vLLM as a string (its BOS added in front); Mistral: its chat template."""
    messages = [{"role": "user", "content": instruction}]
    template = PAIRWISE_TEMPLATES.get(family)
    if template is None:
        return Prompt(messages)
    return Prompt(messages, text=template.replace("{instruction}", instruction), add_bos=True)


def vllm_added_bos(tokenizer: Any) -> str:
    """The BOS text vLLM's tokenizer puts in front of a prompt string (``add_special_tokens=True``); "" when it adds
    none (Qwen) or the tokenizer cannot say."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or not callable(tokenizer):
        return ""
    with_special = list(tokenizer("a", add_special_tokens=True)["input_ids"])
    plain = list(tokenizer("a", add_special_tokens=False)["input_ids"])
    return bos if with_special == [tokenizer.bos_token_id, *plain] else ""


def render(tokenizer: Any, prompt: Prompt) -> str:
    """The full prompt text as the model sees it (tokenised without adding special tokens): ``prompt.text`` or the
    chat template with generation prompt and the fixed date (Qwen system cut if asked), the vLLM-added BOS when
    ``prompt.add_bos``, then the prefill."""
    if prompt.text is not None:
        text = prompt.text
    else:
        text = tokenizer.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True,
                                             date_string=FIXED_DATE_STRING)
        if not prompt.default_system and "<|im_start|>system" in text and QWEN_SYSTEM_CUT in text:
            text = QWEN_SYSTEM_CUT + text.split(QWEN_SYSTEM_CUT, 1)[1]
    if prompt.add_bos:
        text = vllm_added_bos(tokenizer) + text
    return text + prompt.prefill


def stop_strings(family: str, task_stop: tuple[str, ...]) -> tuple[str, ...]:
    """The family's stop tokens followed by the task's stop strings (no duplicates)."""
    out: list[str] = []
    for s in (*STOP_TOKENS[family], *task_stop):
        if s and s not in out:
            out.append(s)
    return tuple(out)
