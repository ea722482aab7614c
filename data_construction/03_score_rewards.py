"""Score every response with the reward model (ArmoRM)."""

from data_construction.scoring import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("score_rewards", run, __doc__, shardable=True)
