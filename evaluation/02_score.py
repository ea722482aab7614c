"""Score the generations and write one metrics JSON per model."""

from evaluation.score import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("eval_score", run, __doc__)
