"""A phone in a lecture hall (#27): at 390x844 with touch, dragging the first live slider with a
finger redraws the image and keeps it fully on screen; the map, the pad and the interpolation scrub
follow a finger; no page is wider than the screen. For a digit and a face model."""

from __future__ import annotations

import math

import pytest
from streamlit_server import PAGE_PATHS, SHOTS, require_chromium, wait_until_idle
from test_browser_live import FRAME, STATS, open_live

require_chromium()
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


def touch_drag(page, points: list[tuple[float, float]], check=None) -> None:
    """A finger pressed at the first point (page CSS pixels), moved through the rest, then lifted;
    `check()` runs while the finger is still down."""
    cdp = page.context.new_cdp_session(page)
    send = lambda kind, at: cdp.send(  # noqa: E731
        "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": at[0], "y": at[1]}] if at else []}
    )
    send("touchStart", points[0])
    for point in points[1:]:
        send("touchMove", point)
    if check:
        check()
    send("touchEnd", None)


def on_screen(box) -> bool:
    return box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] and box["x"] >= 0
    # (and its right edge: checked with the page width below)


@pytest.mark.parametrize("model", ["mnist_conv_vae", "olivetti_conv_vae"])
def test_a_finger_on_the_first_slider_redraws_an_image_that_stays_on_screen(phone, server, model):
    frame = open_live(phone, server, "generate", model)
    slider = frame.locator('fieldset input[type="range"]').first
    slider.scroll_into_view_if_needed()
    image = frame.locator('[data-testid="live-image"]')
    box = slider.bounding_box()
    before = frame.locator("body").evaluate(STATS)
    y = box["y"] + box["height"] / 2
    points = [(box["x"] + box["width"] * (0.1 + 0.8 * i / 20), y) for i in range(21)]
    seen = {}

    def while_dragging() -> None:
        seen["image"] = image.bounding_box()
        seen["stats"] = frame.locator("body").evaluate(STATS)

    touch_drag(phone, points, while_dragging)
    assert on_screen(seen["image"]) and seen["image"]["x"] + seen["image"]["width"] <= PHONE["width"], seen["image"]
    assert seen["stats"]["drawn"] - before["drawn"] >= 10, (before["drawn"], seen["stats"]["drawn"])
    phone.wait_for_function("() => location.search.includes('z=')", timeout=20000)  # released: the link follows
    phone.screenshot(path=str(SHOTS / f"phone_generate_{model}.png"))


def test_a_finger_over_the_live_map_decodes_under_it(phone, server):
    frame = open_live(phone, server, "latent_map", "mnist_conv_vae")
    live_map = frame.locator('[data-testid="live-map"]')
    live_map.scroll_into_view_if_needed()
    box = live_map.bounding_box()
    before = frame.locator("body").evaluate(STATS)
    points = [(box["x"] + box["width"] * (0.2 + 0.6 * i / 15), box["y"] + box["height"] * 0.5) for i in range(16)]
    touch_drag(phone, points)
    after = frame.locator("body").evaluate(STATS)
    assert after["drawn"] - before["drawn"] >= 5, (before["drawn"], after["drawn"])


