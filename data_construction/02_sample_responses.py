"""Sample responses from the source LLMs (blog: Sampling, Table 2)."""

from data_construction.sampling import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("sample_responses", run, __doc__, shardable=True, per_model=True)
