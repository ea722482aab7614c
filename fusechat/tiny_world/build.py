"""Build the tiny world: tokenizers, tiny causal LMs, a tiny reward model, synthetic data.

Built by code, deterministic from a seed, cached under ``.cache/tiny_world/<key>`` where the key hashes the builder's
source and its settings (``FUSECHAT_CACHE`` moves the cache). Nothing here is committed as a binary.

The tiny models are briefly trained on synthetic conversations in their family's chat format, each source model
with its own answer quality, so sampling yields a mix: some math answers right and some wrong, RM gaps inside and
outside the [0.01, 0.1] window. The tiny reward model is a ``LlamaForSequenceClassification`` (one label) trained
to regress a transparent heuristic quality on ArmoRM's score scale (~0.02-0.25) and is read through the same
scorer that reads ArmoRM.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import random
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusechat.recipe import REPO_ROOT
from fusechat.stage_table import stage_hook
from fusechat.tiny_world import synthetic as syn
from fusechat.tiny_world.chat_formats import FAMILIES, Family

BUILD_VERSION = 1
SOURCE_MODELS: dict[str, dict[str, Any]] = {
    # name -> family, general answer quality, math accuracy
    "gemma-2-27b-it": {"family": "gemma2", "quality": 0.8, "math_acc": 0.6},
    "Mistral-Large-Instruct-2407": {"family": "mistral", "quality": 0.7, "math_acc": 0.6},
    "Qwen2.5-72B-Instruct": {"family": "qwen2", "quality": 0.75, "math_acc": 0.65},
    "Llama-3.1-70B-Instruct": {"family": "llama3", "quality": 0.6, "math_acc": 0.55},
    "Qwen2.5-Math-72B-Instruct": {"family": "qwen2", "quality": 0.5, "math_acc": 0.75},
}
TARGET_MODELS: dict[str, dict[str, Any]] = {
    "Llama-3.1-8B-Instruct": {"family": "llama3", "quality": 0.4, "math_acc": 0.4},
}
RM_NAME = "ArmoRM-Llama3-8B-v0.1"
DATA_FILES = {
    "ultrafeedback": "data/ultrafeedback/train.parquet",
    "openmathinstruct2": "data/openmathinstruct2/train.parquet",
    "alpaca_gpt4_zh": "data/alpaca_gpt4_zh/alpaca_gpt4_data_zh.json",
    "magpie_pro_dpo": "data/magpie_pro_dpo/train.parquet",
    "helpsteer2": "data/helpsteer2/train.jsonl",
    "leetcode": "data/leetcode/leetcode-train.jsonl",
    "self_oss_instruct": "data/self_oss_instruct/train.parquet",
    "magpie_qwen2_zh": "data/magpie_qwen2_zh/train.parquet",
    "ultrafeedback_wrpo": "data/ultrafeedback_wrpo/train.parquet",  # WRPO's released responses (assumed schema)
    "gsm8k": "bench/gsm8k/test.jsonl",
    "mmlu": "bench/mmlu/test.jsonl",
}


@dataclass(frozen=True)
class TinyWorldSettings:
    seed: int = 0
    prompts_per_source: int = 24
    bench_items: int = 24


def settings_from(world_cfg: Any) -> TinyWorldSettings:
    """The tiny-world settings named by a recipe's ``world`` section."""
    return TinyWorldSettings(world_cfg.seed, world_cfg.prompts_per_source, world_cfg.bench_items)


def cache_root() -> Path:
    return Path(os.environ.get("FUSECHAT_CACHE", REPO_ROOT / ".cache")) / "tiny_world"


