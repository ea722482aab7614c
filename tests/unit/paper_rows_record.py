"""The paper-table rows' metadata written down independently of the task files (from the FuseChat-3.0 README
tables, https://github.com/SLIT-AI/FuseChat-3.0 commit 5af2bad, and the WRPO repository's results image,
https://github.com/SLIT-AI/WRPO): the tests compare each task's ``table_rows()`` (ids, tables, order, tolerance,
judge) against it, so a task edit cannot silently move or re-label a paper row. Test data only: the registry reads
the rows from the tasks alone."""

from __future__ import annotations

from evaluation.tasks.base import FUSECHAT_TABLES, TABLES_14, TableRow

_IF = "instruction_following"
PAPER_ROWS: dict[str, TableRow] = {r.id: r for r in (
    TableRow("alpacaeval2", "AlpacaEval-2 (LC %)", (*FUSECHAT_TABLES, "wrpo_main"), 1,
              metric="length-controlled win rate", scale="percent", tolerance=3.0,
              tolerance_why="LLM judge + sampled decoding (T 0.5-0.7); 805 prompts",
              judge="gpt-4-1106-preview (weighted_alpaca_eval_gpt4_turbo)", category=_IF),
    TableRow("alpacaeval2_wr", "AlpacaEval-2 (WR %)", ("wrpo_main",), 1.5, metric="raw win rate",
              scale="percent", tolerance=3.0, tolerance_why="LLM judge + sampled decoding",
              judge="gpt-4-1106-preview", category=_IF),
    TableRow("arena_hard", "Arena-Hard (WR %)", (*FUSECHAT_TABLES, "wrpo_main"), 2,
              metric="win rate vs gpt-4-0314", scale="percent", tolerance=4.0,
              tolerance_why="LLM judge; Bradley-Terry bootstrap CIs are about ±2-3 on 500 prompts",
              judge="gpt-4-1106-preview", category=_IF),
    TableRow("mt_bench_turn1", "MT-Bench T1", ("wrpo_main",), 2.6, metric="mean judge score, turn 1",
              scale="1-10", tolerance=0.3, tolerance_why="LLM judge on 80 questions", judge="gpt-4-0125-preview",
              category=_IF),
    TableRow("mt_bench_turn2", "MT-Bench T2", ("wrpo_main",), 2.7, metric="mean judge score, turn 2",
              scale="1-10", tolerance=0.3, tolerance_why="LLM judge on 80 questions", judge="gpt-4-0125-preview",
              category=_IF),
    TableRow("mt_bench", "MT-Bench", (*FUSECHAT_TABLES, "wrpo_main"), 3,
              metric="mean judge score, both turns", scale="1-10", tolerance=0.3,
              tolerance_why="LLM judge on only 80 questions x 2 turns", judge="gpt-4-0125-preview", category=_IF),
    TableRow("alignbench", "AlignBench v1.1", FUSECHAT_TABLES, 4, metric="overall score (总分)",
              scale="1-10", tolerance=0.3, tolerance_why="LLM judge; judge snapshot behind the 'gpt-4' alias unknown",
              judge="gpt-4 (snapshot unverified)", category=_IF),
    TableRow("livebench", "LiveBench 0831", FUSECHAT_TABLES, 5,
              metric="mean over categories of the mean over tasks", scale="percent", tolerance=2.0,
              tolerance_why="ground truth on 1,000 questions; ±2 points covers template and vLLM batch nondeterminism "
                            "(one coding question is 1/128 of a category, 1/6 of the average)", category="general"),
    TableRow("humaneval", "HumanEval", FUSECHAT_TABLES, 12, metric="pass@1 (base tests, greedy)",
              scale="percent", tolerance=3.0,
              tolerance_why="164 problems (0.6 points each); base vs plus tests not stated by the paper", category="code"),
    TableRow("mbpp", "MBPP", FUSECHAT_TABLES, 13, metric="pass@1 (base tests, greedy)", scale="percent",
              tolerance=3.0, tolerance_why="MBPP+ v0.1.0 (399) vs v0.2.0 (378) not pinned by FuseEval; base vs plus not stated", category="code"),
    TableRow("livecodebench", "LiveCodeBench 2408-2411", TABLES_14, 14,
              metric="pass@1 (n=10, T 0.2)", scale="percent", tolerance=3.0,
              tolerance_why="problem window depends on the release downloaded; pass@1 estimated from 10 samples at T 0.2", category="code"),
)}
