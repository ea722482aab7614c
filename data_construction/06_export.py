"""Export for LLaMA-Factory, TRL and the FuseAI release schema."""

from data_construction.export import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("export", run, __doc__)
