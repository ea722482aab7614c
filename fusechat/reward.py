"""Reward scoring behind one interface: ArmoRM-Llama3-8B-v0.1 and any sequence-classification reward model.

Rule (blog §Filtering; SimPO's annotate script, which the group follows): build the two-turn chat
(user = prompt, assistant = response), apply the RM tokenizer's chat template, one forward pass, read the scalar
preference score — ArmoRM's custom output field ``score`` (``score_attr: score``), or ``logits[:, 0]`` for a
plain ``AutoModelForSequenceClassification`` (``score_attr: logits``; the tiny world's RM).

Batches are length-bucketed (sorted by token count, so padding is small) and returned in input order.
Sequences are right-padded: ArmoRM and HF sequence classifiers locate the last non-pad token.
"""

from __future__ import annotations

import math
from typing import Any


class RewardScorer:
    def __init__(self, path: str, *, trust_remote_code: bool = False, score_attr: str = "logits",
                 batch_size: int = 16, max_length: int = 4096, dtype: str = "auto", revision: str | None = None):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        if dtype == "auto":
            torch_dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        else:
            torch_dtype = getattr(torch, dtype)
        from fusechat.generation import pin_chat_date

        self.tok = pin_chat_date(AutoTokenizer.from_pretrained(path, revision=revision,
                                                               trust_remote_code=trust_remote_code))
        self.tok.padding_side = "right"
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        self.model = AutoModelForSequenceClassification.from_pretrained(
            path, revision=revision, trust_remote_code=trust_remote_code, torch_dtype=torch_dtype,
        ).to(self.device).eval()
        self.score_attr = score_attr
        self.batch_size = batch_size
        self.max_length = max_length

    def _encode(self, conversations: list[list[dict[str, str]]]) -> list[list[int]]:
        texts = [self.tok.apply_chat_template(c, tokenize=False) for c in conversations]
        enc = self.tok(texts, add_special_tokens=False, truncation=True, max_length=self.max_length)
        return enc["input_ids"]

    def score(self, conversations: list[list[dict[str, str]]]) -> list[float]:
        """Scores in input order; NaN where the model produced a non-finite value."""
        torch = self.torch
        ids = self._encode(conversations)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out: list[float] = [math.nan] * len(ids)
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            batch = self.tok.pad({"input_ids": [ids[i] for i in idx]}, return_tensors="pt").to(self.device)
            with torch.no_grad():
                result: Any = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            values = getattr(result, self.score_attr)
            values = values.float().reshape(len(idx), -1)[:, 0].tolist()
            for i, v in zip(idx, values, strict=True):
                out[i] = v if math.isfinite(v) else math.nan
        return out
