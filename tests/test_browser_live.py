"""Live generation (issue #13) in headless Chromium: the decoder runs in the page (ONNX Runtime Web),
the image follows a pointer drag with no websocket traffic until the user lets go, the URL carries
the code, and a browser without WebAssembly falls back to the server. For a digit and a face model."""

from __future__ import annotations

import re
import urllib.parse

import numpy as np
import pytest
from streamlit_server import PAGE_PATHS, SHOTS, open_tab, require_chromium, wait_until_idle

require_chromium()
DIGITS, FACES = "mnist_conv_vae", "olivetti_conv_vae"
FRAME = 'iframe[title*="latent_control"]'
COMPONENT_PAGE = "component/latent_control.latent_control/index.html"
STATS = "() => JSON.parse(JSON.stringify(window.latentControl.stats))"


def shipped_image_models() -> list[str]:
    from aelib.io.zoo import list_checkpoints

    return [e.id for e in list_checkpoints()[0] if e.kind == "image"]


def test_browser_decode_equals_torch_for_every_shipped_image_model(page, server):
    """The vendored runtime, our decoder.js and each exported graph give `inference.decode`'s pixels
    (max absolute difference 1e-4) on fixed codes, conditional labels included."""
    from aelib import load_checkpoint
    from aelib.explore import inference
    from aelib.io.zoo import checkpoint_dir
    from latent_control import decoder_asset

    page.goto(server["url"])  # a first run imports the component, which registers its files with the server
    wait_until_idle(page)
    page.goto(f"{server['url']}/{COMPONENT_PAGE}")
    worst = {}
    for name in shipped_image_models():
        model = load_checkpoint(checkpoint_dir() / f"{name}.safetensors").model
        latent_dim, shape = model.config.latent_dim, list(model.config.image_shape)
        codes = np.random.default_rng(7).normal(0, 1.5, (4, latent_dim)).astype(np.float32)
        labels = [0, 1, 2, 3] if model.is_conditional else None
        pixels = page.evaluate(
            """async ([url, dim, shape, conditional, codes, labels]) => {
                const { loadDecoder } = await import("./decoder.js");
                const decoder = await loadDecoder(url, dim, shape, conditional);
                return Array.from(await decoder.decode(codes, 4, labels ?? 0));
            }""",
            [decoder_asset(model), latent_dim, shape, model.is_conditional, codes.ravel().tolist(), labels],
        )
        expected = inference.decode(model, codes, labels)
        expected = expected[:, None] if expected.ndim == 3 else expected.transpose(0, 3, 1, 2)
        worst[name] = float(np.abs(np.asarray(pixels, np.float32).reshape(expected.shape) - expected).max())
    assert len(worst) >= 10 and max(worst.values()) <= 1e-4, worst


def open_live(page, server, page_key: str, model: str):
    page.goto(f"{server['url']}/{PAGE_PATHS[page_key]}?model={model}")
    wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
    frame = page.frame_locator(FRAME)
    frame.locator('[data-testid="live-image"]').wait_for(timeout=30000)
    page.wait_for_function(
        "f => document.querySelector(f).contentWindow.latentControl?.stats.drawn > 0", arg=FRAME, timeout=30000
    )
    return frame


def count_websocket_sends(page) -> list:
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent


def image_pixels(frame) -> list[int]:
    return frame.locator('[data-testid="live-image"]').evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 97 == 0))"
    )


