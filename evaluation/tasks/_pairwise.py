"""What AlpacaEval-2 and Arena-Hard share: FuseEval's per-family generation settings and the files beside the items.

**Generation** (FuseEval ``IF-Eval/AlpacaEval-2/configs/*-alpacaeval.yaml`` and ``IF-Eval/Arena-Hard/configs/
*-arenahard.yaml``, https://github.com/SLIT-AI/FuseChat-3.0/tree/5af2badba59fc4561202e19a7311ec119a19a73b/FuseEval):
both benchmarks send the instruction as the only user turn of the family's chat template (Qwen2.5 with its default
"You are Qwen, created by Alibaba Cloud ..." system prompt), at most 4,096 new tokens, in a 4,096-token vLLM context,
stopping at the family's end-of-turn tokens (Llama-3.1 also at ``<|start_header_id|>`` / ``<|end_header_id|>``).
Arena-Hard is greedy for every family; AlpacaEval samples per family, see ``alpaca_decoding``.

**Files** (``DataSpec.files``) land in ``<data_dir>/<task>/files/<name>`` (``ScoreContext.options["data_dir"]`` is
``<data_dir>/<task>``). Synthetic (tiny-world) items never read them: each task builds a stand-in of the same
structure by code, so the tiny world needs no download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from evaluation.tasks.base import Decoding, ScoreContext

MAX_NEW_TOKENS = 4096
MAX_MODEL_LEN = 4096
#: FuseEval's Llama-3.1 configs also stop at the header tokens (stop_token_ids 128006/128007).
EXTRA_STOP: dict[str, tuple[str, ...]] = {"llama3": ("<|start_header_id|>", "<|end_header_id|>")}

#: AlpacaEval sampling per family as FuseEval's configs give it (temperature, top_p, top_k, ``do_sample``).
#: FuseEval's decoder (its patched ``alpaca_eval/decoders/vllm_local.py``) forwards only n, best_of, temperature,
#: top_p, top_k, stop(-ids), length_penalty and early_stopping: the configs' presence/frequency penalties (Llama,
#: 0.1) and repetition_penalty (Qwen, 1.05) never reached vLLM, so they are not applied here either. FuseEval has
#: no Mistral config; Mistral models are decoded greedily (our choice, recorded in the protocol).
ALPACA_SAMPLING: dict[str, dict[str, Any]] = {
    "llama3": {"temperature": 0.6, "top_p": 0.9, "top_k": -1, "do_sample": True},
    "qwen2": {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "do_sample": False},
    "gemma2": {"temperature": 0.5, "top_p": 1.0, "top_k": -1, "do_sample": True},
    "mistral": {"temperature": 0.0, "top_p": 1.0, "top_k": -1, "do_sample": False},
}
#: The authors' AlpacaEval leaderboard configs (alpaca-eval 0.6.6 wheel, ``models_configs/FuseChat-*/configs.yaml``):
#: the same temperatures/top_p, plus options FuseEval's decoder drops: Llama-3.1/3.2 top_k 50 and presence /
#: frequency penalty 0.1, Qwen repetition_penalty 1.05 (and top_k 20, as FuseEval). ``options.decoding:
#: leaderboard_config`` applies them; see ``alpaca_decoding`` for why the paper's numbers did not use them.
LEADERBOARD_CONFIG: dict[str, dict[str, Any]] = {
    "llama3": {"temperature": 0.6, "top_p": 0.9, "top_k": 50, "presence_penalty": 0.1, "frequency_penalty": 0.1},
    "qwen2": {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05},
    "gemma2": {"temperature": 0.5, "top_p": 1.0},
}
AlpacaDecodingChoice = Literal["fuseeval_sampling", "greedy", "leaderboard_config"]
ALPACA_DECODING_CHOICES: tuple[str, ...] = ("fuseeval_sampling", "greedy", "leaderboard_config")


def alpaca_decoding(family: str, choice: str = "fuseeval_sampling") -> Decoding:
    """AlpacaEval generation for ``family`` under the explicit decoding ``choice``.

    FuseEval's decoder sets ``sampling_params.use_beam_search = True`` after construction when a config says
    ``do_sample: true`` (Llama, Gemma). On the vLLM FuseEval pins (0.6.3.post1) that field no longer exists
    (removed in 0.6.3, https://github.com/vllm-project/vllm/issues/10605) and ``SamplingParams`` is a msgspec
    Struct with ``dict=True``, so the assignment is silently stored and ignored: every family **sampled** at its
    config's temperature/top_p/top_k. That is the default, ``fuseeval_sampling``. On vLLM <= 0.6.2 the flag
    would have switched Llama and Gemma to beam search of width 1 (best_of stays 1), i.e. greedy decoding;
    ``greedy`` decodes every family greedily (the flag honoured, and Qwen made deterministic too) for runs that
    must not depend on sampling noise.

    ``leaderboard_config`` applies the authors' leaderboard configs (``LEADERBOARD_CONFIG``), penalties included.
    The paper's numbers did not use them: the five FuseChat entries of the alpaca-eval 0.6.6 leaderboard
    (weighted_alpaca_eval_gpt4_turbo) have LC win rates 65.39 / 63.58 / 70.18 / 54.00 / 25.27, the paper's 65.4 /
    63.6 / 70.2 / 54.0 / 25.3, so the paper reports those submissions; and those configs also say
    ``use_beam_search: true`` with temperature 0.5-0.6 and best_of 1, which upstream alpaca_eval's decoder
    (``SamplingParams(max_tokens=..., **decoding_kwargs)``) cannot build on any vLLM (<= 0.6.2: "best_of must be
    greater than 1 when using beam search"; >= 0.6.3: no such field). Only FuseEval's patched decoder turns
    ``do_sample`` into that late ``use_beam_search`` assignment, and it forwards none of the penalties: the
    submitted outputs were FuseEval's, decoded without them (``fuseeval_sampling``).
    """
    if choice not in ALPACA_DECODING_CHOICES:
        raise ValueError(f"alpacaeval2: options.decoding {choice!r} is not one of {', '.join(ALPACA_DECODING_CHOICES)}")
    cfg = ALPACA_SAMPLING[family]
    stop = EXTRA_STOP.get(family, ())
    if choice == "leaderboard_config" and family in LEADERBOARD_CONFIG:
        return Decoding(max_new_tokens=MAX_NEW_TOKENS, stop=stop, **LEADERBOARD_CONFIG[family])
    if choice == "greedy" or cfg["temperature"] == 0.0:
        return Decoding(temperature=0.0, max_new_tokens=MAX_NEW_TOKENS, stop=stop)
    return Decoding(temperature=cfg["temperature"], top_p=cfg["top_p"], top_k=cfg["top_k"],
                    max_new_tokens=MAX_NEW_TOKENS, stop=stop)


def greedy_decoding(family: str) -> Decoding:
    """Arena-Hard generation: temperature 0, top_p 1, 4,096 new tokens, the family's stops (FuseEval's configs)."""
    return Decoding(temperature=0.0, max_new_tokens=MAX_NEW_TOKENS, stop=EXTRA_STOP.get(family, ()))


def task_file(ctx: ScoreContext, task_id: str, name: str) -> Path:
    """The fetched file ``name`` of a task (``<data_dir>/<task>/files/<name>``); a one-line error naming the fetch
    command when it is missing."""
    from evaluation.data import DataError

    data_dir = ctx.options.get("data_dir")
    path = Path(data_dir) / "files" / name if data_dir else None
    if path is None or not path.is_file():
        where = path if path is not None else "(no data_dir in the scoring context)"
        raise DataError(f"{task_id}: {name} is not fetched ({where}); run: python evaluation/fetch_data.py "
                        f"--task {task_id}")
    return path
