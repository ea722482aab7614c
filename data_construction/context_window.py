"""The length limit on what a sampling model will see: the whole prompt conversation, rendered by the model's own
chat template and counted in its tokenizer's tokens, must leave room for the response in its context window.

The blog gives no prompt length limit. Our rule (recipe keys, README "Unknowns and deviations"): for every source
model that samples a prompt's domain (``data.sampling.models[*].domains``),
``tokens(chat_template(messages, add_generation_prompt=True)) + reserve <= context_window``, where
``context_window`` is the model's ``context_window`` key (null: ``max_position_embeddings`` of its config, which is
also vLLM's default ``max_model_len``) and ``reserve`` is ``data.selection.response_reserve_tokens`` (null:
``min(data.sampling.max_new_tokens, context_window // 2)``). A prompt over the limit of any of its models is
dropped as ``over_context_window``, so no later stage is handed a prompt it cannot fit.

Speed: only what could exceed is tokenized. Every token of a fast tokenizer covers at least one byte of the text
its normalizer produced, so ``tokens <= template_tokens + factor * utf8_bytes(contents) + slack``, with
``factor`` 1 without a normalizer and 3 for the normalizers of these families (NFC; SentencePiece's
``Replace(" ", "▁")``/``Prepend("▁")``, a space of 1 byte becoming 3). A conversation whose bound fits is kept
without tokenizing; the rest are rendered and tokenized in batches. Tokenizers with other normalizers (NFKC can
expand one character many times) or slow tokenizers are always tokenized.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fusechat.recipe import Recipe, SourceModelConfig
from fusechat.stage_runner import StageError
from fusechat.tiny_world import resolve, settings_from

REASON = "over_context_window"
TEMPLATE_REASON = "chat_template_rejects"
BATCH = 256
_SAFE_NORMALIZERS = {"NFC", "Prepend", "Replace", "Strip"}


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


@functools.lru_cache(maxsize=32)
def load_tokenizer(path: str, trust_remote_code: bool = False) -> Any:
    from transformers import AutoTokenizer

    from fusechat.generation import pin_chat_date

    return pin_chat_date(AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code))


@functools.lru_cache(maxsize=32)
def config_window(path: str, trust_remote_code: bool = False) -> int | None:
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code)
    cfg = getattr(cfg, "text_config", None) or cfg
    return getattr(cfg, "max_position_embeddings", None)


def _byte_factor(tok: Any) -> int | None:
    """How many tokens one byte of content can become at most (None: no safe bound, always tokenize)."""
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None:
        return None
    norm = backend.normalizer
    if norm is None:
        return 1
    parts = getattr(norm, "normalizers", None)
    names = {type(n).__name__ for n in parts} if parts is not None else {type(norm).__name__}
    return 3 if names <= _SAFE_NORMALIZERS else None


@dataclass
class ModelBudget:
    """One sampling model's tokenizer and the most prompt tokens it accepts."""

    name: str
    tokenizer: Any
    max_prompt_tokens: int
    factor: int | None
    _overhead: dict[int, int]

    def render(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def overhead(self, turns: int) -> int:
        """Tokens of the template alone for a conversation of ``turns`` turns (contents empty)."""
        if turns not in self._overhead:
            empty = [{"role": "user" if i % 2 == 0 else "assistant", "content": ""} for i in range(turns)]
            try:
                n = len(self.tokenizer(self.render(empty), add_special_tokens=False)["input_ids"])
            except Exception:  # noqa: BLE001 -- a template refusing empty turns: no cheap bound, tokenize instead
                n = -1
            self._overhead[turns] = n
        return self._overhead[turns]

    def surely_fits(self, messages: list[dict[str, str]]) -> bool:
        """True when the cheap byte bound already proves the conversation fits (no tokenizing)."""
        if self.factor is None:
            return False
        overhead = self.overhead(len(messages))
        if overhead < 0:
            return False
        n_bytes = sum(len(m["content"].encode("utf-8")) for m in messages)
        return overhead + self.factor * n_bytes + 4 * len(messages) + 8 <= self.max_prompt_tokens

    def lengths(self, conversations: Sequence[list[dict[str, str]]]) -> list[int | None]:
        """Prompt tokens of each conversation as the sampler builds it (None: the template refuses it)."""
        texts: list[str | None] = []
        for messages in conversations:
            try:
                texts.append(self.render(messages))
            except Exception:  # noqa: BLE001 -- jinja raising on a conversation it rejects
                texts.append(None)
        ok = [t for t in texts if t is not None]
        ids = iter(self.tokenizer(ok, add_special_tokens=False)["input_ids"] if ok else [])
        return [None if t is None else len(next(ids)) for t in texts]


def model_budget(model: SourceModelConfig, recipe: Recipe) -> ModelBudget:
    """Load the tokenizer (local for the tiny world, by hub id for real models) and work out the budget."""
    path = resolve(model.path, settings_from(recipe.world))
    try:
        tok = load_tokenizer(path, model.trust_remote_code)
        window = model.context_window or config_window(path, model.trust_remote_code)
    except Exception as exc:  # noqa: BLE001 -- offline, gated, missing: one line naming model and key
        raise StageError(f"sampling model {model.name} ({model.path}): cannot load its tokenizer/config for the "
                         f"context-window check ({_one_line(exc)}); make it available offline or set "
                         "data.sampling.models[].path to a local copy") from None
    if not window:
        raise StageError(f"sampling model {model.name}: no max_position_embeddings in its config; set "
                         "data.sampling.models[].context_window")
    reserve = recipe.data.selection.response_reserve_tokens
    if reserve is None:
        reserve = min(recipe.data.sampling.max_new_tokens, window // 2)
    return ModelBudget(model.name, tok, window - reserve, _byte_factor(tok), {})


class ContextLimit:
    """The context-window check of one domain: every model that samples the domain must fit the prompt."""

    def __init__(self, budgets: list[ModelBudget]) -> None:
        self.budgets = budgets

    @classmethod
    def for_domain(cls, recipe: Recipe, domain: str, cache: dict[str, ModelBudget]) -> ContextLimit:
        models = [m for m in recipe.data.sampling.models if domain in m.domains]
        for m in models:
            if m.name not in cache:
                cache[m.name] = model_budget(m, recipe)
        return cls([cache[m.name] for m in models])

    def drops(self, conversations: Sequence[list[dict[str, str]]]) -> list[str | None]:
        """For each conversation: ``over_context_window`` when some model of the domain cannot fit it,
        ``chat_template_rejects`` when a model's chat template raises on it, else None."""
        reasons: list[str | None] = [None] * len(conversations)
        for budget in self.budgets:
            todo = [i for i, c in enumerate(conversations) if reasons[i] is None and not budget.surely_fits(c)]
            for start in range(0, len(todo), BATCH):
                part = todo[start:start + BATCH]
                for i, n in zip(part, budget.lengths([conversations[i] for i in part]), strict=True):
                    if n is None:
                        reasons[i] = TEMPLATE_REASON
                    elif n > budget.max_prompt_tokens:
                        reasons[i] = REASON
        return reasons
