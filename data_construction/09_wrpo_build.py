"""WRPO data: (y_ws, y_wt, y_l) triples, exported as chosen=[y_ws, y_wt], rejected=[y_l]."""

from data_construction.wrpo_build import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("wrpo_build", run, __doc__)