def drag(page, target, points: list[tuple[float, float]]) -> None:
    """Press on `target` (a locator) at the first point (fractions of its box), move through the rest;
    the caller releases."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    at = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*at[0])
    page.mouse.down()
    for x, y in at[1:]:
        page.mouse.move(x, y)


@pytest.mark.parametrize("model", [DIGITS, FACES])
def test_generate_image_follows_slider_and_pad_drags_and_the_link_reproduces_it(page, server, model):
    sent = count_websocket_sends(page)
    frame = open_live(page, server, "generate", model)
    before, first = frame.locator("body").evaluate(STATS), image_pixels(frame)
    slider = frame.locator('fieldset input[type="range"]').first
    n_sent = len(sent)
    drag(page, slider, [(0.02 + 0.96 * i / 40, 0.5) for i in range(41)])
    during = frame.locator("body").evaluate(STATS)
    assert len(sent) == n_sent, "nothing goes to the server while the slider moves"
    assert during["drawn"] - before["drawn"] >= 30, "a new image for (nearly) every movement"
    assert image_pixels(frame) != first
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('z=')", timeout=20000)
    wait_until_idle(page)
    assert len(sent) > n_sent, "the code goes to the server on release"

    pad = frame.locator('[data-testid="live-pad"]')
    n_sent, url_before = len(sent), page.url
    drag(page, pad, [(0.1 + 0.8 * i / 30, 0.9 - 0.8 * i / 30) for i in range(31)])
    assert len(sent) == n_sent
    page.mouse.up()
    page.wait_for_function("u => location.href !== u", arg=url_before, timeout=20000)
    wait_until_idle(page)
    shared = page.url
    z_text = urllib.parse.parse_qs(urllib.parse.urlparse(shared).query)["z"][0]
    values = [float(v) for v in frame.locator('fieldset input[type="range"]').evaluate_all("s => s.map(e => e.value)")]
    page.screenshot(path=str(SHOTS / f"live_generate_{model}.png"))

    # A fresh visitor opening the link sees the same code on the same sliders.
    other = page.context.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.goto(shared)
        wait_until_idle(other)
        other_frame = other.frame_locator(FRAME)
        other_frame.locator('[data-testid="live-image"]').wait_for(timeout=30000)
        shown = other_frame.locator('fieldset input[type="range"]').evaluate_all("s => s.map(e => e.value)")
        pairs = enumerate(zip(values, [float(v) for v in shown], strict=True))
        diffs = {i: (v, s) for i, (v, s) in pairs if abs(v - s) > 0.02}
        assert not diffs, diffs
        assert f"z={z_text}" in other.url
    finally:
        other.context.close()


def test_generate_live_code_survives_navigation_through_the_sidebar(page, server):
    frame = open_live(page, server, "generate", DIGITS)
    slider = frame.locator('fieldset input[type="range"]').nth(1)
    drag(page, slider, [(0.5, 0.5), (0.7, 0.5), (0.9, 0.5)])
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('z=')", timeout=20000)
    wait_until_idle(page)
    kept = slider.input_value()
    for label in ("Interpolate", "Generate"):
        page.locator('[data-testid="stSidebar"] a', has_text=label).first.click()
        page.wait_for_selector(f'[data-testid="stMain"] h1:has-text("{label}")', timeout=30000)
        wait_until_idle(page)
    frame = page.frame_locator(FRAME)
    frame.locator('[data-testid="live-image"]').wait_for(timeout=30000)
    assert abs(float(frame.locator('fieldset input[type="range"]').nth(1).input_value()) - float(kept)) < 0.02


# 20 slider movements inside one task, so inside one display frame; then the first new image and
# two more frames, in which a decode queued behind the first would have been drawn.
BURST = """async (body, n) => {
    const control = window.latentControl, stats = control.stats;
    const input = document.querySelector('input[data-testid^="slider-d:"]');
    const dim = Number(input.dataset.testid.slice("slider-d:".length));
    const [low, high] = [Number(input.min), Number(input.max)];
    const before = { decodes: stats.decodes, drawn: stats.drawn, events: stats.events };
    let value = null;
    for (let i = 0; i < n; i++) {
        input.value = String(low + ((high - low) * (i + 1)) / (n + 1));
        input.dispatchEvent(new Event("input"));
        value = Number(input.value);
    }
    const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    while (stats.drawn === before.drawn) await nextFrame();
    await nextFrame();
    await nextFrame();
    const canvas = document.querySelector('[data-testid="live-image"]');
    const shown = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    return {
        events: stats.events - before.events,
        decodes: stats.decodes - before.decodes,
        drawn: stats.drawn - before.drawn,
        shownCode: stats.lastCode,
        dim,
        finalValue: value,
        shown: { width: shown.width, height: shown.height, rgba: Array.from(shown.data) },
    };
}"""


@pytest.mark.parametrize("model", [DIGITS, FACES])
def test_a_burst_of_movements_in_one_frame_decodes_once_the_last_code(page, server, model):
    """#30: the renderer decodes at most once per display frame, and the newest code: a burst of
    slider movements within one frame gives one decode (not one per movement, nor a second one
    queued behind the first), and the canvas shows the model's image of the last movement's code."""
    from aelib import load_checkpoint
    from aelib.explore import inference
    from aelib.io.zoo import checkpoint_dir

    frame = open_live(page, server, "generate", model)
    result = frame.locator("body").evaluate(BURST, 20)
    counts = {k: result[k] for k in ("events", "decodes", "drawn")}
    assert counts == {"events": 20, "decodes": 1, "drawn": 1}, counts
    code = np.asarray(result["shownCode"], np.float32)
    assert code[result["dim"]] == pytest.approx(result["finalValue"], abs=1e-6), "the last movement's code"
    shown = np.asarray(result["shown"]["rgba"], np.int16).reshape(
        result["shown"]["height"], result["shown"]["width"], 4
    )
    decoder = load_checkpoint(checkpoint_dir() / f"{model}.safetensors").model
    expected = inference.decode(decoder, code[None])[0]
    expected = np.round(np.clip(expected, 0, 1) * 255).astype(np.int16)
    expected = np.repeat(expected[..., None], 3, axis=2) if expected.ndim == 2 else expected
    assert np.abs(shown[..., :3] - expected).max() <= 1, "the canvas shows the decoded image, channels in order"
    assert (shown[..., 3] == 255).all()


@pytest.mark.parametrize("model", [DIGITS, FACES])
def test_latent_map_decodes_under_the_pointer_and_a_click_keeps_the_spot(page, server, model):
    sent = count_websocket_sends(page)
    frame = open_live(page, server, "latent_map", model)
    before, first = frame.locator("body").evaluate(STATS), image_pixels(frame)
    live_map = frame.locator('[data-testid="live-map"]')
    live_map.scroll_into_view_if_needed()
    box = live_map.bounding_box()
    n_sent = len(sent)
    for i in range(30):
        page.mouse.move(box["x"] + box["width"] * (0.2 + 0.6 * i / 29), box["y"] + box["height"] * 0.5)
    assert len(sent) == n_sent, "hovering sends nothing to the server"
    assert frame.locator("body").evaluate(STATS)["drawn"] - before["drawn"] >= 20
    assert image_pixels(frame) != first
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_selector("text=decoded at (", timeout=20000)
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / f"live_map_{model}.png"))


@pytest.mark.parametrize("model", [DIGITS, FACES])
def test_interpolate_scrub_decodes_between_the_ends(page, server, model):
    sent = count_websocket_sends(page)
    frame = open_live(page, server, "interpolate", model)
    before = frame.locator("body").evaluate(STATS)
    scrub = frame.locator('[data-testid="slider-t"]')
    scrub.wait_for()
    n_sent = len(sent)
    drag(page, scrub, [(0.01 + 0.98 * i / 30, 0.5) for i in range(31)])
    start = image_pixels(frame)
    drag(page, scrub, [(0.99 - 0.98 * i / 30, 0.5) for i in range(31)])
    assert len(sent) == n_sent
    assert frame.locator("body").evaluate(STATS)["drawn"] - before["drawn"] >= 40
    assert image_pixels(frame) != start, "t = 0 and t = 1 decode different images"
    page.mouse.up()


def test_without_webassembly_the_pages_say_so_and_decode_on_the_server(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script("delete globalThis.WebAssembly")
    page = context.new_page()
    try:
        page.goto(f"{server['url']}/{PAGE_PATHS['generate']}?model={DIGITS}")
        page.wait_for_selector("text=In-browser decoding is unavailable", timeout=30000)
        wait_until_idle(page)
        open_tab(page, "Latent sliders")
        assert page.locator('[data-testid="stImage"]', has_text="decoded").count() >= 1
        page.goto(f"{server['url']}/{PAGE_PATHS['latent_map']}?model={FACES}")
        page.wait_for_selector("text=In-browser decoding is unavailable", timeout=30000)
        page.wait_for_selector(".js-plotly-plot", timeout=30000)  # the server-side map takes over
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()


def heavy_downloads(page) -> list:
    """URLs of the runtime's WebAssembly and of decoders that the page fetches from the server."""
    fetched = []
    heavy = (".wasm", ".onnx")
    page.on("request", lambda r: fetched.append(r.url) if r.url.split("?")[0].endswith(heavy) else None)
    return fetched


