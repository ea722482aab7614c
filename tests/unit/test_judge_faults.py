"""Fault tests through the real scoring stage: a fault-injecting OpenAI-compatible proxy (``FaultProxy``) in front
of the local tiny judge (test task, fake reward), a canary API key in the environment. Each fault (a trickled body,
``Retry-After``, a numeric ``content``, a judge that echoes the key) must end in verdicts, counted failures or
unparsable judgments -- no traceback, no hang past the request deadline -- and the canary in no file under the run
directory or the judgment cache."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from judge_helpers import FaultProxy, ToyJudgedTask, fake_reward, write_toy_generations

from evaluation import score
from evaluation.judge import local_server
from evaluation.judge.local_server import serve_local_judge
from evaluation.render import write_run_table
from fusechat.recipe import REPO_ROOT, EvalBenchmarkConfig, load_recipe
from fusechat.stage_runner import MANIFEST, run_stage
from fusechat.stage_table import STAGES

TASK = ToyJudgedTask()
LABEL = "Toy (tiny)"
ANSWERS = ["Paris is the capital of France.", "no", "A long, careful and helpful answer.", "x" * 40]


def _generations(run_dir: Path) -> None:
    write_toy_generations(run_dir, TASK, LABEL, ANSWERS)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(score, "selected_benchmarks", lambda cfg: [(TASK, EvalBenchmarkConfig(name=TASK.id))])
    monkeypatch.setattr(local_server, "judged_tasks", lambda: [TASK])
    with serve_local_judge("unused", tasks=[TASK], reward=fake_reward, model="m") as url, FaultProxy(url) as p:
        yield p


def _score(proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, canary: str, name: str,
           *extra: str) -> tuple[dict, dict, list[dict], float]:
    monkeypatch.setenv("FAULT_KEY", canary)
    run_dir = tmp_path / name
    recipe = load_recipe(REPO_ROOT / "recipes" / "smoke.yaml",
                         [f"run.dir={run_dir}", f"eval.judge.base_url={proxy.base_url}", "eval.judge.model=m",
                          "eval.judge.local=none", "eval.judge.api_key_env=FAULT_KEY", "eval.judge.backoff_s=0",
                          f"eval.judge.cache_dir={tmp_path / 'jc'}", "eval.judge.max_retries=2", *extra])
    _generations(run_dir)
    t0 = time.monotonic()
    folder = run_stage(STAGES["eval_score"], recipe, score.run, STAGES, force=True)
    wall = time.monotonic() - t0
    man = json.loads((folder / MANIFEST).read_text())
    metrics = json.loads(next(folder.glob("*.metrics.json")).read_text())
    verdicts = [json.loads(x) for x in next(folder.rglob("*.verdicts.jsonl")).read_text().splitlines()]
    return man["stats"]["judge_totals"], metrics, verdicts, wall


def _files_with(root: Path, canary: str) -> list[Path]:
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    return [p for p in files if canary.encode() in p.read_bytes()]


def test_trickled_body_ends_at_the_request_deadline_and_is_counted(
        proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy.mode, proxy.trickle_s = "trickle", 0.5  # a ~300-byte body at 2 bytes/s: minutes per reply
    totals, metrics, verdicts, wall = _score(proxy, tmp_path, monkeypatch, "sk-unused", "trickle",
                                             "eval.judge.timeout_s=2", "eval.judge.concurrency=4")
    assert totals["failed"] == len(ANSWERS) and wall < 30, (totals, wall)
    assert all("deadline" in v["detail"]["error"] for v in verdicts)
    table = write_run_table([metrics], tmp_path / "tables", "t", smoke=True).read_text()
    assert f"{len(ANSWERS)} judgments failed ({LABEL})" in table


def test_retry_after_is_honoured_within_the_deadline(
        proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy.mode, proxy.retry_after = "retry_after", "1"
    totals, _, verdicts, wall = _score(proxy, tmp_path, monkeypatch, "sk-unused", "ra", "eval.judge.timeout_s=20")
    assert totals["failed"] == 0 and totals["calls"] == 2 * len(ANSWERS) and wall >= 1.0
    assert all(v["extracted"] in ("A", "B") for v in verdicts)
    proxy.seen.clear()
    proxy.retry_after = "600"  # longer than the deadline: fails at once instead of waiting
    totals, _, verdicts, wall = _score(proxy, tmp_path, monkeypatch, "sk-unused", "ra-long",
                                       "eval.judge.timeout_s=5", "eval.judge.cache_dir=" + str(tmp_path / "jc2"))
    assert totals["failed"] == len(ANSWERS) and wall < 30
    assert all("deadline" in v["detail"]["error"] for v in verdicts)


def test_numeric_content_is_an_unparsable_judgment_not_a_crash(
        proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy.mode = "numeric"
    totals, _, verdicts, _ = _score(proxy, tmp_path, monkeypatch, "sk-unused", "num")
    assert totals["unparsable"] == len(ANSWERS) and totals["failed"] == 0
    assert all(v["score"] == 0.0 for v in verdicts)
    proxy.mode = "pass"  # never cached: the next run asks again and gets real verdicts
    totals, _, verdicts, _ = _score(proxy, tmp_path, monkeypatch, "sk-unused", "num-again")
    assert totals["calls"] == len(ANSWERS) and totals["unparsable"] == 0


def test_a_judge_that_echoes_the_key_leaves_it_in_no_file(
        proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    canary = f"sk-canary-{uuid.uuid4()}"
    proxy.mode = "echo"
    totals, metrics, verdicts, _ = _score(proxy, tmp_path, monkeypatch, canary, "echo")
    assert totals["calls"] == len(ANSWERS) and totals["unparsable"] == len(ANSWERS)  # "A (your key: ***)"
    assert all("***" in v["extracted"] for v in verdicts)
    write_run_table([metrics], tmp_path / "tables", "t", smoke=True)
    out, err = capfd.readouterr()
    assert canary not in out and canary not in err
    assert _files_with(tmp_path, canary) == []
