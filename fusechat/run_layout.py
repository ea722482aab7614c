"""Names every stage agrees on, kept below the stages so that no stage imports another for a name.

The run directory's fixed file and folder names (the export's LLaMA-Factory dataset names, the trained model's
folder inside a training stage), the sampling seed of one chunk (the data stage and the evaluation generation draw
their seeds the same way) and the file-name slug of a model label. Before this module they lived in the stage that
wrote them first, so ``training.sft`` imported ``data_construction.export`` and ``evaluation.generate`` imported
``training.sft`` and ``data_construction.sampling`` (issue 24: the layers in docs/architecture.md).
"""

from __future__ import annotations

import re
import zlib

#: LLaMA-Factory dataset names of the export (``dataset_info.json`` keys and ``<name>.jsonl`` files).
SFT_NAME = "fusechat3_sft"
DPO_NAME = "fusechat3_dpo"
#: The folder inside ``train/01_sft`` and ``train/02_dpo`` that holds the trained model (weights + tokenizer).
MODEL_SUBDIR = "model"


def chunk_seed(run_seed: int, model: str, chunk: int) -> int:
    """The sampling seed of one chunk of one model: a function of the run seed, the model name and the chunk index
    only, so a sharded run (``--shard i/N``) draws exactly the samples of an unsharded one."""
    return (run_seed * 1_000_003 + zlib.crc32(model.encode()) + chunk * 7919) % (2**31)


def slug(label: str) -> str:
    """A model label as a file/folder name (``eval/01_generations/<slug>/``): runs of other characters become ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_")
