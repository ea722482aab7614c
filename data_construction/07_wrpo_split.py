"""WRPO data: y_ws (best source response) and the seeded 1/3 SFT split (arXiv 2412.03187)."""

from data_construction.wrpo_split import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("wrpo_split", run, __doc__)
