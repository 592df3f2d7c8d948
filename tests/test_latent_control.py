"""The component's files on the server side: content-addressed assets, bounded in number."""

from __future__ import annotations

import json

import numpy as np
import pytest

import latent_control


@pytest.fixture
def assets(tmp_path, monkeypatch):
    monkeypatch.setattr(latent_control, "ASSETS", tmp_path / "assets")
    return tmp_path / "assets"


def test_an_asset_is_named_by_its_content_and_written_once(assets):
    url = latent_control.write_asset(b"decoder bytes", ".onnx")
    assert url.startswith("assets/") and url.endswith(".onnx")
    assert latent_control.write_asset(b"decoder bytes", ".onnx") == url
    assert latent_control.write_asset(b"other bytes", ".onnx") != url
    assert (assets / url.split("/")[1]).read_bytes() == b"decoder bytes"


def test_the_oldest_assets_go_beyond_the_limit(assets, monkeypatch):
    monkeypatch.setattr(latent_control, "MAX_ASSETS", 3)
    urls = [latent_control.write_asset(bytes([i]), ".bin") for i in range(5)]
    left = sorted(p.name for p in assets.iterdir())
    assert len(left) == 3 and urls[-1].split("/")[1] in left


def test_map_data_keeps_points_labels_and_codes(assets):
    points, labels, codes = np.random.default_rng(0).normal(size=(5, 2)), np.arange(5) % 2, np.ones((5, 3))
    url = latent_control.map_asset(points, labels, codes, ["even", "odd"], ["#000", "#fff"])
    data = json.loads((assets / url.split("/")[1]).read_text())
    np.testing.assert_allclose(data["points"], points, atol=1e-5)
    assert data["labels"] == [0, 1, 0, 1, 0] and np.shape(data["codes"]) == (5, 3) and data["names"] == ["even", "odd"]