def world_key(settings: TinyWorldSettings) -> str:
    """Content key: the builder's own source files, its settings and the transformers major version."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for p in sorted(here.glob("*.py")):
        h.update(p.read_bytes())
    # the evaluation prompt formats the models learn (not the whole task files: scoring edits keep the world)
    example = {"question": "Q?", "choices": ["a", "b"]}
    h.update(json.dumps([_mc_question(example), [_formats().math_prompt("Q?", f).messages for f in FAMILIES]]).encode())
    from importlib.metadata import version

    h.update(json.dumps([BUILD_VERSION, settings.__dict__, version("transformers").split(".")[0]]).encode())
    return h.hexdigest()[:16]


@contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_world(settings: TinyWorldSettings | None = None) -> Path:
    """Return the folder of the built tiny world, building it once (under a file lock) if missing."""
    settings = settings or TinyWorldSettings()
    root = cache_root() / world_key(settings)
    if (root / "world.json").exists():
        return root
    with _lock(cache_root() / ".lock"):
        if (root / "world.json").exists():
            return root
        tmp = root.with_name(root.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.perf_counter()
        _build(tmp, settings)
        (tmp / "world.json").write_text(json.dumps({
            "settings": settings.__dict__, "key": root.name, "build_s": round(time.perf_counter() - t0, 1),
            "models": {**{n: f"models/{n}" for n in (*SOURCE_MODELS, *TARGET_MODELS, RM_NAME)}},
            "data": DATA_FILES,
        }, indent=2))
        os.replace(tmp, root)
        print(f"[tiny_world] built {root} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return root


def resolve(ref: str, settings: TinyWorldSettings | None = None) -> str:
    """Map ``tiny:<name>`` to a path in the tiny world; any other reference (hub id, path) is returned as is."""
    if not ref.startswith("tiny:"):
        return ref
    name = ref[len("tiny:"):]
    root = ensure_world(settings)
    meta = json.loads((root / "world.json").read_text())
    if name in meta["models"]:
        return str(root / meta["models"][name])
    if name in meta["data"]:
        return str(root / meta["data"][name])
    known = sorted([*meta["models"], *meta["data"]])
    raise KeyError(f"unknown tiny-world reference {ref!r}; known: {', '.join(known)}")


# ------------------------------------------------------------------------------------------ building
def _build(root: Path, s: TinyWorldSettings) -> None:
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    rng = random.Random(s.seed)
    data = {
        "ultrafeedback": syn.ultrafeedback_rows(rng, s.prompts_per_source),
        "openmathinstruct2": syn.openmathinstruct2_rows(rng, s.prompts_per_source),
        "alpaca_gpt4_zh": syn.alpaca_gpt4_zh_rows(rng, max(8, s.prompts_per_source // 2)),
        "magpie_pro_dpo": syn.magpie_pro_dpo_rows(rng, max(6, s.prompts_per_source // 3)),
        "helpsteer2": syn.helpsteer2_rows(rng, max(6, s.prompts_per_source // 3)),
        "leetcode": syn.leetcode_rows(rng, max(5, s.prompts_per_source // 4)),
        "self_oss_instruct": syn.self_oss_instruct_rows(rng, max(5, s.prompts_per_source // 4)),
        "magpie_qwen2_zh": syn.magpie_qwen2_zh_rows(rng, max(6, s.prompts_per_source // 3)),
        "gsm8k": syn.gsm8k_items(random.Random(s.seed + 1), s.bench_items),
        "mmlu": syn.mmlu_items(random.Random(s.seed + 2), s.bench_items),
    }
    general_models = [spec["quality"] for name, spec in SOURCE_MODELS.items() if "Math" not in name]
    data["ultrafeedback_wrpo"] = syn.ultrafeedback_wrpo_rows(random.Random(s.seed + 4), data["ultrafeedback"],
                                                             general_models)
    _write_data(root, data)
    corpus = _corpus(random.Random(s.seed + 3), data)
    tokenizers = {name: _make_tokenizer(fam, corpus, root / "tokenizers" / name) for name, fam in FAMILIES.items()}
    for i, (name, spec) in enumerate({**SOURCE_MODELS, **TARGET_MODELS}.items()):
        fam = FAMILIES[spec["family"]]
        steps = 120 if name in TARGET_MODELS else 220
        convs = _training_conversations(random.Random(s.seed + 100 + i), spec, data,
                                        with_code=name in SOURCE_MODELS, eval_formats=name in TARGET_MODELS)
        _make_causal_lm(fam, tokenizers[fam.name], convs, root / "models" / name, seed=s.seed + i, steps=steps)
    _make_reward_model(tokenizers["llama3"], random.Random(s.seed + 50), data, root / "models" / RM_NAME, s.seed)


def _write_data(root: Path, data: dict[str, list[dict[str, Any]]]) -> None:
    from fusechat.io import write_jsonl, write_parquet

    for key, rel in DATA_FILES.items():
        path = root / rel
        if rel.endswith(".parquet"):
            write_parquet(data[key], path)
        elif rel.endswith(".jsonl"):
            write_jsonl(data[key], path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data[key], ensure_ascii=False, indent=1), encoding="utf-8")


def _corpus(rng: random.Random, data: dict[str, list[dict[str, Any]]]) -> list[str]:
    texts = [r["instruction"] for r in data["ultrafeedback"]]
    texts += [c["response"] for r in data["ultrafeedback"] for c in r["completions"]]
    texts += [r["problem"] + " " + r["generated_solution"] for r in data["openmathinstruct2"]]
    texts += [r["instruction"] + r["output"] for r in data["alpaca_gpt4_zh"]]
    texts += [_mc_question(it) + " " + syn.mc_response(it) for it in data["mmlu"]]
    texts += [_formats().math_instruction] * 20
    texts += [r["content"] + r["python"] for r in data["leetcode"]]
    texts += [r["instruction"] + r["response"] for r in data["self_oss_instruct"]]
    texts += [r["conversations"][0]["value"] for r in data["magpie_qwen2_zh"]]
    texts += [r["instruction"] for r in data["magpie_pro_dpo"]]
    texts += [r["prompt"] for r in data["helpsteer2"]]
    texts += [syn.general_response(syn.general_prompt(rng), rng, 0.5) for _ in range(200)]
    texts += [syn.chinese_response(syn.chinese_prompt(rng), rng) for _ in range(100)]
    texts += ["system user assistant model You are Qwen, created by Alibaba Cloud. You are a helpful assistant."]
    texts += [str(i) for i in range(200)]
    return texts


def _formats() -> Any:
    """The evaluation's prompt formats (``evaluation.tasks.TrainingFormats``), asked of the eval_generate stage."""
    return stage_hook("training_formats")()


