"""One formula, two homes: the browser's latent maths (latent_control/frontend/maths.js) evaluated
in Chromium on fixed inputs equals aelib.explore.latent's Python to 1e-5. Change either side's formula and
this fails."""

from __future__ import annotations

import numpy as np
from streamlit_server import require_chromium, wait_until_idle
from test_browser_live import COMPONENT_PAGE

from aelib.explore.latent import (
    PrincipalAxes,
    lerp,
    neighbour_blend,
    slerp,
)

require_chromium()


def test_maths_js_equals_aelib_latent(page, server):
    rng = np.random.default_rng(3)
    codes = rng.normal(size=(40, 6)).astype(np.float32) * [3, 2, 1, 1, 0.5, 0.2]
    points = rng.normal(size=(40, 2)).astype(np.float32)
    z0, z1, code = codes[0], codes[1], codes[2]
    axes = PrincipalAxes.fit(codes)
    pca = axes.first(2)
    ts = [0.0, 0.3, 0.5, 0.9, 1.0]
    page.goto(server["url"])  # a first run registers the component's files with the server
    wait_until_idle(page)
    page.goto(f"{server['url']}/{COMPONENT_PAGE}")
    js = page.evaluate(
        """async ([mean, components, points, codes, z0, z1, code, pcs, ts]) => {
            const m = await import("./maths.js");
            return {
                pca: m.pcaInverse(mean, components, 0.7, -1.3),
                blend: m.neighbourBlend(points, codes, 0.25, -0.4),
                blendOnPoint: m.neighbourBlend(points, codes, points[5][0], points[5][1]),
                lerp: ts.map((t) => m.lerp(z0, z1, t)),
                slerp: ts.map((t) => m.slerp(z0, z1, t)),
                toPrincipal: [0, 1, 2].map((i) => m.toPrincipal(pcs, code, i)),
                setPrincipal: m.setPrincipal(pcs, code, 1, 1.5),
            };
        }""",
        [
            pca.mean.tolist(),
            pca.directions.tolist(),
            points.tolist(),
            codes.tolist(),
            z0.tolist(),
            z1.tolist(),
            code.tolist(),
            {"mean": axes.mean.tolist(), "directions": axes.directions.tolist(), "std": axes.std.tolist()},
            ts,
        ],
    )
    python = {
        "pca": pca.inverse(np.array([[0.7, -1.3]]))[0],
        "blend": neighbour_blend(points, codes, (0.25, -0.4)),
        "blendOnPoint": codes[5],
        "lerp": lerp(z0, z1, np.array(ts)),
        "slerp": slerp(z0, z1, np.array(ts)),
        "toPrincipal": axes.to_principal(code, 3),
        "setPrincipal": axes.set_principal(code, 1, 1.5),
    }
    for name, expected in python.items():
        got = np.asarray(js[name], np.float64)
        assert got.shape == np.shape(expected), name
        assert np.abs(got - expected).max() < 1e-5, (name, got, expected)


def test_attribute_sliders_in_maths_js_equal_aelib_directions(page, server):
    """Generate's attribute sliders (generate.js) read and set a code with maths.js's toPrincipal and
    setPrincipal on one direction (aelib.explore.directions.slider_args): Direction.position and .move."""
    from aelib.explore.directions import from_property, slider_args

    rng = np.random.default_rng(5)
    codes = rng.normal(size=(200, 6)).astype(np.float32) * [3, 2, 1, 1, 0.5, 0.2]
    direction = from_property(codes, codes @ [0.2, -1, 0.5, 0, 0, 2] + rng.normal(size=200), "planted", n_bootstrap=5)
    code = codes[3]
    page.goto(server["url"])
    wait_until_idle(page)
    page.goto(f"{server['url']}/{COMPONENT_PAGE}")
    js = page.evaluate(
        """async ([a, code]) => {
            const m = await import("./maths.js");
            const one = { mean: a.mean, directions: [a.vector], std: [a.std] };  // as generate.js builds it
            return { read: m.toPrincipal(one, code, 0), moved: m.setPrincipal(one, code, 0, 1.7) };
        }""",
        [slider_args([direction])["list"][0], code.tolist()],
    )
    assert abs(js["read"] - direction.position(code)) < 1e-5
    assert np.abs(np.asarray(js["moved"]) - direction.move(code, 1.7)).max() < 1e-5