def drag_redraws(phone, frame, target, points_on_box, least: int) -> None:
    """A finger dragged across `target` (points as fractions of its box) redraws the live image at
    least `least` times."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    before = frame.locator("body").evaluate(STATS)
    touch_drag(phone, [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points_on_box])
    phone.wait_for_function(
        "([f, n]) => document.querySelector(f).contentWindow.latentControl.stats.drawn >= n",
        arg=[FRAME, before["drawn"] + least],
        timeout=10000,
    )


@pytest.mark.parametrize("model", ["mnist_conv_vae", "olivetti_conv_vae"])
def test_a_finger_on_the_pad_redraws(phone, server, model):
    frame = open_live(phone, server, "generate", model)
    circle = [(0.5 + 0.35 * math.cos(k / 3), 0.5 + 0.35 * math.sin(k / 3)) for k in range(16)]
    drag_redraws(phone, frame, frame.locator('[data-testid="live-pad"]'), circle, least=5)


@pytest.mark.parametrize("model", ["mnist_conv_vae", "olivetti_conv_vae"])
def test_a_finger_scrubs_the_interpolation(phone, server, model):
    frame = open_live(phone, server, "interpolate", model)
    across = [(0.05 + 0.9 * i / 15, 0.5) for i in range(16)]
    drag_redraws(phone, frame, frame.locator('[data-testid="slider-t"]'), across, least=5)


@pytest.mark.parametrize("page_key", ["latent_map", "generate", "interpolate", "reconstruct", "home"])
def test_no_page_is_wider_than_a_phone(phone, server, page_key):
    phone.goto(f"{server['url']}/{PAGE_PATHS[page_key]}?model=olivetti_conv_vae")
    wait_until_idle(phone)
    if page_key in ("generate", "latent_map", "interpolate"):
        phone.frame_locator(FRAME).locator('[data-testid="live-image"]').wait_for(timeout=30000)
    widths = phone.evaluate(
        """f => [document.documentElement.scrollWidth, ...Array.from(document.querySelectorAll(f))
                 .map(i => i.contentDocument.documentElement.scrollWidth)]""",
        FRAME,
    )
    assert max(widths) <= PHONE["width"], widths
    phone.screenshot(path=str(SHOTS / f"phone_{page_key}.png"), full_page=True)


def overlap(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and (b["y"] < a["y"] + a["height"])
    )


def test_the_time_series_chart_title_is_whole_and_clear_of_the_chart_toolbar(phone, server):
    """Inside the figure the title did not wrap (cut off at the right edge) and Plotly's toolbar,
    always shown on a touch screen, covered it."""
    phone.goto(f"{server['url']}/{PAGE_PATHS['time_series']}?model=ecg5000_conv1d_ae")
    wait_until_idle(phone)
    chart = phone.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    title = phone.get_by_text("test beat #").first
    title.wait_for()
    box, toolbar = title.bounding_box(), chart.locator(".modebar").bounding_box()
    phone.screenshot(path=SHOTS / "phone_time_series_title.png")
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert toolbar is not None and not overlap(box, toolbar), (box, toolbar)


def test_tapping_a_sidebar_link_on_a_phone_closes_the_drawer(phone, server):
    phone.goto(server["url"])
    wait_until_idle(phone)
    phone.locator('[data-testid="stExpandSidebarButton"]').tap()
    sidebar = phone.locator('[data-testid="stSidebar"]')
    link = sidebar.get_by_role("link", name="Time series")
    link.wait_for()
    link.tap()
    phone.wait_for_url("**/Time_series?**")
    wait_until_idle(phone)
    phone.wait_for_timeout(1000)  # the drawer's closing animation
    phone.screenshot(path=SHOTS / "phone_after_sidebar_link.png")
    box = sidebar.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box  # it stayed open over the page


def test_a_sidebar_link_on_a_wide_screen_leaves_the_sidebar_open(page, server):
    page.goto(server["url"])
    wait_until_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Time series").click()
    page.wait_for_url("**/Time_series?**")
    wait_until_idle(page)
    page.wait_for_timeout(1000)
    box = page.locator('[data-testid="stSidebar"]').bounding_box()
    assert box is not None and box["x"] >= 0 and box["width"] > 200, box


def test_a_zero_drawn_with_a_finger_on_reconstruct_is_read_as_a_zero(phone, server):
    """The Draw tab's canvas under a finger at 390x844: the page does not scroll away from it and the
    drawn 0 reaches the model whole (the photo pipeline once cut a clean drawn 0 into a C)."""
    phone.goto(f"{server['url']}/{PAGE_PATHS['reconstruct']}?model=mnist_conv_vae")
    wait_until_idle(phone)
    phone.get_by_role("tab", name="Draw").tap()
    canvas = phone.locator('[data-testid="stMain"] canvas').last
    canvas.wait_for(timeout=30000)
    wait_until_idle(phone)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    ring = [(cx + 55 * math.cos(2 * math.pi * i / 40), cy + 85 * math.sin(2 * math.pi * i / 40)) for i in range(41)]
    touch_drag(phone, ring)
    verdict = phone.locator('[data-testid="stAlert"]', has_text="reads as")
    verdict.first.wait_for(timeout=30000)
    assert "reads as 0" in verdict.first.inner_text(), verdict.first.inner_text()
