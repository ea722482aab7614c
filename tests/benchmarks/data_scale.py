"""Paper-scale benchmark of select → build → export (issue: data construction at paper scale).

    .venv/bin/python tests/benchmarks/data_scale.py [--scale 1.0] [--workdir /tmp/fusechat-scale]

1. (not timed, cached per scale) Writes synthetic source files in the real schemas of the eight datasets, and the
   sampled/scored/verified response tables the GPU stages would have produced: 20 responses per general prompt
   (4 models × 5), 32 per code prompt (4 × 8), k+1 = 5 per math prompt (dataset solution + 4 Qwen-Math), 1 per
   Chinese prompt, ~1.5 KB of text each. At scale 1: ≈166k selected prompts, ≈2.5M responses.
   LeetCode has its real size (~2,360 problems × scale), not its published row; verdicts include static failures,
   program timeouts and grader failures.
2. (timed, in a fresh child process) Runs the real ``select_prompts``, ``build_sft_dpo`` and ``export`` stages with
   ``data.release=seed`` (targets × scale; ``--set KEY=VALUE`` adds overrides, e.g. the code readings
   ``data.build.code_prompts=disjoint`` or ``data.build.code_scoring=gate``), prints the LeetCode and self-oss
   rows, and prints, as its last line,
   ``entries=<N> sft=<N> dpo=<N> wall_s=<s> peak_rss_mib=<m>``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from data_construction.release import SEED
from data_construction.sampling import RESPONSE_SCHEMA
from data_construction.scoring import SCORE_SCHEMA
from data_construction.selection import prompt_id
from data_construction.sources import MAPPERS
from data_construction.verification import VERDICT_SCHEMA
from fusechat.recipe import REPO_ROOT

SOURCES = {  # name -> (domain, responses per prompt as (model, n) pairs)
    "ultrafeedback": "general", "magpie_pro_dpo": "general", "helpsteer2": "general",
    "openmathinstruct2": "math", "leetcode": "code", "self_oss_instruct": "code",
    "alpaca_gpt4_zh": "chinese", "magpie_qwen2_zh": "chinese",
}
GENERAL_MODELS = ["gemma-2-27b-it", "Mistral-Large-Instruct-2407", "Qwen2.5-72B-Instruct", "Llama-3.1-70B-Instruct"]
OVERSAMPLE = 1.045  # selected prompts ≈ 1.045 × (SFT + DPO) ≈ 164k at scale 1
# Sources smaller than their published row: greengerong/leetcode has about 2,360 problems (hub viewer), fewer than
# the 3,113 LeetCode entries of the published tables, so only shared code prompts can reach that row.
SOURCE_ROWS = {"leetcode": 2360}
TEXT_POOL = 4096
GENERATOR = 2  # bump when the synthetic inputs change (the cache folder carries it)
# verdict mixes: (status, probability); grader failures and static failures exercise every pairing branch
CODE_VERDICTS = [("passed", 0.6), ("failed", 0.25), ("timeout", 0.04), ("static_fail", 0.04), ("no_code", 0.04),
                 ("error", 0.03)]
MATH_VERDICTS = [("correct", 0.55), ("incorrect", 0.43), ("timeout", 0.01), ("error", 0.01)]


def _draw(rng: random.Random, mix: list[tuple[str, float]]) -> str:
    x = rng.random()
    for status, prob in mix:
        if x < prob:
            return status
        x -= prob
    return mix[-1][0]


def _text_pool(rng: random.Random) -> pa.Array:
    words = ["model", "fusion", "river", "answer", "step", "value", "because", "the", "we", "compute", "列表", "数据"]
    return pa.array([" ".join(rng.choice(words) for _ in range(230))[:1500] for _ in range(TEXT_POOL)], pa.string())


VOCAB = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "pu", "ro", "sa", "ti", "vo", "ze") for b in
         ("ban", "cor", "dil", "fen", "gar", "hul", "jor", "kim", "lun", "mar", "nox", "pel", "quin", "rav", "sul")]
HANZI = "天地人山水火木金土日月星风云雨雪花草鱼鸟马牛羊书画琴棋诗酒茶城河海江湖"


def _words(i: int, n: int = 12) -> str:
    r = random.Random(i)
    return " ".join(r.choice(VOCAB) for _ in range(n))


def source_row(name: str, i: int) -> dict[str, Any]:
    """One row in the real schema of ``name`` whose prompt text is unique and not a near duplicate (index ``i``)."""
    q = f"Describe {_words(i)} and give two reasons for your view."
    zh_rng = random.Random(i)
    zh = "请介绍一下" + "".join(zh_rng.choice(HANZI) for _ in range(16)) + "的历史。"
    if name == "ultrafeedback":
        return {"source": "ultrachat", "instruction": q, "models": [], "completions": [],
                "correct_answers": ["None"], "incorrect_answers": ["None"]}
    if name == "magpie_pro_dpo":
        return {"uuid": f"u{i}", "instruction": q, "task_category": "Information seeking", "input_quality": "good",
                "difficulty": "medium", "chosen": [{"content": q, "role": "user"}, {"content": "a", "role": "assistant"}],
                "rejected": [{"content": q, "role": "user"}, {"content": "b", "role": "assistant"}]}
    if name == "helpsteer2":
        return {"prompt": q, "response": "r", "helpfulness": 3, "correctness": 3, "coherence": 4, "complexity": 2,
                "verbosity": 2}
    if name == "openmathinstruct2":
        return {"problem": f"Tom has {i} apples and buys 3 more ({_words(i, 8)}). How many apples does he have?",
                "generated_solution": f"{i} + 3 = {i + 3}. The answer is \\boxed{{{i + 3}}}.",
                "expected_answer": str(i + 3), "problem_source": "augmented_gsm8k"}
    if name == "leetcode":
        content = (f"Given two integers `a` and `b`, return their sum plus {i} ({_words(i)}).\n**Example 1:**\n"
                   f"**Input:** a = 1, b = 2\n**Output:** {3 + i}\n**Constraints:**\n* `-100 <= a, b <= 100`")
        return {"id": i, "slug": f"sum-plus-{i}", "title": f"Sum Plus {i}", "difficulty": "Easy", "content": content,
                "java": "", "c++": "", "python": f"def sum_plus(a, b):\n    return a + b + {i}\n", "javascript": "",
                "explanation": ""}
    if name == "self_oss_instruct":
        resp = (f"```python\ndef add_{i}(a, b):\n    return a + b + {i}\n```\n\n### Tests\n```python\n"
                f"assert add_{i}(1, 2) == {3 + i}\n```\n")
        return {"fingerprint": None, "sha1": f"s{i}", "seed": "", "response": resp, "concepts": [],
                "prompt": "", "instruction": f"Write a Python function add_{i}(a, b) returning a + b + {i}: {_words(i)}.",
                "id": i}
    if name == "alpaca_gpt4_zh":
        return {"instruction": zh, "input": "", "output": "好的。"}
    if name == "magpie_qwen2_zh":
        return {"uuid": f"z{i}", "conversations": [{"from": "human", "value": zh}, {"from": "gpt", "value": "好"}],
                "task_category": "Information seeking", "input_quality": "good", "difficulty": "easy",
                "language": "ZH"}
    raise KeyError(name)


def generate(workdir: Path, scale: float, sources: dict[str, str], seed: int = 0) -> dict[str, Any]:
    """Write the synthetic inputs once per scale; return their description (cached in inputs.json)."""
    meta_path = workdir / "inputs.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    pool = _text_pool(rng)
    (workdir / "sources").mkdir(parents=True, exist_ok=True)
    prompts: list[tuple[str, str]] = []  # (prompt id, domain), in selection order
    offset = 0
    for name, domain in sources.items():
        sft, dpo = SEED[name]
        n = math.ceil((sft + dpo) * scale * OVERSAMPLE)
        if name in SOURCE_ROWS:
            n = min(n, round(SOURCE_ROWS[name] * scale))
        rows = [source_row(name, offset + i) for i in range(n)]
        offset += n
        pq.write_table(pa.Table.from_pylist(rows), workdir / "sources" / f"{name}.parquet", compression="zstd")
        for r in rows:
            rec = MAPPERS[name](r)
            prompts.append((prompt_id(name, rec["messages"][-1]["content"]), domain))
    prompts.sort()
    writers = {k: pq.ParquetWriter(workdir / f"{k}.parquet", schema, compression="zstd")
               for k, schema in (("responses", RESPONSE_SCHEMA), ("scores", SCORE_SCHEMA), ("verdicts", VERDICT_SCHEMA))}
    n_resp = 0
    buf: dict[str, list] = {k: [] for k in ("pid", "model", "idx", "score", "status")}

    def flush() -> None:
        nonlocal n_resp
        m = len(buf["pid"])
        if not m:
            return
        text = pool.take(pa.array(nprng.integers(0, TEXT_POOL, m)))
        keys = {"prompt_id": pa.array(buf["pid"]), "model": pa.array(buf["model"]),
                "sample_index": pa.array(buf["idx"], pa.int32())}
        writers["responses"].write_table(pa.table({
            **keys, "text": text, "finish_reason": pa.array(["stop"] * m), "prompt_tokens": pa.array([64] * m, pa.int32()),
            "completion_tokens": pa.array([380] * m, pa.int32()), "seed": pa.array([0] * m, pa.int64()),
            "params": pa.array(["{}"] * m)}, schema=RESPONSE_SCHEMA))
        writers["scores"].write_table(pa.table({**keys, "score": pa.array(buf["score"], pa.float64())},
                                               schema=SCORE_SCHEMA))
        writers["verdicts"].write_table(pa.table({**keys, "status": pa.array(buf["status"]),
                                                  "extracted": pa.array([None] * m, pa.string())}, schema=VERDICT_SCHEMA))
        n_resp += m
        for v in buf.values():
            v.clear()

    for pid, domain in prompts:
        if domain == "general":
            plan = [(m, 5) for m in GENERAL_MODELS]
        elif domain == "code":
            plan = [(m, 8) for m in GENERAL_MODELS]
        elif domain == "math":
            plan = [("Llama-3.1-405B-Instruct", 1), ("Qwen2.5-Math-72B-Instruct", 4)]
        else:
            plan = [("Qwen2.5-72B-Instruct", 1)]
        for model, n in sorted(plan):
            base = rng.uniform(0.08, 0.2)
            for j in range(n):
                buf["pid"].append(pid)
                buf["model"].append(model)
                buf["idx"].append(j)
                buf["score"].append(base + rng.uniform(-0.04, 0.04))
                if domain == "math":
                    buf["status"].append(_draw(rng, MATH_VERDICTS))
                elif domain == "code":
                    buf["status"].append(_draw(rng, CODE_VERDICTS))
                else:
                    buf["status"].append("not_applicable")
        if len(buf["pid"]) >= 200_000:
            flush()
    flush()
    for w in writers.values():
        w.close()
    meta = {"scale": scale, "prompts": len(prompts), "responses": n_resp,
            "responses_bytes": (workdir / "responses.parquet").stat().st_size}
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta


def recipe_overrides(workdir: Path, scale: float, sources: dict[str, str], extra: list[str] | None = None) -> list[str]:
    sources = [{"name": n, "domain": d, "path": str(workdir / "sources" / f"{n}.parquet")} for n, d in sources.items()]
    return [f"run.dir={workdir / 'run'}", "world.enabled=false", "data.release=seed", f"data.release_scale={scale}",
            f"data.sources={json.dumps(sources)}", *(extra or [])]


def _fake_upstream(workdir: Path, recipe) -> None:
    """Place the pre-generated response/score/verdict tables where the GPU stages would have written them."""
    from fusechat.stage_runner import MANIFEST
    from fusechat.stage_table import STAGES

    for stage, name, file in (("sample_responses", "responses", "responses.parquet"),
                              ("score_rewards", "scores", "scores.parquet"),
                              ("verify_answers", "verdicts", "verdicts.parquet")):
        folder = recipe.run_dir / STAGES[stage].folder
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / file
        if not target.exists():
            target.symlink_to(workdir / f"{name}.parquet")
        (folder / MANIFEST).write_text(json.dumps({"stage": stage, "fingerprint": f"synthetic-scale-{name}"}))


def timed(workdir: Path, scale: float, sources: dict[str, str], extra: list[str] | None = None) -> None:
    """The measured part: select → build → export through the real stage runner (a fresh process)."""
    from data_construction import build, export, selection
    from fusechat.recipe import load_recipe
    from fusechat.stage_runner import run_stage
    from fusechat.stage_table import STAGES

    recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml", recipe_overrides(workdir, scale, sources, extra))
    _fake_upstream(workdir, recipe)
    t0 = time.perf_counter()
    for name, body in (("select_prompts", selection.run), ("build_sft_dpo", build.run), ("export", export.run)):
        run_stage(STAGES[name], recipe, body, STAGES, force=True)
    wall = time.perf_counter() - t0
    stats = json.loads((recipe.run_dir / STAGES["build_sft_dpo"].folder / "manifest.json").read_text())["stats"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if stats.get("shortfall"):
        print(f"shortfall: {json.dumps(stats['shortfall'])}")
    for src in ("leetcode", "self_oss_instruct"):
        if src in stats["per_source"]:
            row = stats["per_source"][src]
            print(f"{src}: sft={row['sft']} dpo={row['dpo']} entries={row['sft'] + row['dpo']}")
    print(f"code_scoring={stats.get('code_scoring')} code_prompts={stats.get('code_prompts')} "
          f"prompts_in_sft_and_dpo={stats.get('prompts_in_sft_and_dpo', 0)}")
    print(f"entries={stats['sft'] + stats['dpo']} sft={stats['sft']} dpo={stats['dpo']} wall_s={wall:.1f} "
          f"peak_rss_mib={rss:.0f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/fusechat-scale"))
    p.add_argument("--sources", default=",".join(SOURCES), help="comma-separated subset of the eight sources")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="extra recipe override for the timed stages, e.g. data.build.code_prompts=disjoint")
    p.add_argument("--timed-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    sources = {s: SOURCES[s] for s in args.sources.split(",")}
    tag = "" if len(sources) == len(SOURCES) else "-" + "-".join(sorted(sources))
    workdir = args.workdir / f"scale-{args.scale:g}{tag}-g{GENERATOR}"
    if args.timed_child:
        timed(workdir, args.scale, sources, args.overrides)
        return
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    meta = generate(workdir, args.scale, sources)
    print(f"inputs: {meta['prompts']} prompts, {meta['responses']} responses, "
          f"{meta['responses_bytes'] / 2**20:.0f} MiB responses.parquet (generation {time.perf_counter() - t0:.0f}s, "
          "not timed)", flush=True)
    proc = subprocess.run([sys.executable, __file__, "--scale", str(args.scale), "--workdir", str(args.workdir),
                           "--sources", args.sources, *(f"--set={o}" for o in args.overrides), "--timed-child"],
                          cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    print(proc.stdout.strip())
    raise SystemExit(proc.returncode)


if __name__ == "__main__":
    main()
