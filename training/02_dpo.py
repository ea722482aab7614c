"""DPO / LN-DPO of the SFT model on the FuseChat-3.0 preference pairs with TRL (blog: DPO)."""

from fusechat.cli import stage_main
from training.dpo import run

if __name__ == "__main__":
    stage_main("dpo", run, __doc__)
