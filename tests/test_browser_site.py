"""The static site (issue #24) in headless Chromium, served by `python -m http.server` under a
sub-path (/course/demo/): the site's decoder gives `inference.decode`'s pixels, a drag or a hover
redraws on every pointer move, the second model draws a face, the address round-trips in the app's
`?model=&z=` format, bad links and a browser without WebAssembly get a message, and no request
leaves the folder or fails."""

from __future__ import annotations

import urllib.parse
import urllib.request

import numpy as np
import pytest
from streamlit_server import ROOT, SHOTS, require_chromium, static_server
from test_site import export_models, shipped

from aelib import load_checkpoint
from aelib.explore import inference
from aelib.explore.latent import code_from_text, code_to_text
from aelib.preprocess.imaging import to_uint8

require_chromium()
DIGITS, FACES, CVAE = "mnist_conv_vae", "olivetti_conv_vae", "mnist_cvae"
DOCS = ROOT / "docs" / "screenshots"
STATS = "() => JSON.parse(JSON.stringify(window.latentControl.stats))"
DRAWN = "(window.latentControl ? window.latentControl.stats.drawn : 0)"  # images drawn so far


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    """An export of three models in TMP/course/demo, served from TMP by http.server (its own
    process group, stopped by its id)."""
    root = tmp_path_factory.mktemp("static")
    export_models(root / "course" / "demo", (DIGITS, FACES, CVAE), lab_url="https://lab.example.org")
    with static_server(root, "course/demo/site.json") as origin:
        yield {"origin": origin, "url": f"{origin}/course/demo/"}


@pytest.fixture
def site_page(page, static_site):
    """The page, watched: every request stays inside the site's folder and none fails."""
    seen, failed = [], []
    page.on("request", lambda request: seen.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(f"{response.status} {response.url}"))
    page.on("requestfailed", lambda request: failed.append(f"{request.failure} {request.url}"))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    outside = [url for url in seen if not url.startswith((static_site["url"], "data:", "blob:"))]
    assert not outside, f"requests outside the folder: {outside}"
    assert not failed, failed
    assert not errors, errors


def open_site(page, static_site, query: str = "") -> None:
    page.goto(static_site["url"] + query)
    page.wait_for_function(f"() => {DRAWN} > 0", timeout=30000)


def drawn(page) -> int:
    return page.evaluate(f"() => {DRAWN}")


def image_pixels(page) -> np.ndarray:
    data = page.locator('[data-testid="live-image"]').evaluate(
        "c => ({w: c.width, h: c.height, d: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})"
    )
    return np.asarray(data["d"], np.uint8).reshape(data["h"], data["w"], 4)[..., 0]


