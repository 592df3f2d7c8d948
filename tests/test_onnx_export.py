"""Every registered image model's decoder exports to ONNX and computes what `model.decode` does.
(The browser side, ONNX Runtime Web in Chromium, is checked in test_browser_live.py.)"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from conftest import small_config
from onnx.reference import ReferenceEvaluator

import aelib
from aelib import build_model
from aelib.explore.latent import code_from_text, code_to_text
from aelib.io.onnx_export import decoder_onnx

IMAGE_MODELS = sorted(name for name, cls in aelib.MODELS.items() if cls.for_images)
SEQUENCE_MODELS = sorted(name for name, cls in aelib.MODELS.items() if not cls.for_images)


@pytest.mark.parametrize("name", IMAGE_MODELS)
@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 32, 32), (1, 28, 20)])
def test_decoder_graph_matches_model_decode(name, image_shape, seeded):
    model = build_model(name, **small_config(name, image_shape, latent_dim=5)).eval()
    graph = onnx.load_from_string(decoder_onnx(model))
    onnx.checker.check_model(graph)
    names = [i.name for i in graph.graph.input]
    assert names == (["z", "label"] if model.is_conditional else ["z"])
    z = torch.randn(3, 5)
    labels = torch.tensor([0, 1, 2]) if model.is_conditional else None
    feeds = {"z": z.numpy()} | ({"label": labels.numpy()} if labels is not None else {})
    (image,) = ReferenceEvaluator(graph).run(None, feeds)  # three codes: the batch size is not baked in
    with torch.no_grad():
        expected = model.decode(z, labels).numpy()
    assert image.shape == (3, *image_shape)
    np.testing.assert_allclose(image, expected, atol=1e-5)
    assert model.training is False and next(model.parameters()).requires_grad, "the caller's model is untouched"


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_sequence_models_are_refused_by_name(name):
    model = build_model(name, **small_config(name, (1, 1, 140), latent_dim=4))
    with pytest.raises(ValueError, match="not an image model"):
        decoder_onnx(model)


def test_a_code_survives_the_url_and_bad_links_say_why():
    code = np.random.default_rng(0).normal(size=16).astype(np.float32)
    text = code_to_text(code)
    assert len(text) == 43 and text.isascii() and "=" not in text and "+" not in text and "/" not in text
    np.testing.assert_allclose(code_from_text(text, 16), code, rtol=1e-3, atol=1e-3)
    with pytest.raises(ValueError, match="this model takes 8"):
        code_from_text(text, 8)
    with pytest.raises(ValueError, match="not finite"):
        code_from_text(code_to_text(np.array([np.inf, 0.0], np.float32)), 2)
    with pytest.raises(ValueError):
        code_from_text("%%%", 16)


def test_cli_writes_a_checkpoints_decoder(tmp_path, tiny_dir, capsys):
    from aelib.cli import main

    checkpoint = next(p for p in sorted(tiny_dir.glob("*.safetensors")) if "cvae" in p.name)
    out = tmp_path / "decoder.onnx"
    assert main(["export-onnx", str(checkpoint), "--out", str(out)]) == 0
    graph = onnx.load(str(out))
    assert [i.name for i in graph.graph.input] == ["z", "label"]
    assert "label (N,) int64" in capsys.readouterr().out
    assert main(["export-onnx", str(tmp_path / "missing.safetensors")]) == 2