def _mc_question(item: dict[str, Any]) -> str:
    return _formats().mc_question(item["question"], item["choices"])


def _make_tokenizer(fam: Family, corpus: list[str], out: Path):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=900, special_tokens=fam.special_tokens, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=fam.bos, eos_token=fam.eos, pad_token=fam.pad,
        additional_special_tokens=[t for t in fam.special_tokens if t not in (fam.bos, fam.eos, fam.pad)],
        model_input_names=["input_ids", "attention_mask"], padding_side="left",
    )
    hf.chat_template = fam.chat_template
    out.mkdir(parents=True, exist_ok=True)
    hf.save_pretrained(out)
    _pin_tokenizer_class(out)
    return hf


def _pin_tokenizer_class(folder: Path) -> None:
    """Write ``PreTrainedTokenizerFast`` so transformers 4.x and 5.x both load it."""
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False))


def _config(fam: Family, tok, **extra: Any):
    from transformers import AutoConfig

    kwargs: dict[str, Any] = dict(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512,
        bos_token_id=tok.convert_tokens_to_ids(fam.bos), eos_token_id=tok.convert_tokens_to_ids(fam.eos),
        pad_token_id=tok.pad_token_id, tie_word_embeddings=True,
    )
    if fam.arch == "gemma2":
        kwargs.update(head_dim=32, sliding_window=256, query_pre_attn_scalar=32)
    if fam.arch == "mistral":
        kwargs.update(head_dim=32, sliding_window=None)
    kwargs.update(extra)
    return AutoConfig.for_model(fam.arch, **kwargs)


def _training_conversations(rng: random.Random, spec: dict[str, Any], data: dict[str, list],
                            with_code: bool = True, eval_formats: bool = False) -> list[list[dict]]:
    """Chat conversations a tiny model is trained on; only source models learn code answers (the tiny target
    collapses onto code fences otherwise, and no stage asks it for code); only the target, which the evaluation
    stages ask, also learns the benchmark prompt formats (math CoT prompt of its family, MC-Eval prompt)."""
    convs = []
    for row in data["ultrafeedback"]:
        for _ in range(3):
            resp = syn.general_response(row["instruction"], rng, spec["quality"])
            convs.append([{"role": "user", "content": row["instruction"]}, {"role": "assistant", "content": resp}])
    for row in data["openmathinstruct2"]:
        for k in range(3):
            sol = syn.math_solution(row["problem"], int(row["expected_answer"]), rng.random() < spec["math_acc"], rng)
            # one of three in the evaluation harness's math prompt (Qwen2.5-Math CoT type of the family)
            msgs = _formats().math_prompt(row["problem"], spec["family"]).messages if k == 0 and eval_formats else \
                [{"role": "user", "content": row["problem"]}]
            convs.append([*msgs, {"role": "assistant", "content": sol}])
    for row in data["alpaca_gpt4_zh"]:
        convs.append([{"role": "user", "content": row["instruction"]},
                      {"role": "assistant", "content": syn.chinese_response(row["instruction"], rng)}])
    for row in (data["self_oss_instruct"] if with_code else []):  # code answers: right with probability `quality`, else a broken body
        code = row["response"].split("```python\n")[1].split("```")[0]
        if rng.random() > spec["quality"]:
            code = code.replace("return ", "return 1 + ")
        convs.append([{"role": "user", "content": row["instruction"]},
                      {"role": "assistant", "content": f"```python\n{code}```"}])
    for item in data["mmlu"][:12] if eval_formats else []:  # the harness's MC prompt (FuseEval MC-Eval)
        convs.append([{"role": "user", "content": _mc_question(item)},
                      {"role": "assistant", "content": syn.mc_response(item)}])
    rng.shuffle(convs)
    return convs


