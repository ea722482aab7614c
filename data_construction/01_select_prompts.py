"""Select prompts from the source datasets (blog: Prompt Selection)."""

from data_construction.selection import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("select_prompts", run, __doc__)
