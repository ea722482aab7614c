"""The paper's global batch (128 for SFT and DPO, blog §SFT/§DPO) must be what actually runs.

per-device × accumulation × world size = global batch. The recipe fixes per-device and global batch and its
``num_gpus`` (the world size the accumulation assumes); the launcher decides the world size. Both stages check
that the launcher's world size is the recipe's before anything trains, and stop with one line naming the three
numbers otherwise:

- SFT under ``llamafactory-cli`` (``sft.num_gpus > 1``): LLaMA-Factory starts ``NPROC_PER_NODE`` processes per node
  (default: every visible accelerator) on ``NNODES`` nodes, so a node with a different GPU count than the recipe
  silently changes the batch unless checked.
- One process (``num_gpus == 1``, or a preference stage): ``WORLD_SIZE`` when a launcher (torchrun, accelerate)
  started it; otherwise one process, which transformers' ``Trainer`` replicates over every visible GPU
  (``DataParallel``: ``train_batch_size = per_device × n_gpu``), so the visible GPU count is the world size.
"""

from __future__ import annotations

from collections.abc import Mapping

from fusechat.stage_runner import StageError


def grad_accum(global_batch: int, per_device: int, num_gpus: int) -> int:
    """Gradient accumulation so that per_device × GPUs × accumulation equals the paper's global batch."""
    denom = per_device * num_gpus
    if global_batch % denom:
        raise StageError(f"global batch {global_batch} is not a multiple of per-device {per_device} × {num_gpus} GPUs")
    return global_batch // denom


def visible_accelerators() -> int:
    """CUDA devices torch can see (0 on a CPU box), as LLaMA-Factory's ``get_device_count`` counts them."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def in_process_world_size(env: Mapping[str, str], devices: int) -> int:
    """Data-parallel replicas of a stage running in this process: the launcher's ``WORLD_SIZE``, else the visible
    GPUs one ``Trainer`` process replicates over (``DataParallel``), else 1 (CPU or one GPU)."""
    if env.get("WORLD_SIZE", "").isdigit():
        return int(env["WORLD_SIZE"])
    return max(1, devices)


def llamafactory_world_size(env: Mapping[str, str], devices: int) -> int:
    """Processes ``llamafactory-cli train`` starts under torchrun: ``NNODES`` × ``NPROC_PER_NODE`` (LLaMA-Factory's
    ``launcher.py``: the per-node default is the visible device count)."""
    nnodes = int(env.get("NNODES") or 1)
    nproc = int(env.get("NPROC_PER_NODE") or devices)
    return nnodes * nproc


def check_global_batch(stage: str, per_device: int, accumulation: int, world_size: int, global_batch: int,
                       num_gpus: int) -> None:
    """Stop unless per-device × accumulation × world size equals the recipe's global batch (one line)."""
    got = per_device * accumulation * world_size
    if got != global_batch:
        raise StageError(
            f"{stage}: per-device {per_device} x accumulation {accumulation} x world size {world_size} = {got}, "
            f"not the recipe's global batch {global_batch} (the recipe assumes {stage}.num_gpus={num_gpus}; launch "
            f"that many processes or change {stage}.num_gpus)")
