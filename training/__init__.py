"""Training: SFT with LLaMA-Factory, DPO / LN-DPO with TRL."""