def _train_loop(model, batches, steps: int, lr: float, loss_fn) -> None:
    import torch

    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        batch = batches[step % len(batches)]
        loss = loss_fn(model, batch)
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()


def _make_causal_lm(fam: Family, tok, convs: list[list[dict]], out: Path, seed: int, steps: int) -> None:
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(_config(fam, tok))
    texts = [tok.apply_chat_template(c, tokenize=False) for c in convs]
    texts.sort(key=len)  # length buckets: the few long benchmark prompts pad one batch, not every batch
    tok.padding_side = "right"
    batches = []
    for i in range(0, len(texts), 16):
        enc = tok(texts[i:i + 16], return_tensors="pt", padding=True, truncation=True, max_length=384,
                  add_special_tokens=False)
        labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
        batches.append((enc, labels))
    random.Random(seed).shuffle(batches)
    tok.padding_side = "left"

    def loss_fn(m, batch):
        enc, labels = batch
        return m(**enc, labels=labels).loss

    _train_loop(model, batches, steps, 3e-3, loss_fn)
    stop_ids = [tok.convert_tokens_to_ids(t) for t in fam.stop_tokens]
    model.generation_config = GenerationConfig(
        bos_token_id=tok.convert_tokens_to_ids(fam.bos), eos_token_id=stop_ids, pad_token_id=tok.pad_token_id,
        do_sample=True, temperature=0.6, top_p=0.9,
    )
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    _pin_tokenizer_class(out)


def heuristic_quality(prompt: str, response: str, gold: str | None = None) -> float:
    """The quality the tiny RM learns, on ArmoRM's scale: on-topic sentences up, filler down, right math up."""
    score = 0.10
    words = [w.strip(".,?!").lower() for w in prompt.split()]
    topical = [w for w in words if len(w) > 3 and w not in {"write", "short", "note", "about", "describe", "explain",
                                                            "people", "simple", "words", "makes", "interesting"}]
    hits = sum(1 for w in topical if w in response.lower())
    score += 0.03 * min(hits, 3)
    score -= 0.03 * sum(response.count(b) for b in syn.BAD_SENTENCES)
    if gold is not None:
        score += 0.08 if f"\\boxed{{{gold}}}" in response else -0.05
    if any("\u4e00" <= ch <= "\u9fff" for ch in prompt):
        score += 0.02 * min(len(response) // 10, 4)
    return max(0.0, min(0.3, score))


def _make_reward_model(tok, rng: random.Random, data: dict[str, list], out: Path, seed: int) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification

    examples: list[tuple[list[dict], float]] = []
    for row in data["ultrafeedback"]:
        for q in (0.0, 0.3, 0.6, 1.0):
            resp = syn.general_response(row["instruction"], rng, q)
            examples.append(([{"role": "user", "content": row["instruction"]}, {"role": "assistant", "content": resp}],
                             heuristic_quality(row["instruction"], resp)))
    for row in data["openmathinstruct2"]:
        for correct in (True, False):
            sol = syn.math_solution(row["problem"], int(row["expected_answer"]), correct, rng)
            examples.append(([{"role": "user", "content": row["problem"]}, {"role": "assistant", "content": sol}],
                             heuristic_quality(row["problem"], sol, row["expected_answer"])))
    for row in data["alpaca_gpt4_zh"]:
        examples.append(([{"role": "user", "content": row["instruction"]},
                          {"role": "assistant", "content": row["output"]}],
                         heuristic_quality(row["instruction"], row["output"])))
    rng.shuffle(examples)
    torch.manual_seed(seed)
    fam = FAMILIES["llama3"]
    model = AutoModelForSequenceClassification.from_config(_config(fam, tok, num_labels=1))
    tok.padding_side = "right"
    batches = []
    for i in range(0, len(examples), 16):
        chunk = examples[i:i + 16]
        texts = [tok.apply_chat_template(c, tokenize=False) for c, _ in chunk]
        enc = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=160, add_special_tokens=False)
        batches.append((enc, torch.tensor([y for _, y in chunk])))
    tok.padding_side = "left"

    def loss_fn(m, batch):
        enc, y = batch
        return torch.nn.functional.mse_loss(m(**enc).logits.squeeze(-1), y)

    _train_loop(model, batches, 300, 2e-3, loss_fn)
    model.save_pretrained(out, safe_serialization=True)
    tok.save_pretrained(out)
    _pin_tokenizer_class(out)