@pytest.mark.parametrize("model", [DIGITS, FACES])
def test_a_second_visit_takes_the_runtime_and_decoder_from_the_browser_cache(browser, server, model):
    """Streamlit serves component files with no validator, so the browser fetched the 14 MB runtime
    and the decoder on every page open; cache.js keeps them (named by version / content hash)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        fetched = heavy_downloads(page)
        open_live(page, server, "generate", model)
        assert any(".wasm?" in u for u in fetched) and any(u.endswith(".onnx") for u in fetched), fetched
        fetched.clear()
        frame = open_live(page, server, "generate", model)
        stored = page.evaluate(f"() => document.querySelector('{FRAME}').contentWindow.latentControl.stored")
        assert fetched == [] and stored == {"hits": 2, "misses": 0}, (fetched, stored)
        assert max(image_pixels(frame)) > 0  # and the cached decoder draws
    finally:
        context.close()


def test_without_cache_storage_the_decoder_still_loads(browser, server):
    """Plain http on a LAN address is no secure context: no Cache Storage, a download per visit."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script("delete globalThis.caches")
    page = context.new_page()
    try:
        fetched = heavy_downloads(page)
        for _ in range(2):
            frame = open_live(page, server, "generate", DIGITS)
        assert sum(".wasm?" in u for u in fetched) == 2 and max(image_pixels(frame)) > 0
    finally:
        context.close()


def test_a_tap_on_the_live_map_shows_the_spot_it_keeps_on_a_phone(browser, server):
    """A tap moves no pointer before it clicks: the image above the map stayed the first point's
    while the page kept (and decoded) the tapped spot, two pictures that disagreed (try-out)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        frame = open_live(page, server, "latent_map", DIGITS)
        live_map = frame.locator('[data-testid="live-map"]')
        live_map.scroll_into_view_if_needed()
        box = live_map.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.35)
        kept = page.get_by_text(re.compile(r"decoded at \(")).first
        kept.wait_for(timeout=30000)
        spot = re.search(r"\((-?[\d.]+), (-?[\d.]+)\)", kept.inner_text()).groups()
        status = frame.get_by_text(re.compile(r"decoded in your browser")).first.inner_text()
        assert status.startswith(f"({spot[0]}, {spot[1]})"), (status, spot)
    finally:
        context.close()
