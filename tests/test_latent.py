"""Latent-space maths used by the explorer pages."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from aelib.explore.latent import (
    PrincipalAxes,
    informative_dims,
    interpolate,
    manifold_grid,
    neighbour_blend,
    slerp,
    traversal,
    tsne,
)


@pytest.fixture
def rng():
    """A generator per test: no test's numbers depend on which tests ran before it."""
    return np.random.default_rng(0)


def test_pca_inverse_is_exact_on_the_principal_plane(rng):
    codes = rng.normal(size=(300, 6)).astype(np.float32) * np.array([5, 3, 1, 0.5, 0.2, 0.1], np.float32)
    pca = PrincipalAxes.fit(codes, k=2)
    coords = pca.transform(codes)
    assert np.allclose(pca.transform(pca.inverse(coords)), coords, atol=1e-4)
    on_plane = pca.inverse(np.array([[1.5, -2.0]], np.float32))
    assert np.allclose(pca.inverse(pca.transform(on_plane)), on_plane, atol=1e-4)
    # the first component is the highest-variance axis of these codes
    assert abs(pca.directions[0, 0]) > 0.99
    assert np.allclose(PrincipalAxes.fit(codes).first(2).directions, pca.directions)


def test_principal_sliders_move_along_the_top_direction(rng):
    codes = rng.normal(size=(500, 4)).astype(np.float32) * np.array([4, 1, 1, 1], np.float32)
    axes = PrincipalAxes.fit(codes)
    moved = axes.from_principal(np.array([2.0, 0.0]))
    assert np.allclose(axes.from_principal(np.zeros(2)), axes.mean)
    assert np.linalg.norm(moved - axes.mean) == pytest.approx(2 * axes.std[0], rel=1e-4)
    assert axes.std[0] > 3 * axes.std[1]
    assert np.allclose(axes.to_principal(moved, 2), [2.0, 0.0], atol=1e-4)
    # a 1-D latent still gets a plane for the map (a flat second axis)
    assert PrincipalAxes.fit(codes[:, :1]).directions.shape == (2, 1)


def test_slerp_keeps_norm_and_hits_endpoints():
    a, b = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    path = slerp(a, b, np.linspace(0, 1, 5))
    assert np.allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)
    assert np.allclose(path[0], a) and np.allclose(path[-1], b)
    assert np.allclose(path[2], [np.sqrt(0.5), np.sqrt(0.5)], atol=1e-6)


def test_linear_interpolation_and_bad_arguments():
    path = interpolate(np.zeros(3), np.ones(3), 5)
    assert path.shape == (5, 3) and np.allclose(path[:, 0], [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(ValueError, match="valid: linear, spherical"):
        interpolate(np.zeros(3), np.ones(3), 5, method="cubic")
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(np.zeros(3), np.ones(3), 1)


def test_neighbour_blend_weights_nearest_points():
    coords = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    codes = np.array([[1, 0], [0, 1], [5, 5]], np.float32)
    assert np.allclose(neighbour_blend(coords, codes, [0, 0], k=2), [1, 0])
    midway = neighbour_blend(coords, codes, [5, 0], k=2)
    assert np.allclose(midway, [0.5, 0.5])


def test_traversal_changes_one_dimension():
    z = np.array([0.1, 0.2, 0.3], np.float32)
    codes = traversal(z, 1, np.array([-1.0, 0.0, 1.0]))
    assert np.allclose(codes[:, 1], [-1, 0, 1]) and np.allclose(codes[:, [0, 2]], [[0.1, 0.3]] * 3)


def test_manifold_grid_uses_the_inverse_normal_cdf():
    grid = manifold_grid(5)
    assert grid.shape == (25, 2)
    assert grid[0, 0] == pytest.approx(norm.ppf(0.05), rel=1e-5)  # left column
    assert grid[0, 1] == pytest.approx(norm.ppf(0.95), rel=1e-5)  # top row is the high end
    assert grid[12] == pytest.approx([0, 0], abs=1e-6)


def test_informative_dims_orders_by_score():
    assert informative_dims(np.array([0.1, 3.0, 0.0, 1.0]), 2).tolist() == [1, 3]


def test_tsne_separates_clusters_and_reports_progress(rng):
    codes = np.vstack([rng.normal(0, 0.1, (40, 5)), rng.normal(5, 0.1, (40, 5))]).astype(np.float32)
    calls = []
    embedding = tsne(codes, callback=lambda i, n: calls.append((i, n)))
    assert embedding.shape == (80, 2) and calls
    between = np.linalg.norm(embedding[:40].mean(0) - embedding[40:].mean(0))
    within = embedding[:40].std(0).mean()
    assert between > 3 * within


def test_code_bounds_are_the_prior_for_a_vae_and_the_codes_spread_otherwise(rng):
    from aelib.explore.latent import code_bounds

    codes = rng.normal(size=(1000, 3)) * np.array([1.0, 10.0, 0.0])  # the last dimension never moves
    codes[0, 0] = 1e6  # one outlier
    low, high = code_bounds(codes, variational=False)
    assert high[0] < 10 and low[1] < -20 and high[1] > 20 and high[2] - low[2] == pytest.approx(1e-3)
    assert np.all(code_bounds(codes, variational=True)[1] == 3.5)
