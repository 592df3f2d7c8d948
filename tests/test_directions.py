"""Attribute directions (aelib.explore.directions) and the measures they are named by (aelib.explore.attributes):
a direction planted in synthetic codes is recovered with high trust, a random labelling gets low
trust, and on the shipped mnist_conv_vae decoding along the thickness direction thickens the strokes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aelib.explore import attributes
from aelib.explore.directions import (
    DIRECTION_RANGE,
    angle,
    checkpoint_directions,
    decode_check,
    define,
    from_classes,
    from_property,
    from_selections,
    from_vector,
    slider_args,
    trust_text,
)
from aelib.explore.latent import PrincipalAxes
from aelib.io.zoo import DEFAULT_DIR


def planted(n=1500, d=16, seed=0):
    """Codes (n, d) with unequal spreads and a unit direction u (d,) planted in them."""
    rng = np.random.default_rng(seed)
    codes = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, d)
    u = rng.normal(size=d)
    return codes.astype(np.float32), u / np.linalg.norm(u), rng


def test_a_planted_property_direction_is_recovered_with_high_trust():
    codes, u, rng = planted()
    values = codes @ u + rng.normal(scale=0.3, size=len(codes))
    direction = from_property(codes, values, "planted", random_state=0)
    assert angle(direction.vector, u) < 5
    trust = direction.trust
    assert trust.level == "high" and trust.heldout_kind == "R^2"
    assert trust.heldout > 0.8 and trust.angle_90 < 5
    assert trust_text(direction).startswith("high trust: bootstrap spread") and "held-out R^2" in trust_text(direction)
    args = slider_args([direction])
    assert args["range"] == DIRECTION_RANGE and args["list"][0]["trust"]["level"] == "high"
    assert np.allclose(args["list"][0]["vector"], direction.vector) and args["list"][0]["std"] == direction.scale


def test_a_planted_class_direction_is_recovered_with_high_trust():
    rng = np.random.default_rng(1)
    d = 12
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    labels = rng.integers(0, 2, 2000) * 7  # classes 0 and 7
    codes = rng.normal(size=(2000, d)) + np.outer(np.where(labels == 7, 1.5, -1.5), u)
    direction = from_classes(codes, labels, 0, 7, random_state=0)
    assert direction.name == "0 → 7" and angle(direction.vector, u) < 5
    assert direction.trust.level == "high" and direction.trust.heldout > 0.9


def test_a_random_labelling_gets_low_trust():
    codes, _, rng = planted(n=600)
    labels = rng.integers(0, 2, len(codes))
    classes = from_classes(codes, labels, 0, 1, random_state=0).trust
    assert classes.level == "low"
    assert classes.angle_median > 30 and abs(classes.heldout - 0.5) < 0.15
    noise = from_property(codes, rng.normal(size=len(codes)), "noise", random_state=0).trust
    assert noise.level == "low" and noise.heldout < 0.1 and noise.angle_median > 30


def test_selections_typed_vectors_and_the_slider_reading():
    codes, u, rng = planted(n=400, d=6)
    a, b = codes[codes @ u < -1], codes[codes @ u > 1]
    direction = from_selections(a, b, random_state=0)
    assert angle(direction.vector, u) < 15 and direction.method == "selections"
    assert from_selections(codes[:2], codes[2:4]).trust.level == "low"  # too few codes to hold any out
    typed = from_vector(u * 3, codes, "typed")
    assert np.isclose(np.linalg.norm(typed.vector), 1) and typed.trust.level == "unknown"
    assert np.allclose(typed.position(typed.shift(codes[:3], 2)) - typed.position(codes[:3]), 2, atol=1e-4)
    moved = typed.move(codes[:5], [1.5, -2, 0, 3, -3])
    assert np.allclose(typed.position(moved), [1.5, -2, 0, 3, -3], atol=1e-4)
    # the slider's formula is set_principal's, with the direction as the only "principal" one
    axis = PrincipalAxes(typed.mean, typed.vector[None], np.array([typed.scale], np.float32))
    assert np.allclose(moved[0], axis.set_principal(codes[0], 0, 1.5), atol=1e-5)
    assert np.isclose(axis.to_principal(moved[1], 1)[0], -2, atol=1e-4)
    with pytest.raises(ValueError):
        from_vector(np.zeros(6), codes)
    with pytest.raises(ValueError):
        from_vector([1, 2], codes)
    with pytest.raises(ValueError):
        from_classes(codes, np.zeros(len(codes), int), 0, 3)
    with pytest.raises(ValueError):
        from_classes(codes, np.zeros(len(codes), int), 0, 0)


def strokes(thick=1, slope=0.0, half_width=0, size=28):
    """A light-on-dark vertical bar (H, W): `thick` px wide, its top shifted right by `slope` per row up,
    plus a horizontal bar `half_width` px either side of the centre (0: none)."""
    image = np.zeros((size, size))
    for row in range(4, size - 4):
        centre = int(round(size / 2 + slope * (size / 2 - row)))
        image[row, centre - thick // 2 : centre - thick // 2 + thick] = 1
    if half_width:
        image[size // 2, size // 2 - half_width : size // 2 + half_width] = 1
    return image


def test_the_measures_read_what_they_say():
    thin, thick = strokes(1), strokes(4)
    assert attributes.thickness(np.stack([thin, thick])) == pytest.approx([1, 4], abs=0.6)
    slants = attributes.slant(np.stack([strokes(2, -0.4), strokes(2), strokes(2, 0.4)]))
    assert slants[0] < -15 and abs(slants[1]) < 1 and slants[2] > 15
    widths = attributes.width(np.stack([strokes(2, half_width=3), strokes(2, half_width=8)]))
    assert widths[1] > widths[0] + 2
    assert attributes.height(np.stack([strokes(2)]))[0] == pytest.approx(20, abs=1.5)
    lit = np.tile(np.linspace(0, 1, 28), (28, 1))  # brighter to the right
    assert attributes.lighting(np.stack([lit, lit[:, ::-1]])) == pytest.approx([0.5, -0.5], abs=0.05)
    uint8 = (np.stack([thin, thick])[:, None] * 255).astype(np.uint8)  # (N, 1, H, W) uint8 as bundles
    assert attributes.brightness(uint8) == pytest.approx(attributes.brightness(np.stack([thin, thick])))
    assert attributes.measures_for("mnist")[:4] == ["thickness", "slant", "width", "height"]
    assert attributes.measures_for("olivetti") == ["brightness", "lighting"]
    with pytest.raises(KeyError):
        attributes.measure("smile", uint8)


SHIPPED = DEFAULT_DIR / "mnist_conv_vae.safetensors"


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped checkpoints are not in this checkout")
def test_thickness_direction_thickens_mnist_conv_vae_over_the_slider_range():
    from aelib.io.checkpoint import open_checkpoint

    checkpoint = open_checkpoint(SHIPPED)
    directions = {d.name: d for d in checkpoint_directions(checkpoint)}
    assert set(directions) == {"thickness", "slant", "width"}
    assert checkpoint_directions(checkpoint)[0] is directions["thickness"]  # cached per file
    thickness = directions["thickness"]
    assert thickness.trust.level == "high"
    steps = np.linspace(-DIRECTION_RANGE, DIRECTION_RANGE, 13)  # the slider's whole range, finely
    bundle = checkpoint.bundle
    check = decode_check(
        checkpoint.model, thickness, bundle.codes, "thickness", steps=steps, n_probes=32, random_state=1
    )
    assert check.monotonic and np.all(np.diff(check.values) > 0), check.values
    assert check.values[-1] > 2 * check.values[0] and check.rank_correlation > 0.9
    for name in ("slant", "width"):
        assert directions[name].trust.decode.monotonic and directions[name].trust.heldout > 0.5


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped checkpoints are not in this checkout")
def test_class_selection_and_typed_directions_on_mnist_conv_vae():
    from aelib.io.checkpoint import open_checkpoint

    checkpoint = open_checkpoint(SHIPPED)
    model, bundle = checkpoint.model, checkpoint.bundle
    towards_8 = define(model, bundle, "mnist", classes=(3, 8))
    check = towards_8.trust.decode
    assert towards_8.name == "3 → 8" and towards_8.trust.heldout > 0.9
    assert check.measure == "class:8" and check.monotonic and check.values[0] == 0 and check.values[-1] > 0.8
    assert check.class_kept[0] > 0.9 and check.class_kept[-1] < 0.2  # the 3s stop reading as 3s
    shuffled = dataclasses.replace(bundle, labels=np.random.default_rng(0).permutation(bundle.labels))
    assert define(model, shuffled, "mnist", classes=(3, 8)).trust.level == "low"
    ones, zeros = np.flatnonzero(bundle.labels == 1)[:30], np.flatnonzero(bundle.labels == 0)[:30]
    wider = define(model, bundle, "mnist", selections=(ones, zeros), name="1 → 0 by hand")
    assert wider.trust.decode.measure == "position" and wider.trust.decode.changes["width"] > 1
    typed = define(model, bundle, "mnist", vector=np.eye(16)[0])
    assert typed.trust.angle_90 is None and typed.trust.decode.rank_correlation > 0.9


def test_numpy_stand_ins_equal_scipy_and_scikit_learn():
    from scipy.stats import spearmanr
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsClassifier

    from aelib.explore.directions import rank_correlation

    rng = np.random.default_rng(4)
    x, y = rng.integers(0, 5, 200), rng.integers(0, 3, 200) + 0.1 * rng.integers(0, 5, 200)  # many ties
    assert rank_correlation(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert rank_correlation(x, np.ones(200)) == 0
    codes, u, _ = planted(n=300, d=8)
    values = codes @ u + rng.normal(size=300)
    ridge = from_property(codes, values, "v", alpha=5.0, n_bootstrap=2).vector
    expected = Ridge(alpha=5.0).fit(codes, values).coef_
    assert np.allclose(ridge, expected / np.linalg.norm(expected), atol=1e-5)
    labels = rng.integers(0, 4, 300)
    queries = rng.normal(size=(50, 8)).astype(np.float32)
    knn = KNeighborsClassifier(n_neighbors=5).fit(codes, labels).predict(queries)
    assert (attributes.class_reader(codes, labels)(queries) == knn).mean() > 0.95  # ties may break apart


def test_directions_import_neither_scikit_learn_nor_scipy_in_a_subprocess():
    """They run in the app server, whose memory budget (#27) has no room for them (over 100 MiB)."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from aelib.io.checkpoint import open_checkpoint;"
        "from aelib.explore.directions import define;"
        "c = open_checkpoint(sys.argv[1]); define(c.model, c.bundle, 'mnist', classes=(3, 8), n_bootstrap=3);"
        "define(c.model, c.bundle, 'mnist', measure='thickness', n_bootstrap=3);"
        "print(sorted(m for m in ('sklearn', 'scipy', 'skimage') if m in sys.modules))"
    )
    if not SHIPPED.exists():
        pytest.skip("the shipped checkpoints are not in this checkout")
    out = subprocess.run([sys.executable, "-c", code, str(SHIPPED)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
