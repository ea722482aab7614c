"""Check math answers against gold (and code against tests)."""

from data_construction.verification import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("verify_answers", run, __doc__)
