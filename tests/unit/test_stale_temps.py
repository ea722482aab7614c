"""Temporary files a killed run leaves behind are removed when the stage resumes and are never read as output."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from fusechat.io import parquet_readable, read_parquet, remove_stale_temps, write_jsonl, write_parquet
from fusechat.recipe import load_recipe
from fusechat.stage_runner import IN_PROGRESS, StageContext, StageResult, StageSpec, hash_folder, run_stage

REPO = Path(__file__).resolve().parents[2]
SPEC = StageSpec("export", "data/06_export", (), ())


def _recipe(tmp_path: Path):
    return load_recipe(REPO / "recipes" / "smoke.yaml", [f"run.dir={tmp_path / 'run'}"])


def _body(ctx: StageContext) -> StageResult:
    write_jsonl([{"a": 1}], ctx.out_dir / "llamafactory" / "fusechat3_sft.jsonl")
    return StageResult([])


def _killed_run(recipe, stage: StageSpec) -> Path:
    """A folder as an export killed mid-write leaves it: the in-progress marker of the same fingerprint and the
    temporaries of the killed process (pid 999999), at the top and in a chunk folder."""
    from fusechat.stage_runner import fingerprint

    out = recipe.run_dir / stage.folder
    (out / "llamafactory").mkdir(parents=True)
    (out / "chunks" / "gemma").mkdir(parents=True)
    fp, _ = fingerprint(stage, recipe, {})
    (out / IN_PROGRESS).write_text(json.dumps({"fingerprint": fp}))
    (out / "llamafactory" / ".fusechat3_sft.jsonl.tmp-999999").write_text('{"half": ')
    (out / "chunks" / "gemma" / ".000003.parquet.tmp-999999").write_bytes(b"PAR1 half")
    (out / ".manifest.json.tmp-999999").write_text("{")
    return out


def test_a_resumed_stage_removes_the_killed_runs_temporaries(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    out = _killed_run(recipe, SPEC)
    run_stage(SPEC, recipe, _body, {"export": SPEC})
    litter = [p.name for p in out.rglob("*.tmp-*")]
    assert litter == [], litter
    assert (out / "llamafactory" / "fusechat3_sft.jsonl").read_text() == '{"a":1}\n'
    assert (out / "manifest.json").exists() and not (out / IN_PROGRESS).exists()


def test_a_shard_run_leaves_other_writers_temporaries_alone(tmp_path: Path) -> None:
    recipe = _recipe(tmp_path)
    out = _killed_run(recipe, SPEC)
    run_stage(SPEC, recipe, _body, {"export": SPEC}, shard=(0, 2))
    assert (out / "chunks" / "gemma" / ".000003.parquet.tmp-999999").exists()  # another shard may be writing it


def test_remove_stale_temps_matches_only_temporaries(tmp_path: Path) -> None:
    keep = [".in_progress.json", ".shard-0-of-2.json", "000001.parquet", "notes.tmp-1", ".x.tmp-abc"]
    for name in [*keep, ".a.parquet.tmp-12", ".b.jsonl.tmp-3"]:
        (tmp_path / name).write_text("x")
    removed = remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == [".a.parquet.tmp-12", ".b.jsonl.tmp-3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


def test_temporaries_are_not_output(tmp_path: Path) -> None:
    write_parquet([{"x": 1}], tmp_path / "000000.parquet", pa.schema([("x", pa.int64())]))
    before = hash_folder(tmp_path)
    (tmp_path / ".000001.parquet.tmp-77").write_bytes(b"PAR1")
    assert hash_folder(tmp_path) == before
    assert parquet_readable(tmp_path / "000000.parquet")
    (tmp_path / "000001.parquet").write_bytes(b"PAR1 cut short")  # e.g. a crash without fsync
    assert not parquet_readable(tmp_path / "000001.parquet") and not parquet_readable(tmp_path / "none.parquet")


def test_sampling_merges_exactly_its_chunks_never_litter(tmp_path: Path) -> None:
    """All chunks done (no generator is loaded): the merge reads the expected chunk names only, so a stray
    Parquet file or a temporary in a chunk folder never becomes output."""
    from data_construction import sampling
    from data_construction.selection import PROMPT_FILE
    from fusechat.stage_table import STAGES

    recipe = _recipe(tmp_path)
    prompts_dir = tmp_path / "prompts"
    prompts = [{"id": f"p{i}", "domain": "general", "messages": [{"role": "user", "content": f"q{i}"}],
                "dataset_response": None, "dataset_response_model": None} for i in range(2)]
    write_parquet(prompts, prompts_dir / PROMPT_FILE)
    out = tmp_path / "out"
    general = [m.name for m in recipe.data.sampling.models if "general" in m.domains]
    for name in general:
        rows = [{"prompt_id": p["id"], "model": name, "sample_index": 0, "text": "a", "finish_reason": "stop",
                 "prompt_tokens": 1, "completion_tokens": 1, "seed": 0, "params": "{}"} for p in prompts]
        write_parquet(rows, out / "chunks" / name / "000000.parquet", sampling.RESPONSE_SCHEMA)
    stray = [{**r, "prompt_id": "stray"} for r in rows]
    write_parquet(stray, out / "chunks" / general[0] / "000007.parquet", sampling.RESPONSE_SCHEMA)
    (out / "chunks" / general[0] / ".000001.parquet.tmp-4242").write_bytes(b"PAR1")
    ctx = StageContext(spec=STAGES["sample_responses"], recipe=recipe, out_dir=out,
                       input_dirs={"select_prompts": prompts_dir})
    result = sampling.run(ctx)
    merged = [r["prompt_id"] for r in read_parquet(out / sampling.RESPONSE_FILE)]
    assert "stray" not in merged and len(merged) == 2 * len(general)
    assert result.counts[0].n_out == 2
