"""Model families in play: their special tokens, chat templates and LLaMA-Factory template names.

The chat templates reproduce each family's turn format (Llama-3 headers, Qwen ChatML with its default system
prompt, Gemma-2 turns without a system role, Mistral [INST]) so chat formatting, LLaMA-Factory templates and the
reward model's formatting are exercised on the tiny world exactly as they are on the real models. Real models
ship their own templates; these are used only for the tiny stand-ins.
"""

from __future__ import annotations

from dataclasses import dataclass

LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] | trim }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}"
)
QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
GEMMA2_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ message['content'] | trim }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)
MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
    "[INST] {{ message['content'] }}[/INST]{% elif message['role'] == 'assistant' %}"
    " {{ message['content'] }}{{ eos_token }}{% endif %}{% endfor %}"
)


@dataclass(frozen=True)
class Family:
    name: str
    arch: str  # transformers model_type
    bos: str
    eos: str  # end of an assistant turn (the generation stop token)
    pad: str
    extra_special: tuple[str, ...]
    chat_template: str
    llamafactory_template: str
    stop_tokens: tuple[str, ...]

    @property
    def special_tokens(self) -> list[str]:
        seen: list[str] = []
        for tok in (self.bos, self.eos, self.pad, *self.extra_special, *self.stop_tokens):
            if tok not in seen:
                seen.append(tok)
        return seen


FAMILIES: dict[str, Family] = {
    "llama3": Family(
        "llama3", "llama", "<|begin_of_text|>", "<|eot_id|>", "<|finetune_right_pad_id|>",
        ("<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>"),
        LLAMA3_TEMPLATE, "llama3", ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"),
    ),
    "qwen2": Family(
        "qwen2", "qwen2", "<|endoftext|>", "<|im_end|>", "<|endoftext|>", ("<|im_start|>",),
        QWEN2_TEMPLATE, "qwen", ("<|im_end|>", "<|endoftext|>"),
    ),
    "gemma2": Family(
        "gemma2", "gemma2", "<bos>", "<end_of_turn>", "<pad>", ("<eos>", "<start_of_turn>"),
        GEMMA2_TEMPLATE, "gemma2", ("<end_of_turn>", "<eos>"),
    ),
    "mistral": Family(
        "mistral", "mistral", "<s>", "</s>", "<pad>", ("[INST]", "[/INST]"),
        MISTRAL_TEMPLATE, "mistral", ("</s>",),
    ),
}
