"""Shared plumbing for the FuseChat-3.0 / WRPO replication: recipes, the stage contract, chat formatting,
generation backends, reward scoring and the tiny world."""

__version__ = "0.1.0"
