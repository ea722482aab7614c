"""The WRPO run's results table: the WRPO main table's columns next to the paper's rows (arXiv 2412.03187)."""

from evaluation.wrpo_report import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("wrpo_report", run, __doc__)
