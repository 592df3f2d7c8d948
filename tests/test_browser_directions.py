"""Attribute directions in Generate's live panel (issue #25), in headless Chromium: dragging the
thickness slider of a digit model thickens the strokes the browser decodes (more ink pixels), and
dragging the brightness slider of the face model brightens the face (mean grey up). Each slider
shows its direction's trust, and nothing goes to the server while it moves."""

from __future__ import annotations

import pytest
from streamlit_server import SHOTS, require_chromium, wait_until_idle
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
