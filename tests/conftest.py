"""Shared fixtures: everything is built from scikit-learn's bundled digits or from tiny files
the tests write themselves; nothing is downloaded and no data folder outside the repository is read."""

from __future__ import annotations

import os

import pytest
import torch
from app_fixtures import ROOT, make_tiny_checkpoints

import aelib
from aelib.datasets import ImageData, load_dataset


@pytest.fixture(scope="session")
def digits() -> ImageData:
    return load_dataset("digits")


@pytest.fixture(scope="session")
def small_digits(digits) -> ImageData:
    """400 train / 100 test digits: enough to see a loss fall, fast enough for every model."""
    return ImageData(
        "digits",
        digits.x_train[:400],
        digits.x_test[:100],
        digits.y_train[:400],
        digits.y_test[:100],
        digits.class_names,
    )


def small_config(name: str, image_shape=(1, 8, 8), latent_dim: int = 3) -> dict:
    """Smallest sensible config of any registered model (conditional ones get 10 classes)."""
    config = {"image_shape": image_shape, "latent_dim": latent_dim}
    if aelib.MODELS[name].is_conditional:
        config["n_classes"] = 10
    fields = aelib.MODELS[name].Config.__dataclass_fields__
    if "hidden" in fields:
        config["hidden"] = (32,)
    if "fc_hidden" in fields:
        config.update(channels=(8,), fc_hidden=32)
    if "hidden_size" in fields:
        config["hidden_size"] = 32
    if name == "conv1d_ae":
        config["channels"] = (8, 16)
    return config


@pytest.fixture
def seeded():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """Tiny checkpoints of every kind (about a minute to train), built once for the whole run."""
    return make_tiny_checkpoints(tmp_path_factory.mktemp("tiny_checkpoints"))


@pytest.fixture
def app(tiny_dir, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AELIB_CHECKPOINTS", str(tiny_dir))
    monkeypatch.setenv("AELIB_USER_MODELS", str(tmp_path / "user_models"))
    monkeypatch.chdir(ROOT)
    from app_fixtures import server_side

    return server_side(AppTest.from_file(str(ROOT / "app.py"), default_timeout=60))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`streamlit run app.py` on the shipped checkpoints, shared by every browser test; the models
    visitors train are kept in a folder of this run (`server["user_models"]`)."""
    from streamlit_server import SHOTS, streamlit_server

    kept = tmp_path_factory.mktemp("user_models")
    log = SHOTS.parent / f"streamlit_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log"  # one server per worker
    with streamlit_server(log, env={"AELIB_USER_MODELS": str(kept)}) as running:
        yield {**running, "user_models": kept}


@pytest.fixture(scope="session")
def browser():
    from streamlit_server import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


# Markers, set here by file or fixture rather than by hand on each test: `browser` (Chromium and a
# real server) and `slow` (the tiny checkpoints built for the app tests, subprocess training runs).
# The everyday loop is `pytest -m "not browser and not slow"`; .ci/run runs everything.
SLOW_FIXTURES = {"tiny_dir", "app", "server"}
SLOW_FILES = {"test_cli.py", "test_distributed.py", "test_shipped.py", "test_onnx_export.py"}
SLOW_WORDS = ("cli", "benchmark", "memory_budget", "subprocess")  # in a test's name: starts Python anew or benchmarks


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium against a running app")
    config.addinivalue_line("markers", "slow: needs the tiny app checkpoints or trains in a subprocess")


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        if name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        slow_name = any(word in item.name for word in SLOW_WORDS)
        if name in SLOW_FILES or slow_name or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
