"""Write the run's results table from the metrics."""

from evaluation.tables import run
from fusechat.cli import stage_main

if __name__ == "__main__":
    stage_main("eval_tables", run, __doc__)
