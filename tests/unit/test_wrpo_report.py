"""The WRPO table (``evaluation.wrpo_report``) from ``eval_score``'s metrics files: eval.models entries become paper
rows by their reference (@sft, @dpo, the target's own path), cells are the metrics values at the benchmark's
precision, "—" where a benchmark was not evaluated, and failed/unparsable judgments and the judge cost are listed
under the table. The WRPO stage table runs FuseChat-3.0's evaluation stages unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation import metrics as metrics_mod
from evaluation import paper_rows, wrpo_report
from fusechat.pipeline import WRPO_SCRIPTS
from fusechat.recipe import load_recipe
from fusechat.run_layout import slug
from fusechat.stage_runner import StageContext
from fusechat.stage_table import STAGES, WRPO_STAGES

REPO = Path(__file__).resolve().parents[2]


def test_wrpo_stages_run_the_fusechat_eval_stages_before_the_table() -> None:
    names = list(WRPO_STAGES)
    assert names[-3:] == ["eval_generate", "eval_score", "wrpo_report"] and list(WRPO_SCRIPTS)[-3:] == names[-3:]
    for s in ("eval_generate", "eval_score"):
        assert WRPO_STAGES[s] == STAGES[s]
    assert set(WRPO_STAGES["eval_generate"].inputs) <= set(WRPO_STAGES)
    assert "eval_score" in WRPO_STAGES["wrpo_report"].inputs


def _cell(task: str, value: float | None, **stats: int) -> dict:
    js = {"calls": 3, "cache_hits": 1, "prompt_tokens": 100, "completion_tokens": 9, "failed": 0, "unparsable": 0,
          **stats}
    return {"value": value, "task": task, "task_version": "1", "protocol": {}, "judge_stats": js,
            "judge_model": "tiny-judge", "judge_endpoint": "127.0.0.1"}


def _metrics(model: str, ae: float, mt1: float, failed: int = 0) -> dict:
    ae_cell = _cell("alpacaeval2", ae, failed=failed)
    mt = _cell("mt_bench", 5.0)
    return {"schema": metrics_mod.SCHEMA, "model": model, "benchmarks": {
        "alpacaeval2": ae_cell, "alpacaeval2_wr": {**ae_cell, "value": ae + 1.25},
        "mt_bench_turn1": {**mt, "value": mt1}, "mt_bench_turn2": {**mt, "value": 4.5}, "mt_bench": mt},
        "protocol": {"harness": "t", "judge": "tiny-judge", "decoding": {}}}


def _run(tmp_path: Path, models: dict[str, dict], *overrides: str) -> tuple[str, dict]:
    recipe = load_recipe(REPO / "recipes" / "smoke_wrpo.yaml", [f"run.dir={tmp_path}", *overrides])
    dpo_dir = tmp_path / WRPO_STAGES["dpo"].folder
    dpo_dir.mkdir(parents=True)
    (dpo_dir / "manifest.json").write_text(json.dumps({"stats": {"loss": recipe.dpo.loss, "trainer": "T",
                                                                 "global_steps": 2, "train_loss": 0.5}}))
    score = tmp_path / WRPO_STAGES["eval_score"].folder
    score.mkdir(parents=True)
    for label, m in models.items():
        (score / f"{slug(label)}.metrics.json").write_text(json.dumps(m))
    out = tmp_path / WRPO_STAGES["wrpo_report"].folder
    out.mkdir(parents=True)
    ctx = StageContext(WRPO_STAGES["wrpo_report"], recipe, out, {"dpo": dpo_dir, "eval_score": score})
    res = wrpo_report.run(ctx)
    return Path(res.stats["table"]).read_text(), res.stats


def _row(text: str, start: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith(start))
    return [c.strip() for c in line.strip("|").split("|")][1:]


def test_rows_by_reference_cells_from_the_metrics_and_judge_notes(tmp_path: Path) -> None:
    sft, pref = _metrics("Target-SFT", 12.345, 6.0), _metrics("Target-SFT-WRPO", 20.0, 6.5, failed=2)
    text, stats = _run(tmp_path, {"Target-SFT": sft, "Target-SFT-WRPO": pref})
    assert stats["rows"] == {"Target-SFT": "Target-SFT", "Target-SFT-WRPO": "Target-SFT-WRPO"}
    for name, m in (("Target-SFT (this run)", sft), ("Target-SFT-WRPO (this run)", pref)):
        vals = metrics_mod.values(m)
        assert _row(text, f"| {name} |") == [paper_rows.fmt(b, vals.get(b)) for b in paper_rows.WRPO_METRICS]
        assert _row(text, f"| {name} |")[2] == "—"  # Arena-Hard not in these metrics
    assert stats["cells"] == 10
    assert "- AlpacaEval-2 (LC %): 2 judgments failed (Target-SFT-WRPO)." in text
    assert "- Judge for Target-SFT (tiny-judge @ 127.0.0.1): 6 calls made, 2 cache hits" in text
    assert "not wired" not in text


def test_preference_row_follows_loss_and_init_not_the_label(tmp_path: Path) -> None:
    text, stats = _run(tmp_path, {"Target-SFT": _metrics("Target-SFT", 1.0, 1.0),
                                  "Target-SFT-WRPO": _metrics("Target-SFT-WRPO", 2.0, 2.0)},
                       "dpo.loss=simpo", "wrpo.preference_init=target")
    assert stats["rows"]["Target-SFT-WRPO"] == "Target-SimPO"
    assert _row(text, "| Target-SimPO (this run: Target-SFT-WRPO) |")[0] == "2.0"
    recipe = load_recipe(REPO / "recipes" / "wrpo_llama3_8b.yaml")
    assert {label: wrpo_report.row_for(recipe, label, ref) for label, ref in recipe.eval.models.items()} == {
        "Meta-Llama-3-8B-Instruct": "Target", "Target-SFT": "Target-SFT", "Target-SFT-WRPO": "Target-SFT-WRPO"}
