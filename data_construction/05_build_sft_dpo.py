"""Split SFT/DPO and build preference pairs by the paper's rules."""

from data_construction.build import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("build_sft_dpo", run, __doc__)
