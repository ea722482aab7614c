"""AlignBench against THUDM/AlignBench ``judge.post_process`` at 5b79d4a (golden file by
tests/golden/make_alignbench.py): the rating dict and the 综合得分 of 400 realistic and adversarial judgments.
Disagreements are allowed only under the documented deviation — a score outside 1-10, which upstream keeps and
this project counts as unparsable — and are counted."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.tasks.alignbench import parse_judgment

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "alignbench" / "post_process.jsonl"
#: Counted in docs/judged_benchmarks.md.
DOCUMENTED_OUT_OF_RANGE = 68


def test_parsing_agrees_with_post_process() -> None:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines[1:]]
    assert len(cases) >= 400
    out_of_range = 0
    for c in cases:
        rating, score = parse_judgment(c["judgment"])
        up = c["upstream"]
        assert rating == up["rating"], c["id"]
        if up["score"] == -1:
            assert score is None, c["id"]
        elif not 1 <= up["score"] <= 10:
            assert score is None, c["id"]
            out_of_range += 1
        else:
            assert score == up["score"] and type(score) is type(up["score"]), (c["id"], score, up["score"])
    assert out_of_range == DOCUMENTED_OUT_OF_RANGE
    assert sum(c["upstream"]["score"] == -1 for c in cases) >= 20
