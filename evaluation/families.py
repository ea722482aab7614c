"""Per-family prompt quirks of the evaluation harness, all in one place.

* **Which family** an evaluated model is: its ``config.json`` ``model_type`` (``llama`` -> llama3, ``qwen2`` ->
  qwen2, ``gemma2``/``gemma`` -> gemma2, ``mistral`` -> mistral), unless the recipe says
  (``eval.families: {label: family}``). FuseEval decides by substrings of the model *path* ("qwen", "llama",
  "gemma"), so there "the directory name matters"; the config is the sturdier signal for the same decision.
* **Rendering**: the task's messages through the model's own chat template with the generation prompt, then the
  task's assistant ``prefill`` (the response is prefill + continuation). With ``Prompt.default_system=False`` a
  Qwen default system block is cut exactly as FuseEval's MC-Eval does (``"<|im_start|>user" +
  text.split("<|im_start|>user", 1)[1]``).
* **BOS**: FuseEval strips a leading BOS from templated Gemma/Mistral strings because vLLM tokenises prompt
  strings with special tokens added. Here the rendered text is tokenised *without* adding special tokens (both
  backends, ``Generator.complete``), so the template's own BOS is the only one: the same token ids as FuseEval's
  strip-then-add, and no double BOS for any family.
* **Stop tokens**: the family's end-of-turn tokens (FuseEval Math-Eval's per-family ``stop_words``), plus the
  task's own stop strings (e.g. MC-Eval's ``Question:``). The backends turn special-token stops into stop ids.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluation.tasks.base import Prompt

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


def render(tokenizer: Any, prompt: Prompt) -> str:
    """The full prompt text: chat template with generation prompt, Qwen system cut if asked, then the prefill."""
    text = tokenizer.apply_chat_template(prompt.messages, tokenize=False, add_generation_prompt=True)
    if not prompt.default_system and "<|im_start|>system" in text and QWEN_SYSTEM_CUT in text:
        text = QWEN_SYSTEM_CUT + text.split(QWEN_SYSTEM_CUT, 1)[1]
    return text + prompt.prefill


def stop_strings(family: str, task_stop: tuple[str, ...]) -> tuple[str, ...]:
    """The family's stop tokens followed by the task's stop strings (no duplicates)."""
    out: list[str] = []
    for s in (*STOP_TOKENS[family], *task_stop):
        if s and s not in out:
            out.append(s)
    return tuple(out)
