"""The training loop: plain PyTorch, indifferent to which model it trains.

fit() draws shuffled batches from in-memory tensors, optionally binarises (dynamic
binarisation, as in Burda et al. 2015), corrupts (denoising) or augments them, anneals the KL
weight for VAEs, and reports validation metrics to a callback after every epoch.

Under torchrun (see aelib.training.distributed) the same loop runs in every process: each rank takes a
disjoint slice of every batch, DistributedDataParallel averages the gradients, and the
metrics are averaged over ranks, so every rank holds the same weights and the same history.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..datasets.base import ImageData, take
from ..errors import AelibError
from . import distributed
from .noise import corrupt, parse_noise


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128  # the global batch: split across ranks under torchrun
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    kl_warmup_epochs: int = 0  # KL weight rises linearly 0 -> 1 (Bowman et al. 2016)
    binarize: bool = False  # resample x ~ Bernoulli(pixel) every batch
    denoise: str | None = None  # e.g. "gaussian:0.5": train to reconstruct x from a corruption
    augment: bool = False  # random flips and shifts of up to 2 px (small sets like Olivetti)
    val_fraction: float = 0.05
    max_train: int = 0  # use at most this many training images (0 = all)
    threads: int = 0  # torch intra-op threads (0 = leave as is)
    device: str = "cpu"  # auto | cpu | cuda | mps
    amp: str | None = None  # "bf16" or "fp16" autocast (CUDA only)

    def __post_init__(self):
        parse_noise(self.denoise)  # fail early on a bad spec
        if self.device not in distributed.DEVICES:
            distributed.choose_device(self.device)  # raises, naming the valid ones
        if self.amp not in (None, *distributed.AMP_DTYPES):
            distributed.check_amp(self.amp, "cuda")  # raises, naming the valid ones


@dataclass
class TrainState:
    """Everything needed to continue a run: the epoch reached, history and optimizer state."""

    epoch: int = 0
    history: list = field(default_factory=list)
    optimizer: dict | None = None
    wall_time_s: float = 0.0


def augment_batch(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=generator))
    padded = F.pad(x, (2, 2, 2, 2), mode="replicate")
    h, w = x.shape[-2:]
    return padded[..., 2 + dy : 2 + dy + h, 2 + dx : 2 + dx + w]


def prepare_batch(x, config: TrainConfig, generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (model input, reconstruction target) for one batch."""
    if config.augment:
        x = augment_batch(x, generator)
    if config.binarize:
        x = torch.bernoulli(x, generator=generator)
    noise = parse_noise(config.denoise)
    model_input = corrupt(x, *noise, generator=generator) if noise else x
    return model_input, x


def validation_split(data: ImageData, config: TrainConfig):
    """Seeded hold-out from the training split: (x_fit, y_fit, x_val, y_val)."""
    n = len(data.x_train) if not config.max_train else min(config.max_train, len(data.x_train))
    order = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(config.seed))[:n]
    n_val = max(1, int(n * config.val_fraction))
    val, fit_idx = order[:n_val], order[n_val:]
    return data.x_train[fit_idx], take(data.y_train, fit_idx), data.x_train[val], take(data.y_train, val)


@torch.no_grad()
def evaluate_loss(model, x, y, config: TrainConfig, batch_size: int = 500) -> dict:
    """Mean of each loss part over (x, y), with the same corruption as training (fixed seed)."""
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(1234)
    totals: dict[str, float] = {}
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size]
        yb = None if y is None else y[start : start + batch_size].to(device)
        model_input, target = (t.to(device) for t in prepare_batch(xb, config, generator))
        for name, value in model.loss(model_input, target, yb).items():
            totals[name] = totals.get(name, 0.0) + float(value) * len(xb)
    return {name: total / len(x) for name, total in totals.items()}


def kl_scale_at(config: TrainConfig, epoch_progress: float) -> float:
    if config.kl_warmup_epochs <= 0:
        return 1.0
    return min(1.0, epoch_progress / config.kl_warmup_epochs)


