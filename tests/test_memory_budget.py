"""The server's memory budget (#27): a heavy job that does not fit is refused with the numbers,
before it can push the server past its hosting plan's cap."""

from __future__ import annotations

import math
import sys
import types

import pytest
import torch
from app_fixtures import open_page

from aelib import TrainConfig, build_model
from aelib.training import memory
from aelib.training.jobs import JobSlots
from aelib.training.memory import MemoryState, NotEnoughMemory, memory_state, require_room, training_need_mb
from aelib.training.training_job import TrainingJob


def test_room_is_the_cap_less_slack_less_use():
    assert MemoryState(1000, 400).room_mb == pytest.approx(500)
    assert MemoryState(None, 400).room_mb == math.inf


def test_a_job_that_does_not_fit_is_refused_with_the_numbers():
    with pytest.raises(NotEnoughMemory, match=r"t-SNE needs about 300 MB .* 100 MB free of its 690 MB"):
        require_room(300, "t-SNE", MemoryState(690, 521))
    require_room(50, "t-SNE", MemoryState(690, 521))  # fits: no exception


def test_the_setting_wins_over_the_cgroup(monkeypatch):
    monkeypatch.setenv("AELIB_MEMORY_MB", "690")
    state = memory_state()
    assert state.limit_mb == 690 and 10 < state.used_mb < 690 * 10  # this process's resident memory


@pytest.mark.parametrize(("text", "expected"), [("max", None), ("9223372036854771712", None), ("723517440", 690.0)])
def test_cgroup_limits_are_read_in_both_formats(tmp_path, text, expected):
    (tmp_path / "memory.max").write_text(text + "\n")
    assert memory._read_number(tmp_path / "memory.max") == expected


def test_training_need_grows_with_the_images():
    small = training_need_mb(600, (1, 28, 28))
    assert memory.WORKING_MB < small < training_need_mb(3000, (3, 64, 64)) < 1000


def test_the_first_training_also_needs_the_optimizers_imports(monkeypatch):
    monkeypatch.delitem(sys.modules, "torch._dynamo.convert_frame", raising=False)
    first = training_need_mb(600, (1, 8, 8))
    monkeypatch.setitem(sys.modules, "torch._dynamo.convert_frame", types.ModuleType("loaded"))
    assert first - training_need_mb(600, (1, 8, 8)) == memory.FIRST_TRAINING_MB


def test_memory_that_running_jobs_give_back_counts_for_a_job_queued_behind_them():
    with pytest.raises(NotEnoughMemory):
        require_room(125, "training", MemoryState(690, 500))  # 121 MB free
    require_room(125, "training", MemoryState(690, 500), returned_mb=60)  # the running job's 60 MB come back


def test_job_slots_count_what_running_jobs_reserved():
    slots = JobSlots(2)
    with slots.slot(need_mb=100):
        with slots.slot(need_mb=25):
            assert slots.reserved_mb == 125
        assert slots.reserved_mb == 100
    assert slots.reserved_mb == 0


def test_a_training_that_no_longer_fits_when_its_turn_comes_is_refused(small_digits, monkeypatch):
    monkeypatch.setenv("AELIB_MEMORY_MB", "300")  # less than this test process already holds
    model = build_model("conv_ae", image_shape=(1, 8, 8), latent_dim=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    job = TrainingJob(model, small_digits, TrainConfig(epochs=1), need_mb=50, alive=lambda: True).start()
    job.thread.join(timeout=60)
    snapshot = job.snapshot()
    assert snapshot.status == "refused" and "Not started: training on 400 images needs about 50 MB" in snapshot.message
    assert snapshot.epoch == 0 and all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert job.slots.reserved_mb == 0


@pytest.fixture
def tight(monkeypatch):
    monkeypatch.setenv("AELIB_MEMORY_MB", "300")  # less than this test process already holds


def test_train_page_refuses_a_training_that_does_not_fit(app, tight):
    at = open_page(app, "train")
    next(r for r in at.radio if r.label == "Images").set_value("Built-in").run()
    at.button(key="train_go").click().run()
    assert not at.exception, at.exception
    assert "train_job" not in at.session_state
    assert any("Not started: training on" in e.value for e in at.error), [e.value for e in at.error]


def test_tabular_training_is_refused_when_memory_is_short(app, tight):
    at = open_page(app, "tabular")
    next(b for b in at.button if b.label == "Train autoencoder").click().run()
    assert not at.exception, at.exception
    assert any("Not started: training on this table" in e.value for e in at.error), [e.value for e in at.error]
