"""Devices and multi-process training: what fit() and `aelib train` need from torch.distributed.

torchrun starts one process per GPU (or per CPU slot) and tells each its place through the
environment: RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT. Without torchrun every
helper here answers for a single process (rank 0 of 1) and does nothing, so callers need no branches.
"""

from __future__ import annotations

import contextlib
import math
import os

import torch
import torch.distributed as dist

from ..errors import AelibError

DEVICES = ("auto", "cpu", "cuda", "mps")
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def choose_device(name: str) -> str:
    """'auto' -> the best device here (CUDA, then MPS, then CPU); others are checked to exist."""
    if name not in DEVICES:
        raise AelibError(f"unknown device {name!r}; valid: {', '.join(DEVICES)}")
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise AelibError("--device cuda: PyTorch sees no CUDA GPU on this machine (try --device auto)")
    if name == "mps" and not _mps_available():
        raise AelibError("--device mps: PyTorch has no Apple MPS backend on this machine (try --device auto)")
    return name


def check_amp(amp: str | None, device: str) -> None:
    """Mixed precision is for CUDA only: CPU autocast is slower than float32 for these models."""
    if amp is None:
        return
    if amp not in AMP_DTYPES:
        raise AelibError(f"unknown --amp {amp!r}; valid: {', '.join(AMP_DTYPES)}")
    if device != "cuda":
        raise AelibError(f"--amp {amp} needs a CUDA device; this run is on {device} (drop --amp)")
    if amp == "bf16" and not torch.cuda.is_bf16_supported():
        raise AelibError("--amp bf16: this GPU has no bfloat16 support; use --amp fp16")


def autocast(amp: str | None, device: torch.device):
    """A fresh context for one forward pass: autocast to `amp`'s dtype, or nothing."""
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=AMP_DTYPES[amp])


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def start(device: str) -> bool:
    """Join torchrun's process group (NCCL between GPUs, gloo between CPU processes); True if
    this call joined it, False when run alone or when the caller had already joined one.

    device: a choose_device() answer. On CUDA each process takes the GPU numbered LOCAL_RANK.
    """
    if not launched_by_torchrun() or dist.is_initialized():
        return False
    if device == "mps":
        raise AelibError("multi-process training runs on cuda or cpu, not mps")
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group("nccl" if device == "cuda" else "gloo")
    return True


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def is_main() -> bool:
    """Only rank 0 prints, shows progress and writes files."""
    return rank() == 0


def backend() -> str | None:
    return dist.get_backend() if dist.is_initialized() else None


def torch_device(device: str) -> torch.device:
    """The torch.device this process trains on: under torchrun, CUDA means this rank's own GPU."""
    device = choose_device(device)
    if device == "cuda" and dist.is_initialized():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device(device)


def shard(n: int) -> torch.Tensor:
    """DistributedSampler's split of range(n): wrap around to a multiple of the world size,
    then rank r takes every world-size-th index from r. (n,) indices when alone; disjoint
    (ceil(n / world),) shards that cover range(n) otherwise."""
    world = world_size()
    return (torch.arange(math.ceil(n / world) * world) % n)[rank() :: world]


def mean_over_ranks(values: dict[str, float]) -> dict[str, float]:
    """Average each value across ranks (every rank must pass the same keys); as is when alone."""
    if world_size() == 1:
        return values
    names = sorted(values)
    packed = torch.tensor([float(values[name]) for name in names], dtype=torch.float64)
    if backend() == "nccl":
        packed = packed.cuda()  # NCCL only moves GPU tensors
    dist.all_reduce(packed)
    return {name: float(total) / world_size() for name, total in zip(names, packed.tolist(), strict=True)}


def broadcast_buffers(model: torch.nn.Module) -> None:
    """Give every rank rank 0's buffers (BatchNorm running statistics), as DDP does before
    each forward; after an epoch the ranks' last batches have nudged them apart."""
    if world_size() == 1:
        return
    for buffer in model.buffers():
        dist.broadcast(buffer, src=0)


def broadcast_object(obj):
    """rank 0's `obj` on every rank (pickled); `obj` is ignored on the other ranks."""
    if world_size() == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def describe(device: str, amp: str | None) -> dict:
    """What the checkpoint card records about how a run was spread out."""
    return {"world_size": world_size(), "backend": backend(), "device": device, "amp": amp}
