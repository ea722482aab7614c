"""Preference optimisation of the SFT model by name (dpo.loss: dpo, ln_dpo, ipo, simpo, wrpo) with TRL."""

from fusechat.cli import stage_main
from training.dpo import run

if __name__ == "__main__":
    stage_main("dpo", run, __doc__)
