"""The background training job the Train page watches: progress, previews, cancel, queue, result."""

from __future__ import annotations

import time

import pytest
import torch

from aelib import TrainConfig, build_model, load_dataset
from aelib.training import training_job as tj
from aelib.training.jobs import JobSlots


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def new_model(digits, name="vae"):
    torch.manual_seed(0)
    return build_model(name, image_shape=digits.image_shape, latent_dim=2, hidden=(32,))


def wait_until(condition, timeout=120, what="the condition"):
    """Poll `condition()` until it is true; fail after `timeout` seconds (a busy CI machine is slow,
    never wrong: the deadline is generous and only a stuck job reaches it)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


def wait_for(job, statuses, timeout=120):
    return wait_until(lambda: (s := job.snapshot()).status in statuses and s, timeout, f"status in {statuses}")


def test_a_job_trains_reports_progress_and_ends_with_a_checkpoint_and_bundle(digits):
    job = tj.TrainingJob(
        new_model(digits),
        digits,
        TrainConfig(epochs=3, batch_size=64),
        header={"dataset": digits.card()},
        n_map_samples=100,
    ).start()
    seen = set()
    while (snapshot := job.snapshot()).status not in ("done", "failed"):
        seen.add((snapshot.status, snapshot.epoch))
        time.sleep(0.01)
    assert snapshot.status == "done", snapshot.message
    assert [r["epoch"] for r in snapshot.history] == [1, 2, 3] and snapshot.fraction == 1.0
    assert snapshot.history[-1]["train_loss"] < snapshot.history[0]["train_loss"]
    assert snapshot.preview.shape == (4 * 9 - 1, 8 * 9 - 1)  # inputs, reconstructions, two rows of samples
    assert ("training", 0) in seen
    assert job.checkpoint.header["epoch"] == 3 and job.checkpoint.header["dataset"]["name"] == "digits"
    assert job.bundle.codes.shape == (100, 2) and job.bundle.tsne.shape == (100, 2)
    assert job.checkpoint_bytes[:8] and len(job.checkpoint_bytes) < 2_000_000
    job.thread.join(timeout=30)
    assert not job.thread.is_alive() and job.data is None, "the finished job lets go of its training data"


def test_cancel_stops_within_a_batch_and_keeps_the_last_finished_epoch(digits):
    job = tj.TrainingJob(new_model(digits), digits, TrainConfig(epochs=500, batch_size=16)).start()
    wait_until(lambda: job.snapshot().epoch >= 1, what="a first finished epoch")
    job.cancel()
    snapshot = wait_for(job, ("cancelled",))
    assert snapshot.epoch >= 1 and "is kept" in snapshot.message
    weights = job.model.state_dict()
    assert all(torch.equal(weights[k], job.finished_weights[k]) for k in weights)
    assert job.checkpoint.header["epoch"] == snapshot.epoch == len(snapshot.history)
    kept = job.checkpoint.model.state_dict()
    assert all(torch.equal(kept[k], weights[k]) for k in weights)


def test_a_second_job_queues_until_the_slot_is_free(digits):
    slots = JobSlots(1)
    first = tj.TrainingJob(new_model(digits), digits, TrainConfig(epochs=500, batch_size=16), slots=slots).start()
    wait_for(first, ("training",))
    second = tj.TrainingJob(
        new_model(digits), digits, TrainConfig(epochs=1, batch_size=64), slots=slots, n_map_samples=50
    ).start()
    wait_until(lambda: second.snapshot().queue_place == 1, what="the second job's place in line")
    assert second.snapshot().status == "queued" and first.snapshot().status == "training"
    first.cancel()
    assert wait_for(second, ("done", "failed")).status == "done"


def test_a_job_nobody_watches_stops(digits, monkeypatch):
    monkeypatch.setattr(tj, "HEARTBEAT_TIMEOUT_S", 0.3)
    job = tj.TrainingJob(new_model(digits), digits, TrainConfig(epochs=500, batch_size=16)).start()
    job.thread.join(timeout=120)  # no snapshot() calls: the page that started it is gone
    assert not job.thread.is_alive() and job.snapshot().status == "cancelled" and job.checkpoint is None


def test_a_failing_job_reports_the_error(digits):
    model = build_model("cvae", image_shape=digits.image_shape, latent_dim=2, n_classes=10, channels=(8, 16))
    unlabelled = type(digits)("x", digits.x_train, digits.x_test)  # a cvae needs labels
    job = tj.TrainingJob(model, unlabelled, TrainConfig(epochs=1)).start()
    snapshot = wait_for(job, ("failed", "done"))
    assert snapshot.status == "failed" and snapshot.message


def test_a_job_stops_when_its_session_ends(digits):
    session_open = [True]
    job = tj.TrainingJob(
        new_model(digits), digits, TrainConfig(epochs=500, batch_size=16), alive=lambda: session_open[0]
    ).start()
    wait_for(job, ("training",))
    session_open[0] = False
    job.thread.join(timeout=120)
    assert not job.thread.is_alive() and job.snapshot().status == "cancelled"