def press(page, target, point) -> None:
    """Press the mouse at `point` (fractions of the target's box)."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"])
    page.mouse.down()


def move_each_redraws(page, target, points) -> None:
    """Move the pointer through `points` (fractions of the target's box); after each move, wait
    until the image was redrawn (a failure names the move that drew nothing)."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    for k, (fx, fy) in enumerate(points):
        before = drawn(page)
        page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        try:
            page.wait_for_function(f"n => {DRAWN} > n", arg=before, timeout=5000)
        except Exception as exc:
            raise AssertionError(f"pointer move {k} drew nothing") from exc


def test_the_sites_decoder_gives_torchs_pixels_for_each_model(site_page, static_site):
    open_site(site_page, static_site, f"?model={DIGITS}")
    worst = {}
    for name in (DIGITS, FACES, CVAE):
        model = load_checkpoint(shipped(name)[0]).model
        codes = np.random.default_rng(7).normal(0, 1.5, (4, model.config.latent_dim)).astype(np.float32)
        labels = [0, 1, 2, 3] if model.is_conditional else None
        pixels = site_page.evaluate(
            "([id, codes, labels]) => window.latentSite.decode(id, codes, 4, labels)",
            [name, codes.ravel().tolist(), labels],
        )
        expected = inference.decode(model, codes, labels)[:, None]
        worst[name] = float(np.abs(np.asarray(pixels, np.float32).reshape(expected.shape) - expected).max())
    assert max(worst.values()) <= 1e-4, worst
    # What the page drew: the first test image's code (8-bit on the canvas, one canvas pixel per image pixel).
    model = load_checkpoint(shipped(DIGITS)[0]).model
    start = np.asarray(site_page.evaluate("() => window.latentSite.state.code"), np.float32)
    expected = to_uint8(inference.decode(model, start)[0])
    shown = image_pixels(site_page)
    assert shown.shape == expected.shape
    assert np.abs(shown.astype(int) - expected).max() <= 1


def test_a_slider_drag_redraws_on_every_move_and_the_address_reopens_the_image(site_page, static_site, browser):
    page = site_page
    open_site(page, static_site, f"?model={DIGITS}")
    first = image_pixels(page)
    slider = page.locator('fieldset input[type="range"]').first
    press(page, slider, (0.02, 0.5))
    move_each_redraws(page, slider, [(0.02 + 0.96 * i / 30, 0.5) for i in range(1, 31)])
    assert not np.array_equal(image_pixels(page), first)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('z=')", timeout=10000)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["model"] == [DIGITS] and urllib.parse.urlparse(page.url).path == "/course/demo/"
    code = np.asarray(page.evaluate("() => window.latentSite.state.code"), np.float32)
    np.testing.assert_allclose(code_from_text(query["z"][0], 16), code, atol=2e-3)  # the app's format
    assert query["z"][0] == code_to_text(code), "the same text the app writes for this code"
    lab = page.locator("#lab-link").get_attribute("href")
    assert lab == f"https://lab.example.org/Generate?model={DIGITS}&z={query['z'][0]}"
    values = slider_values(page)

    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        open_site(other, static_site, "?" + urllib.parse.urlparse(page.url).query)
        assert max(abs(a - b) for a, b in zip(values, slider_values(other), strict=True)) <= 0.02
        assert other.url == page.url
        assert np.abs(image_pixels(other).astype(int) - image_pixels(page)).max() <= 2
    finally:
        other.context.close()


def slider_values(page) -> list[float]:
    return [float(v) for v in page.locator('fieldset input[type="range"]').evaluate_all("s => s.map(e => e.value)")]


def test_hovering_the_map_redraws_and_a_click_shows_the_nearest_images(site_page, static_site):
    page = site_page
    open_site(page, static_site, f"?model={DIGITS}&view=map")
    first = image_pixels(page)
    live_map = page.locator('[data-testid="live-map"]')
    move_each_redraws(page, live_map, [(0.2 + 0.6 * i / 19, 0.5) for i in range(20)])
    assert not np.array_equal(image_pixels(page), first)
    box = live_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.42)
    page.locator('[data-testid="nearest"] .thumb-button').nth(7).wait_for(timeout=5000)
    assert "view=map" in page.url and "z=" in page.url
    move_each_redraws(page, live_map, [(0.35, 0.6), (0.36, 0.6)])  # the image of another spot beside them
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "static_site.png"))  # the README's picture of the site
    page.locator('[data-testid="nearest"] .thumb-button').first.click()  # opens it in Generate
    page.wait_for_function("() => !location.search.includes('view=')", timeout=5000)
    page.locator('fieldset input[type="range"]').first.wait_for()


def test_choosing_the_second_model_draws_a_face(site_page, static_site):
    page = site_page
    open_site(page, static_site)
    assert f"model={DIGITS}" in page.url, "the first model is the default"
    before = page.evaluate(STATS)["drawn"]
    page.locator("#model").select_option(FACES)
    page.wait_for_function(
        "([id, n]) => window.latentSite.state.model?.entry.id === id && window.latentControl.stats.drawn > n",
        arg=[FACES, before],
        timeout=30000,
    )
    assert f"model={FACES}" in page.url
    face = image_pixels(page)
    grey = np.mean((face > 40) & (face < 215))
    assert grey > 0.6, f"a face is mostly mid-grey; {grey:.0%} of this image is"
    page.screenshot(path=str(SHOTS / "static_site_face.png"))
    page.go_back()  # the model choice is a history entry
    page.wait_for_function("id => window.latentSite?.state.model?.entry.id === id", arg=DIGITS, timeout=30000)


