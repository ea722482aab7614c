"""Generate answers to every benchmark item with every evaluated model."""

from evaluation.generate import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("eval_generate", run, __doc__)
