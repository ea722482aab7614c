"""SFT of the target model on the FuseChat-3.0 SFT data with LLaMA-Factory (blog: SFT)."""

from fusechat.cli import stage_main
from training.sft import run

if __name__ == "__main__":
    stage_main("sft", run, __doc__)