def test_interpolate_scrubs_between_two_test_images(site_page, static_site):
    page = site_page
    open_site(page, static_site, f"?model={FACES}&view=interpolate")
    scrub = page.locator('[data-testid="slider-t"]')
    press(page, scrub, (0.5, 0.5))
    move_each_redraws(page, scrub, [(0.5 - 0.48 * i / 10, 0.5) for i in range(1, 11)])
    start = image_pixels(page)
    move_each_redraws(page, scrub, [(0.02 + 0.96 * i / 10, 0.5) for i in range(1, 11)])
    page.mouse.up()
    assert not np.array_equal(image_pixels(page), start), "t = 0 and t = 1 decode different images"
    page.locator('[data-testid="end-1"]').fill("5")
    page.locator('[data-testid="end-1"]').dispatch_event("change")
    page.wait_for_function("() => window.latentSite.state.ends[1] === 5", timeout=5000)


def test_bad_links_are_named_and_the_default_is_shown(site_page, static_site):
    page = site_page
    open_site(page, static_site, "?model=no_such_model&z=%25%25%25")
    assert "Unknown model in the link: “no_such_model”" in page.inner_text("#notes")
    assert f"model={DIGITS}" in page.url
    open_site(page, static_site, f"?model={DIGITS}&z=AAAA")
    assert "The link's code was not used: the code in the link has 1 value; this model takes 16" in page.inner_text(
        "#notes"
    )
    assert "Unknown model" not in page.inner_text("#notes"), "an earlier link's note goes"
    z = code_to_text(np.zeros(8, np.float32))
    open_site(page, static_site, f"?model={CVAE}&z={z}&label=99")
    assert "The link's class was not used: it must be a number from 0 to 9." in page.inner_text("#notes")
    open_site(page, static_site, f"?model={CVAE}&z={z}&label=3")
    assert page.locator('select[aria-label="Class"]').input_value() == "3"
    assert page.evaluate("() => window.latentSite.state.code") == [0] * 8


def test_without_webassembly_the_site_says_so(browser, static_site):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script("delete globalThis.WebAssembly")
    page = context.new_page()
    try:
        page.goto(static_site["url"] + f"?model={FACES}")
        page.wait_for_selector("text=This browser has no WebAssembly", timeout=30000)
        page.locator('fieldset input[type="range"]').first.wait_for()  # the controls are still there
        assert page.evaluate(STATS)["drawn"] == 0
    finally:
        context.close()


def test_codetext_js_writes_and_reads_the_apps_code_text(site_page, static_site):
    """The site's float16 text of a code (codetext.js) is aelib.explore.latent.code_to_text's, bit for bit,
    rounding ties, subnormals and overflow included; and it reads the app's text back exactly."""
    open_site(site_page, static_site)
    rng = np.random.default_rng(5)
    tricky = [0.0, -0.0, 1e-8, 3e-8, 6e-8, 1e-5, 3.0517578125e-05, 0.1, 1 / 3, -2.5, 1.00048828125, 65504, 65520, 1e6]
    codes = [np.asarray(tricky, np.float32), *rng.normal(0, 2, (20, 16)).astype(np.float32)]
    finite = codes[1:]
    js = site_page.evaluate(
        """async ([codes, texts, dims]) => {
            const m = await import("./codetext.js");
            return {
                texts: codes.map((c) => m.codeToText(c)),
                read: texts.map((t) => m.codeFromText(t, dims)),
                bad: ["%%%", "AAAA"].map((t) => { try { m.codeFromText(t, dims); } catch (e) { return e.message; } }),
            };
        }""",
        [[c.tolist() for c in codes], [code_to_text(c) for c in finite], 16],
    )
    with np.errstate(over="ignore"):  # 65520 and 1e6 overflow float16 to infinity, on purpose
        assert js["texts"] == [code_to_text(c) for c in codes]
    for text, read in zip([code_to_text(c) for c in finite], js["read"], strict=True):
        np.testing.assert_array_equal(np.asarray(read, np.float32), code_from_text(text, 16))
    assert js["bad"] == [
        "the code in the link is not valid base64",
        "the code in the link has 1 value; this model takes 16",
    ]
