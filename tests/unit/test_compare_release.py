"""The release comparison on synthetic files in the released FuseAI schema."""

from __future__ import annotations

import json
from pathlib import Path

from data_construction.compare_release import compare, main


def _sft(ds: str, model: str, q: str) -> dict:
    return {"dataset": ds, "source_model": model,
            "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "a"}]}


def _dpo(ds: str, model: str, q: str) -> dict:
    return {"dataset": ds, "source_model": model, "prompt": [{"role": "user", "content": q}],
            "chosen": [{"role": "assistant", "content": "c"}], "rejected": [{"role": "assistant", "content": "r"}]}


def test_counts_and_overlap() -> None:
    released = [_sft("uf", "Qwen", "Hello  World"), _sft("uf", "Qwen", "b"), _sft("om", "Llama-405B", "c")]
    built = [_sft("uf", "Qwen", "hello world"), _sft("uf", "Gemma", "z")]
    res = compare(released, built)
    assert res["counts"]["uf | Qwen"] == {"released": 2, "built": 1}
    assert res["counts"]["uf | Gemma"] == {"released": 0, "built": 1}
    assert res["prompt_overlap"] == 1  # whitespace/case-normalised first user turn


def test_cli_writes_a_report(tmp_path: Path) -> None:
    (tmp_path / "rel_sft.json").write_text(json.dumps([_sft("uf", "Qwen", "q1")]))
    (tmp_path / "rel_dpo.jsonl").write_text(json.dumps(_dpo("uf", "Qwen", "q2")) + "\n")
    build = tmp_path / "fuseai"
    build.mkdir()
    (build / "FuseChat-3.0-SFT-Data.jsonl").write_text(json.dumps(_sft("uf", "Qwen", "q1")) + "\n")
    (build / "FuseChat-3.0-DPO-Data.jsonl").write_text(json.dumps(_dpo("uf", "Gemma", "q9")) + "\n")
    out = tmp_path / "report.md"
    assert main(["--released-sft", str(tmp_path / "rel_sft.json"), "--released-dpo", str(tmp_path / "rel_dpo.jsonl"),
                 "--build", str(build), "--out", str(out)]) == 0
    text = out.read_text()
    assert "| uf | Qwen | 1 | 1 | +0 |" in text and "| uf | Gemma | 0 | 1 | +1 |" in text and "shared 0" in text
    assert main(["--released-sft", str(tmp_path / "nope.json"), "--released-dpo", str(tmp_path / "rel_dpo.jsonl"),
                 "--build", str(build)]) == 2
