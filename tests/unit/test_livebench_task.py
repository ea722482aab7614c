"""LiveBench-0831 as a task: the release filter, the category-mean aggregation, the prompt, the synthetic items
(every task, right and wrong answers through ``score_batch``) and the coding category in the sandbox."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from evaluation.livebench import coding, synthetic
from evaluation.livebench.aggregate import breakdown
from evaluation.livebench.release import as_day, in_release, select_release
from evaluation.livebench.scorers import CATEGORY_TASKS
from evaluation.tasks import all_tasks
from evaluation.tasks.base import ItemResult, ScoreContext
from evaluation.tasks.livebench import TASK


def _q(qid: str, released: object, removed: object = "") -> dict:
    return {"question_id": qid, "livebench_release_date": released, "livebench_removal_date": removed}


# ----------------------------------------------------------------------------------------------- release filter
def test_release_filter_0831() -> None:
    rows = [
        _q("orig", datetime(2024, 6, 24)),                       # original release, still live
        _q("july", "2024-07-26T00:00:00"),                       # string timestamps too
        _q("aug", datetime(2024, 8, 31)),                        # released on the option date: in
        _q("nov", datetime(2024, 11, 25)),                       # a later release: out
        _q("gone_july", datetime(2024, 6, 24), "2024-07-26"),    # removed before the option: out
        _q("gone_aug", datetime(2024, 6, 24), "2024-08-31"),     # removed ON the option date: out
        _q("gone_later", datetime(2024, 6, 24), "2024-11-25"),   # removed after the option: still in
        _q("none_removal", datetime(2024, 7, 26), None),
    ]
    kept = select_release(rows, "2024-08-31")
    assert [q["question_id"] for q in kept] == ["orig", "july", "aug", "gone_later", "none_removal"]
    assert kept[0]["livebench_release_date"] == "2024-06-24" and kept[0]["livebench_removal_date"] == ""
    # an earlier option sees fewer questions, and the removed-in-August one again
    assert [q["question_id"] for q in select_release(rows, "2024-07-26")] == \
        ["orig", "july", "gone_aug", "gone_later", "none_removal"]


def test_release_filter_errors() -> None:
    with pytest.raises(ValueError, match="unknown release option"):
        select_release([], "2024-09-30")
    with pytest.raises(ValueError, match="no livebench_release_date"):
        in_release({"question_id": "x"})
    with pytest.raises(ValueError, match="unreadable date"):
        as_day("last week")


# ----------------------------------------------------------------------------------------------- aggregation
def test_mean_of_category_means_of_task_means() -> None:
    scored = [
        ("math", "AMPS_Hard", 1.0), ("math", "AMPS_Hard", 0.0),  # task 50
        ("math", "olympiad", 1.0),                               # task 100 -> math 75
        ("reasoning", "spatial", 0.0), ("reasoning", "spatial", 0.0), ("reasoning", "spatial", 0.0),
        ("reasoning", "spatial", 1.0),                           # task 25 -> reasoning 25
    ]
    b = breakdown(scored)
    assert b.tasks == {"math/AMPS_Hard": 50.0, "math/olympiad": 100.0, "reasoning/spatial": 25.0}
    assert b.categories == {"math": 75.0, "reasoning": 25.0}
    assert b.overall == 50.0  # not the question mean (3/7 = 42.9) nor the task mean (58.3)
    assert b.counts["reasoning/spatial"] == 4
    assert breakdown([]).overall is None


def test_task_aggregate_uses_item_categories() -> None:
    items = [{"category": "math", "task": "math_comp"}, {"category": "math", "task": "math_comp"},
             {"category": "language", "task": "typos"}]
    results = [ItemResult(1.0), ItemResult(1.0), ItemResult(0.0)]
    assert TASK.aggregate(items, results) == 50.0
    assert TASK.breakdown(items, results).categories == {"language": 0.0, "math": 100.0}
    assert TASK.summary(items, results) == {
        "categories": {"language": 0.0, "math": 100.0},
        "tasks": {"language/typos": 0.0, "math/math_comp": 100.0},
        "counts": {"language/typos": 1, "math/math_comp": 2}}


# ----------------------------------------------------------------------------------------------- task contract
def test_registered_with_protocol() -> None:
    assert all_tasks()["livebench"] is TASK
    proto = TASK.protocol()
    assert proto["release_option"] == "2024-08-31"
    assert proto["decoding"]["temperature"] == 0.0 and proto["decoding"]["max_new_tokens"] == 4096
    assert [s.hub_id for s in TASK.sources] == [f"livebench/{c}" for c in
                                                ("math", "reasoning", "coding", "language", "data_analysis",
                                                 "instruction_following")]


def test_prompt_is_the_first_turn() -> None:
    item = synthetic.questions(random.Random(0), 1)[0]
    for family in ("llama3", "qwen2", "gemma2", "mistral"):
        p = TASK.prompt(item, family)
        assert p.messages == [{"role": "user", "content": item["turns"][0]}]
        assert p.prefill == ""


def test_synthetic_items_cover_every_task_in_the_hub_schema() -> None:
    items = TASK.prepare(TASK.synthetic(random.Random(3), 45))
    assert len(items) == 45  # synthetic items are all inside the release
    seen = {(q["category"], q["task"]) for q in items}
    for category, tasks in CATEGORY_TASKS.items():
        if category != "instruction_following":
            assert {(category, t) for t in tasks} <= seen
    assert any(c == "instruction_following" for c, _ in seen)
    required = {"question_id", "category", "task", "turns", "ground_truth", "livebench_release_date",
                "livebench_removal_date"}
    for q in items:
        assert required <= q.keys()
        assert isinstance(q["turns"], list) and q["turns"][0]
    assert all({"instruction_id_list", "kwargs"} <= q.keys() for q in items if q["category"] ==
               "instruction_following")
    assert all({"public_test_cases", "private_test_cases", "original_json"} <= q.keys() for q in items
               if q["category"] == "coding")


def test_synthetic_right_and_wrong_answers_through_score_batch() -> None:
    items = TASK.prepare(TASK.synthetic(random.Random(5), 30))
    ctx = ScoreContext()
    try:
        right = TASK.score_batch(items, [[synthetic.right_answer(q)] for q in items], ctx)
        wrong = TASK.score_batch(items, [[synthetic.wrong_answer(q)] for q in items], ctx)
    finally:
        if "sandbox" in ctx.resources:
            ctx.resources["sandbox"].close()
    assert all(r.score == 1.0 for r in right), [(q["task"], r) for q, r in zip(items, right, strict=True) if r.score != 1.0]
    for q, r in zip(items, wrong, strict=True):
        expected = {"plot_unscrambling": 0.2}.get(q["task"], 0.25 if q["category"] == "instruction_following"
                                                  else 0.0)
        assert r.score == pytest.approx(expected), (q["task"], r)
        assert r.detail["category"] == q["category"] and r.detail["task"] == q["task"]
    assert TASK.aggregate(items, right) == 100.0
    assert 0.0 < TASK.aggregate(items, wrong) < 10.0


# ----------------------------------------------------------------------------------------------- coding
def test_coding_program_and_tests() -> None:
    rng = random.Random(2)
    q = synthetic.BUILDERS["coding_completion"](rng)
    prog = coding.program_for(q, "intro\n```python\n        return acc\n```\nbye")
    assert prog == q["partial_solution"] + "\n        return acc"
    assert coding.func_name(q) == "total"
    inputs, outputs = coding.test_cases(q)
    assert len(inputs) == 4 and len(outputs) == 4  # 1 public + 3 private (packed) cases
    assert coding.program_for({"partial_solution": ""}, "no fences") == ""


def test_coding_malformed_response_is_not_run() -> None:
    q = synthetic.BUILDERS["LCB_generation"](random.Random(0))
    resources: dict = {}
    assert coding.score_batch([q], ["I would write a loop."], resources) == [(0.0, {"status": "no code"})]
    assert "sandbox" not in resources  # nothing was started
    completion = synthetic.BUILDERS["coding_completion"](random.Random(0))
    try:  # the partial solution alone still runs (upstream prepends it to the empty extraction) and fails
        assert coding.score_batch([completion], ["Just add the numbers."], resources) == \
            [(0.0, {"status": "failed"})]
    finally:
        if "sandbox" in resources:
            resources["sandbox"].close()


def test_coding_sandbox_has_the_grader_packages() -> None:
    """Environment parity: LiveBench solutions import numpy/scipy/sortedcontainers; without them the sandbox
    would fail correct programs (upstream measured coding 39.6 instead of 68.2 in a bare venv)."""
    rng = random.Random(0)
    q = next(q for q in (synthetic.BUILDERS["LCB_generation"](rng) for _ in range(20))
             if coding.func_name(q) is None)  # a stdin A+B problem
    program = ("```python\nimport numpy as np\nimport scipy\nfrom sortedcontainers import SortedList\n"
               "a, b = map(int, input().split())\nprint(int(np.int64(a) + SortedList([b])[0]))\n```")
    resources: dict = {}
    try:
        assert coding.score_batch([q], [program], resources) == [(1.0, {"status": "passed"})]
    finally:
        if "sandbox" in resources:
            resources["sandbox"].close()


def test_fetch_rows_reads_six_datasets_and_keeps_the_release(monkeypatch, tmp_path) -> None:
    """The fetch step with the hub replaced: every category's rows are read at a resolved commit, only the
    release's rows are cached, and a release that does not hold ``expected_items`` questions is an error."""
    import datasets
    import huggingface_hub

    from evaluation.data import DataError, load_items
    from evaluation.fetch_data import fetch_task

    loaded: list[tuple[str, str, str]] = []

    class _Api:  # each dataset's history: one commit before the era, one after
        def list_repo_commits(self, repo: str, repo_type: str | None = None) -> list[SimpleNamespace]:
            assert repo_type == "dataset"
            name = repo.split("/")[1]
            return [SimpleNamespace(commit_id=f"later-{name}", created_at=datetime(2025, 1, 2, tzinfo=UTC)),
                    SimpleNamespace(commit_id=f"sha-{name}", created_at=datetime(2024, 12, 1, tzinfo=UTC))]

    def _load(repo: str, split: str, revision: str) -> list[dict]:
        loaded.append((repo, split, revision))
        return [_q(f"{repo}-live", datetime(2024, 6, 24)), _q(f"{repo}-new", datetime(2024, 11, 25))]

    import evaluation.tasks.livebench as lb_module

    nltk_fetched: list[bool] = []
    monkeypatch.setattr(huggingface_hub, "HfApi", _Api)
    monkeypatch.setenv("FUSECHAT_DATA_LOCK", str(tmp_path / "lock.json"))
    monkeypatch.setattr(datasets, "load_dataset", _load)
    monkeypatch.setattr(lb_module, "fetch_nltk_data", lambda: nltk_fetched.append(True))
    rows, revisions = TASK.fetch_rows()
    assert nltk_fetched  # the IFEval checkers' nltk data is part of the fetch
    assert [r["question_id"] for r in rows] == [f"livebench/{c}-live" for c in
                                                ("math", "reasoning", "coding", "language", "data_analysis",
                                                 "instruction_following")]
    assert loaded[0] == ("livebench/math", "test", "sha-math") and len(loaded) == 6
    assert revisions["livebench/coding"].revision == "sha-coding" and revisions["livebench/coding"].rule == "era 2024-12-12"
    assert json.loads((tmp_path / "lock.json").read_text())["datasets"]["livebench/math"]["revision"] == "sha-math"
    with pytest.raises(DataError, match="6 rows, expected 1000"):
        fetch_task(TASK, tmp_path)
    monkeypatch.setattr(type(TASK), "data", replace(TASK.data, expected_items=6))
    folder = fetch_task(TASK, tmp_path)
    meta = json.loads((folder / "fetch.json").read_text())
    assert meta["rows"] == 6 and "livebench/math@sha-math" in meta["revision"]
    assert {r["hub_id"]: r["rule"] for r in meta["resolved"]}["livebench/data_analysis"] == "era 2024-12-12"
    items = load_items(TASK, None, data_dir=tmp_path).items
    assert len(items) == 6 and items[0]["livebench_release_date"] == "2024-06-24"