class LossModule(nn.Module):
    """model.loss(...) as a module's forward, so that DistributedDataParallel wraps the whole loss.

    DDP arms its gradient all-reduce in its own forward(). model.loss runs the bare model's
    forward (self(x, y)), so DDP(model) followed by model.loss would leave each rank training
    on its own gradients; with the loss inside the wrapped forward every backward syncs.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, model_input, target, y, kl_scale: float) -> dict:
        return self.model.loss(model_input, target, y, kl_scale=kl_scale)


def fit(
    model,
    data: ImageData,
    config: TrainConfig,
    state: TrainState | None = None,
    callback: Callable[[dict], None] | None = None,
    progress: bool = False,
    on_batch: Callable[[int, int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainState:
    """Train `model` on `data` until config.epochs; resumes from `state` when given.

    callback receives one dict per epoch: epoch, train_* and val_* loss parts, seconds.
    on_batch(epoch index, batch index, batches per epoch) runs after every step. should_stop() is
    asked before every batch: when it says yes, fit returns at once and `state` still describes
    the last finished epoch (the model's weights have moved on; the caller keeps its own copy).
    The model moves to config.device and stays there.

    Under torchrun, call fit on every rank with the same arguments: config.batch_size is the
    global batch (each rank takes batch_size / world_size of it), callbacks run on every rank
    with metrics averaged over ranks, and should_stop must answer alike on all of them.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    rank, world = distributed.rank(), distributed.world_size()
    if config.batch_size % world:
        raise AelibError(f"batch size {config.batch_size} does not split evenly over {world} processes")
    device = distributed.torch_device(config.device)
    distributed.check_amp(config.amp, device.type)
    state = state or TrainState()
    torch.manual_seed(config.seed + state.epoch + RANK_SEED_STRIDE * rank)  # ranks draw their own VAE noise
    shuffle = torch.Generator().manual_seed(config.seed * 1000 + state.epoch)
    # Alone, one generator shuffles and corrupts (as it always has); under DDP all ranks must
    # draw the same shuffle, while each corrupts its own images with its own noise.
    noise = (
        shuffle
        if world == 1
        else torch.Generator().manual_seed(config.seed * 1000 + state.epoch + RANK_SEED_STRIDE * rank)
    )
    x_fit, y_fit, x_val, y_val = validation_split(data, config)
    val_shard = distributed.shard(len(x_val))
    x_val, y_val = x_val[val_shard], None if y_val is None else y_val[val_shard]
    model.to(device)  # before the optimizer, whose state load_state_dict moves next to the parameters
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if state.optimizer:
        optimizer.load_state_dict(state.optimizer)
    step = training_step(model, optimizer, config, device, noise)
    n_batches = max(1, len(x_fit) // config.batch_size)  # drop the ragged last batch (BatchNorm)
    for epoch in range(state.epoch, config.epochs):
        started = time.perf_counter()
        train_parts = _train_epoch(
            model, step, x_fit, y_fit, config, epoch, n_batches, shuffle, progress and rank == 0, on_batch, should_stop
        )
        if train_parts is None:
            break
        distributed.broadcast_buffers(model)  # validate (and save) with rank 0's BatchNorm statistics
        val_parts = distributed.mean_over_ranks(evaluate_loss(model, x_val, y_val, config))
        record = {
            "epoch": epoch + 1,
            **{f"train_{k}": v for k, v in train_parts.items()},
            **{f"val_{k}": v for k, v in val_parts.items()},
        }
        record["seconds"] = time.perf_counter() - started
        state.epoch, state.wall_time_s = epoch + 1, state.wall_time_s + record["seconds"]
        state.history.append(record)
        state.optimizer = optimizer.state_dict()
        if callback:
            callback(record)
    model.eval()
    return state


RANK_SEED_STRIDE = 1_000_003  # seed offset between ranks; rank 0 keeps the single-process seeds


def training_step(model, optimizer, config: TrainConfig, device: torch.device, generator: torch.Generator) -> Callable:
    """step(x (b, C, H, W) on the CPU, y (b,) or None, kl_scale) -> the batch's loss parts, detached.

    One optimisation step: corrupt/augment with `generator`, move to `device`, forward under
    autocast when config.amp, backward (through DDP when distributed), Adam step.
    """
    compute_loss = LossModule(model)
    if distributed.world_size() > 1:
        compute_loss = DistributedDataParallel(compute_loss, device_ids=[device] if device.type == "cuda" else None)
    # fp16 gradients underflow without loss scaling; bf16 has float32's range and needs none.
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp == "fp16")

    def step(x, y, kl_scale: float) -> dict:
        model_input, target = (t.to(device) for t in prepare_batch(x, config, generator))
        y = None if y is None else y.to(device)
        with distributed.autocast(config.amp, device):
            parts = compute_loss(model_input, target, y, kl_scale)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(parts["loss"]).backward()
        scaler.step(optimizer)
        scaler.update()
        return {name: value.detach() for name, value in parts.items()}

    return step


def _train_epoch(
    model, step, x_fit, y_fit, config, epoch, n_batches, shuffle, progress, on_batch=None, should_stop=None
) -> dict | None:
    model.train()
    rank, world = distributed.rank(), distributed.world_size()
    order = torch.randperm(len(x_fit), generator=shuffle)
    losses: dict[str, list[torch.Tensor]] = {}
    batches = range(n_batches)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False)
    for i in batches:
        if should_stop and should_stop():
            return None
        # This rank's share of global batch i, interleaved as DistributedSampler deals them.
        idx = order[i * config.batch_size : (i + 1) * config.batch_size][rank::world]
        parts = step(x_fit[idx], None if y_fit is None else y_fit[idx], kl_scale_at(config, epoch + i / n_batches))
        for name, value in parts.items():  # left on the device: reading each would stall a GPU every step
            losses.setdefault(name, []).append(value)
        if on_batch:
            on_batch(epoch, i, n_batches)
    means = {name: sum(torch.stack(values).tolist()) / n_batches for name, values in losses.items()}
    return distributed.mean_over_ranks(means)
