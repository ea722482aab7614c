"""WRPO data: the SFT model samples 5 responses per preference prompt, scored by the reward model."""

from data_construction.wrpo_target import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("wrpo_target", run, __doc__)
