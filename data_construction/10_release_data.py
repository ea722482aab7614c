"""Depth 2: the authors' released SFT/DPO data, checked and written in the export's layout."""

from data_construction.release_data import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("release_data", run, __doc__)
