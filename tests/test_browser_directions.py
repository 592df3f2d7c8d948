"""Attribute directions in Generate's live panel (issue #25), in headless Chromium: dragging the
thickness slider of a digit model thickens the strokes the browser decodes (more ink pixels), and
dragging the brightness slider of the face model brightens the face (mean grey up). Each slider
shows its direction's trust, and nothing goes to the server while it moves."""

from __future__ import annotations

import pytest
from streamlit_server import SHOTS, require_chromium, wait_until_idle
from test_browser import visit
from test_browser_live import DIGITS, FACES, STATS, count_websocket_sends, drag, open_live

require_chromium()

CANVAS_GREY = """c => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, ink = 0;
    for (let i = 0; i < data.length; i += 4) { sum += data[i]; if (data[i] > 127) ink += 1; }
    return { mean: sum / (data.length / 4) / 255, ink: ink / (data.length / 4) };
}"""


def slide_to(page, frame, slider, start: float, end: float, sent: list) -> dict:
    """Drag `slider` from `start` to `end` (fractions of its width) in 20 moves; check the image was
    redrawn as it moved with nothing sent to the server, let go, wait for the page to take the code,
    and return the canvas's mean grey and share of ink pixels (grey over half)."""
    before, n_sent = frame.locator("body").evaluate(STATS)["drawn"], len(sent)
    drag(page, slider, [(start + (end - start) * i / 20, 0.5) for i in range(21)])
    page.wait_for_function(
        "([f, n]) => document.querySelector(f).contentWindow.latentControl.stats.drawn >= n",
        arg=['iframe[title*="latent_control"]', before + 10],
        timeout=20000,
    )
    assert len(sent) == n_sent, "nothing goes to the server while the slider moves"
    url = page.url
    page.mouse.up()
    page.wait_for_function("u => location.href !== u", arg=url, timeout=20000)
    wait_until_idle(page)
    return frame.locator('[data-testid="live-image"]').evaluate(CANVAS_GREY)


@pytest.mark.parametrize(("model", "name", "reading"), [(DIGITS, "thickness", "ink"), (FACES, "brightness", "mean")])
def test_dragging_an_attribute_slider_changes_the_image_the_right_way(page, server, model, name, reading):
    sent = count_websocket_sends(page)
    frame = open_live(page, server, "generate", model)
    box = frame.locator('[data-testid="attribute-directions"]')
    box.wait_for(timeout=30000)
    assert name in box.inner_text()
    slider = frame.locator('[data-testid="slider-a:0"]')
    assert slider.get_attribute("aria-label") == name
    assert frame.locator('[data-testid="trust-a:0"]').inner_text() in ("high", "medium")
    low = slide_to(page, frame, slider, 0.5, 0.01, sent)
    assert float(slider.input_value()) < -2.5
    high = slide_to(page, frame, slider, 0.01, 0.99, sent)
    assert float(slider.input_value()) > 2.5
    page.screenshot(path=str(SHOTS / f"directions_{model}.png"))
    if reading == "ink":  # thicker strokes: clearly more of the canvas is ink
        assert high["ink"] > 1.4 * low["ink"], (low, high)
    else:  # a brighter face: the mean grey rises by a tenth of the range at least
        assert high["mean"] > low["mean"] + 0.1, (low, high)


def test_a_direction_defined_on_generate_becomes_a_live_slider(page, server):
    frame = open_live(page, server, "generate", DIGITS)
    page.get_by_role("tab", name="Attribute directions").click()
    page.get_by_text("thickness: high trust").first.wait_for(timeout=30000)  # the built-ins' trust
    page.get_by_role("button", name="Add this direction").click()  # two classes, 0 towards 1
    page.get_by_text("0 → 1: ").first.wait_for(timeout=60000)
    wait_until_idle(page)
    page.get_by_role("tab", name="Live (in your browser)").click()
    frame = page.frame_locator('iframe[title*="latent_control"]')
    frame.locator('[data-testid="slider-a:3"]').wait_for(timeout=30000)  # after thickness, slant, width
    assert frame.locator('[data-testid="slider-a:3"]').get_attribute("aria-label") == "0 → 1"
    page.screenshot(path=str(SHOTS / "directions_defined.png"), full_page=True)


def test_reconstruct_edits_a_test_image_along_a_direction(page, server):
    visit(page, server, "reconstruct", DIGITS)  # a test image by default
    page.get_by_text("Edit it along a direction").first.wait_for(timeout=30000)
    page.get_by_text("std along “thickness”").first.wait_for(timeout=30000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_two_selections_on_the_latent_map_make_a_direction(page, server):
    visit(page, server, "latent_map", DIGITS)
    page.locator('[data-testid="stButtonGroup"] button', has_text="Click").click()
    page.wait_for_selector(".js-plotly-plot", timeout=20000)
    wait_until_idle(page)
    for point, group in ((0, "A"), (5, "B")):  # two images of the first class on the map
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.[0]?.x?.length > 5")
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()  # the last selection scrolled down
        x, y = page.evaluate(
            """i => {
            const gd = document.querySelector('.js-plotly-plot');
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, trace = gd._fullData[0];
            const r = gd.getBoundingClientRect();
            return [r.left + xa._offset + xa.l2p(trace.x[i]), r.top + ya._offset + ya.l2p(trace.y[i])];
        }""",
            point,
        )
        page.mouse.click(x, y)
        page.get_by_text("Selected 1 point(s)").first.wait_for(timeout=20000)
        button = page.get_by_role("button", name=f"as group {group}")
        button.wait_for(timeout=20000)
        button.click()
        page.get_by_text(f"group {group}: 1 points").first.wait_for(timeout=20000)
        wait_until_idle(page)
    page.get_by_role("button", name="Make this direction").click()
    wait_until_idle(page)
    page.screenshot(path=str(SHOTS / "directions_from_map.png"), full_page=True)
    page.get_by_text("A → B: low trust").first.wait_for(timeout=60000)  # one image each: nothing held out


def test_a_kept_spot_on_the_latent_map_shows_its_nearest_images(page, server):
    frame = open_live(page, server, "latent_map", DIGITS)
    live_map = frame.locator('[data-testid="live-map"]')
    live_map.scroll_into_view_if_needed()
    box = live_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    nearest = page.locator('[data-testid="stImage"]', has_text="nearest to this spot")
    nearest.wait_for(timeout=20000)
    assert nearest.locator("img").bounding_box()["width"] > 8 * 40  # eight thumbnails in a row
