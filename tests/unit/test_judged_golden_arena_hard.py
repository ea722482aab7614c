"""Arena-Hard v0.1 against upstream arena-hard-auto at 3071ef9 (golden files by tests/golden/make_arena_hard.py):
the judging loop (prompt, accumulated judgment, verdict, retries) on 300 cases with realistic and adversarial
replies, and show_result.py's battles, joint Bradley-Terry fit and joint bootstrap on sets of one to three models.
The one documented disagreement: a battle set with one outcome only, on which upstream's fit raises and this
project reports 100 (all won) or 0 (all lost)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply
from evaluation.tasks import arena_hard as ah
from evaluation.tasks.base import ItemResult, ScoreContext

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "arena_hard"
#: Counted in docs/judged_benchmarks.md: bootstrap cases where upstream's fit raises (one outcome only).
DOCUMENTED_ONE_CLASS = 3


def judging() -> tuple[dict, list[dict]]:
    lines = (GOLDEN / "judging.jsonl").read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0])["header"], [json.loads(line) for line in lines[1:]]


class ReplayJudge(Judge):
    """Replies by (first user prompt, attempt) from the cases' scripted replies."""

    def __init__(self, table: dict[str, list[str]]):
        super().__init__("golden-judge")
        self.table = table

    def chat(self, requests, desc="judging"):
        return [JudgeReply(self.table[r.messages[1][1]][0 if len(r.messages) == 2 else 1]) for r in requests]


def test_judging_agrees_with_gen_judgment(monkeypatch: pytest.MonkeyPatch) -> None:
    header, cases = judging()
    config = ah.JudgeConfig(header["system_prompt"], header["prompt_template"], 0.0, 4096, 2)
    items = [{"question_id": str(c["id"]), "turns": [{"content": c["question"]}]} for c in cases]
    baselines = {str(c["id"]): c["baseline"] for c in cases}
    monkeypatch.setattr(ah.ArenaHard, "_sources", lambda self, its, ctx: (config, baselines))
    table = {}
    for c in cases:
        for game, (a, b) in enumerate(((c["baseline"], c["answer"]), (c["answer"], c["baseline"]))):
            table[config.prompt_template.format(question_1=c["question"], answer_1=a, answer_2=b)] = c["replies"][game]
    judge = ReplayJudge(table)
    results = ah.ArenaHard().score_batch(items, [[c["answer"]] for c in cases],
                                         ScoreContext(options={JUDGE_OPTION: lambda t: judge}))
    prompts: dict[tuple[int, int], str] = {}
    for c, r in zip(cases, results, strict=True):
        for game, (mine, up) in enumerate(zip(r.detail["games"], c["upstream"], strict=True)):
            assert mine["judgment"] == up["judgment"], (c["id"], game)
            assert mine["verdict"] == up["score"], (c["id"], game)
            assert mine["attempts"] == up["requests"], (c["id"], game)
            a, b = (c["baseline"], c["answer"]) if game == 0 else (c["answer"], c["baseline"])
            prompts[c["id"], game] = ah.fill_format(config.prompt_template, question_1=c["question"], answer_1=a,
                                                    answer_2=b)
            digest = hashlib.sha256(prompts[c["id"], game].encode()).hexdigest()
            assert digest == up["user_prompt_sha256"], (c["id"], game)
    statuses = [g["status"] for r in results for g in r.detail["games"]]
    assert {"ok", "unparsable"} <= set(statuses)
    assert sum(g["attempts"] == 2 for r in results for g in r.detail["games"]) >= 50


def bootstrap_cases() -> list[dict]:
    return json.loads((GOLDEN / "bootstrap.json").read_text())["cases"]


def test_joint_bootstrap_agrees_with_show_result() -> None:
    """Win rate of every model fitted together as show_result.py does (all cases), and the CI of the joint
    bootstrap (the first two multi-model cases, to keep the test fast); upstream rounds win rates to two
    decimals."""
    one_class, bootstrapped = 0, 0
    for case in bootstrap_cases():
        battles = {m: ah.battles_from_games([tuple(g) for g in games]) for m, games in case["games"].items()}
        up = case["upstream"]
        if up["error"] is not None:
            assert up["error"] == "ValueError"
            assert all(math.isinf(e) for m, e in ah.mle_elo(ah.battle_frame(battles)).items() if m != ah.BASELINE)
            one_class += 1
            continue
        assert {m: len(b) for m, b in battles.items()} == up["n_battles"]
        if bootstrapped < 2 and len(battles) > 1:
            bootstrapped += 1
            mine = ah.joint_bt(battles, rounds=case["rounds"])
        else:
            elo = ah.mle_elo(ah.battle_frame(battles))
            mine = {m: {"elo": elo[m], "win_rate": ah.win_rate(elo[m])} for m in battles}
        assert set(mine) == set(up["models"])
        for m, u in up["models"].items():
            for key, ref in (("win_rate", "score"), ("ci_low", "lower"), ("ci_high", "upper")):
                if key in mine[m]:
                    assert mine[m][key] == pytest.approx(u[ref], abs=0.005 + 1e-6), (case["id"], m, key)
            assert mine[m]["elo"] == pytest.approx(u["elo"], rel=1e-6)
    assert one_class == DOCUMENTED_ONE_CLASS
    assert bootstrapped >= 2


def test_joint_bootstrap_differs_from_separate_ones() -> None:
    """The golden sets with several models would get other CIs if each model were resampled alone."""
    differs = 0
    for case in [c for c in bootstrap_cases() if c["upstream"]["error"] is None and len(c["games"]) > 1][:1]:
        battles = {m: ah.battles_from_games([tuple(g) for g in games]) for m, games in case["games"].items()}
        joint = ah.joint_bt(battles, rounds=case["rounds"])
        alone = {m: ah.joint_bt({m: b}, rounds=case["rounds"])[m] for m, b in battles.items()}
        differs += any(joint[m]["ci_low"] != alone[m]["ci_low"] for m in battles)
    assert differs >= 1


def test_aggregate_models_is_the_joint_bootstrap() -> None:
    case = next(c for c in bootstrap_cases() if c["upstream"]["error"] is None and len(c["games"]) == 2)
    per_model = {}
    for m, games in case["games"].items():
        results = [ItemResult(0.0, list(g), {"battles": ah.battles_from_games([tuple(g)]),
                                             "games": [{"status": "ok"}, {"status": "ok"}]}) for g in games]
        per_model[m] = ([{}] * len(results), results)
    task = ah.ArenaHard()
    task.bootstrap_rounds = case["rounds"]
    out = task.aggregate_models(per_model)
    joint = ah.joint_bt({m: [b for r in res for b in r.detail["battles"]] for m, (_, res) in per_model.items()},
                        rounds=case["rounds"])
    for m, (rows, summary) in out.items():
        assert rows == {"arena_hard": joint[m]["win_rate"]}
        assert summary["ci95"] == [joint[m]["ci_low"], joint[m]["ci_high"]]
        assert summary["bootstrapped_with"] == [x for x in per_model if x != m]
        assert not math.isnan(summary["elo"])
