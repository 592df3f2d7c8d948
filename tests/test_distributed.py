"""Training in several processes (DistributedDataParallel over gloo on the CPU) and device choice.

One launch of two processes serves every multi-process check: starting Python and torch twice
more costs far more than the training itself.
"""

from __future__ import annotations

import contextlib
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from aelib import AelibError, TrainConfig, build_model, cli, fit, load_checkpoint, load_dataset, read_header
from aelib.training import distributed

WORLD = 2
# Global batch 64 on both sides: under DDP each of the two ranks takes 32 images of it.
VAE = dict(name="vae", image_shape=(1, 8, 8), latent_dim=3, hidden=(32,))
AE = dict(name="ae", image_shape=(1, 8, 8), latent_dim=3, hidden=(32,))
CONFIG = TrainConfig(epochs=2, batch_size=64, seed=1)
CLI_TRAIN = [
    "train",
    "--model",
    "vae",
    "--dataset",
    "digits",
    "--hidden",
    "32",
    "--latent-dim",
    "3",
    "--batch-size",
    "64",
    "--threads",
    "1",
    "--device",
    "cpu",
    "--no-progress",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fit_fresh(spec: dict, data) -> tuple[torch.nn.Module, list]:
    torch.manual_seed(0)  # the same initial weights in every process (DDP would copy rank 0's anyway)
    model = build_model(spec["name"], **{k: v for k, v in spec.items() if k != "name"})
    return model, fit(model, data, CONFIG).history


def _rank_main(rank: int, port: int, folder: str) -> None:
    """One of the WORLD processes: set the environment torchrun would, then train as users do."""
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    distributed.start("cpu")
    try:
        for spec in (VAE, AE):
            model, history = _fit_fresh(spec, load_dataset("digits"))
            torch.save(
                {"params": model.state_dict(), "history": history},
                os.path.join(folder, f"{spec['name']}_rank{rank}.pt"),
            )
        out = os.path.join(folder, "ddp.safetensors")
        with open(os.path.join(folder, f"stdout_rank{rank}.txt"), "w") as log, contextlib.redirect_stdout(log):
            assert cli.main([*CLI_TRAIN, "--out", out, "--epochs", "1"]) == 0
            assert cli.main([*CLI_TRAIN, "--out", out, "--epochs", "2", "--resume"]) == 0
    finally:
        distributed.stop()


@pytest.fixture(scope="module")
def one_process(digits) -> dict:
    """The single-process runs to compare with: model name -> history."""
    return {spec["name"]: _fit_fresh(spec, digits)[1] for spec in (VAE, AE)}


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory, one_process):
    """Run _rank_main in WORLD processes (gloo, one thread each); the folder of what they wrote."""
    folder = tmp_path_factory.mktemp("ddp")
    # fork: the children inherit torch, scikit-learn and the modules Adam imports lazily
    # (loaded by one_process, hence its place first) instead of spending seconds on importing them.
    context = mp.start_processes(
        _rank_main, args=(_free_port(), str(folder)), nprocs=WORLD, join=False, start_method="fork"
    )
    for _ in range(240):  # a hung collective fails the test instead of the whole run
        if context.join(timeout=1):
            return folder
    for process in context.processes:
        process.kill()
    pytest.fail("the two training processes did not finish within 4 minutes")


def _load(folder, name: str, rank: int) -> dict:
    return torch.load(folder / f"{name}_rank{rank}.pt")


def test_ranks_end_with_identical_parameters_and_falling_loss(two_ranks):
    ranks = [_load(two_ranks, "vae", rank) for rank in range(WORLD)]
    params = [ranks[r]["params"] for r in range(WORLD)]
    assert all(torch.equal(params[0][k], params[1][k]) for k in params[0])
    without_seconds = [[{k: v for k, v in r.items() if k != "seconds"} for r in rank["history"]] for rank in ranks]
    assert without_seconds[0] == without_seconds[1]  # metrics are averaged over ranks
    first, second = ranks[0]["history"]
    assert second["train_loss"] < first["train_loss"] and second["val_loss"] < first["val_loss"]


def test_two_ranks_train_like_one_process_with_the_same_global_batch(two_ranks, one_process):
    # A VAE's ranks draw their own reparameterisation noise, so its loss only comes close...
    ddp_vae = _load(two_ranks, "vae", 0)["history"][0]["train_loss"]
    one_vae = one_process["vae"][0]["train_loss"]
    assert abs(ddp_vae - one_vae) / one_vae < 0.03
    # ...while a plain autoencoder sees the same batches and gradients (each rank's half,
    # averaged), so it matches up to the order of float sums. A wrong shard would not.
    for epoch, (ddp, one) in enumerate(zip(_load(two_ranks, "ae", 0)["history"], one_process["ae"], strict=True)):
        assert ddp["train_loss"] == pytest.approx(one["train_loss"], rel=1e-6), epoch


def test_cli_under_ddp_prints_once_records_the_run_and_resumes(two_ranks):
    out = two_ranks / "ddp.safetensors"
    header = read_header(out)
    assert header["distributed"] == {"world_size": 2, "backend": "gloo", "device": "cpu", "amp": None}
    assert header["epoch"] == 2 and len(header["history"]) == 2 and len(header["train_segments"]) == 2
    checkpoint = load_checkpoint(out)  # in this single process, on the CPU
    assert checkpoint.model(torch.rand(3, 1, 8, 8))["recon"].shape == (3, 1, 8, 8)
    printed = [(two_ranks / f"stdout_rank{rank}.txt").read_text() for rank in range(WORLD)]
    assert "x 2 processes (gloo)" in printed[0] and "epoch   2" in printed[0] and "epochs 2..2" in printed[0]
    assert printed[1] == ""


def test_shards_are_disjoint_equal_and_cover_everything(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 2)
    shards = []
    for rank in range(2):
        monkeypatch.setattr(distributed, "rank", lambda rank=rank: rank)
        shards.append(distributed.shard(5).tolist())
    assert shards == [[0, 2, 4], [1, 3, 0]]  # padded by wrapping around, as DistributedSampler


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(distributed, "_mps_available", lambda: False)
    assert distributed.choose_device("auto") == "cpu"
    with pytest.raises(AelibError, match="no CUDA GPU"):
        distributed.choose_device("cuda")
    monkeypatch.setattr(distributed, "_mps_available", lambda: True)
    assert distributed.choose_device("auto") == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert distributed.choose_device("auto") == "cuda"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without a GPU")
def test_auto_device_is_the_cpu_here():
    assert distributed.choose_device("auto") == "cpu"


def test_unknown_device_and_amp_off_cuda_are_refused_clearly(capsys, tmp_path):
    with pytest.raises(AelibError, match=r"unknown device 'tpu'; valid: auto, cpu, cuda, mps"):
        TrainConfig(device="tpu")
    model = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    with pytest.raises(AelibError, match="--amp bf16 needs a CUDA device; this run is on cpu"):
        fit(model, load_dataset("digits"), TrainConfig(epochs=1, amp="bf16"))
    out = str(tmp_path / "x.safetensors")
    for flags, message in (
        (["--device", "tpu"], "error: unknown device 'tpu'"),
        (["--device", "cpu", "--amp"], "error: --amp bf16 needs a CUDA device"),
        (["--device", "cpu", "--amp", "fp8"], "error: unknown --amp 'fp8'; valid: bf16, fp16"),
    ):
        assert cli.main(["train", "--model", "ae", "--dataset", "digits", "--out", out, *flags]) == 2
        assert capsys.readouterr().err.strip().startswith(message)
