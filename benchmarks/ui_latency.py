"""UI latency in headless Chromium against the shipped models:
- live (in-browser) decoding, for every shipped image model and a Train-page-like 64x64 colour one
  (colour_model.py): display frames per second that show a new decoded image while a
  pointer drags a slider and the 2-D pad on Generate (the pointer moves at --pointer-hz, 120 a
  second by default, sent on time as a mouse sends them, more than the display's 60 frames: every
  frame has a move to draw, so the rate measures the page and not this script), decode time per
  image, websocket messages sent during the drag, and the time from opening the page to the first
  decoded image (cold and warm browser cache);
- the server path: slider move -> new image shown, against a minimal one-slider Streamlit app;
- each page's first paint against the minimal app's (first_paint.py: FCP, LCP, complete).

    python benchmarks/ui_latency.py [--moves 240] [--pointer-hz 120] [--repeats 3] [--live-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import first_paint
from colour_model import with_colour_model
from first_paint import MINIMAL_APP, PAGE_MODELS, page_url
from streamlit_server import PAGE_PATHS, chromium, streamlit_server, wait_until_idle

DECODED_SRC = (
    "() => { const el = [...document.querySelectorAll('[data-testid=\"stImage\"]')]"
    ".find(e => e.innerText.includes('decoded')); return el ? el.querySelector('img').src : null; }"
)


def open_every_page(page, url: str) -> None:
    """Model loading, decoder export and the server's caches, before anything is timed."""
    for name in PAGE_MODELS:
        page.goto(page_url(url, name))
        wait_until_idle(page)


def slider_latencies(page, url: str, moves: int) -> list[float]:
    wait_until_idle(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="z[").first.get_by_role("slider")
    latencies = []
    for i in range(moves):
        before = page.evaluate(DECODED_SRC)
        slider.focus()
        started = time.perf_counter()
        page.keyboard.press("ArrowRight" if (i // 10) % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"before => ({DECODED_SRC})() !== before", arg=before, timeout=10000)
        # the new src is set; wait for the browser to have decoded and laid out the image
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)
    return latencies


def live_models() -> dict[str, str]:
    """Every shipped image model (each drags at display rate, or the benchmark says which does not)."""
    from aelib.io import zoo

    entries, _ = zoo.list_checkpoints()
    return {e.id: e.id for e in entries if e.kind == "image"}


FRAME = 'iframe[title*="latent_control"]'
IN_FRAME = "f => { const w = document.querySelector(f).contentWindow; return %s; }"
STATS = "JSON.parse(JSON.stringify(w.latentControl.stats))"
# Logs every display frame of the component (its requestAnimationFrame time) with the number of
# images drawn by then: a frame whose count grew shows a new image. Counting frames, not images: an
# image drawn over another within the same frame is never seen (#30).
FRAME_LOG = (
    "(w.__frameLog = [], w.__logging || (w.__logging = (function tick(t) { w.__frameLog.push([t, "
    "w.latentControl.stats.drawn]); w.requestAnimationFrame(tick); })(w.performance.now()) || 1), 0)"
)
TWO_FRAMES = "new Promise(r => w.requestAnimationFrame(() => w.requestAnimationFrame(r)))"
# Decodes back to back, as fast as the runtime can: the ceiling above the display's refresh rate.
CAPACITY = """async (body, { codes, seconds }) => {
    const started = performance.now();
    let n = 0;
    const decoder = window.latentControl.decoder;
    while (performance.now() - started < seconds * 1000) await decoder.decode(codes[n++ % codes.length]);
    return n / ((performance.now() - started) / 1000);
}"""


def first_image_ms(page, url: str, model: str) -> dict:
    """From the page's navigation start: the first image on the canvas (the server's preview, until
    the browser decodes) and the first image decoded in the browser; and the component's own share."""
    page.goto(f"{url}/{PAGE_PATHS['generate']}?model={model}")
    ready = IN_FRAME % "w && w.latentControl && w.latentControl.stats.firstImageMs !== null"
    page.wait_for_function(ready.replace(".contentWindow", "?.contentWindow"), arg=FRAME, timeout=180_000)
    offset, timeline = page.evaluate(
        IN_FRAME % "[w.performance.timeOrigin - performance.timeOrigin, w.latentControl.stats.timeline]", FRAME
    )
    first_shown = min(timeline.get("preview_shown", timeline["first_image"]), timeline["first_image"])
    return {
        "on_screen": round(offset + first_shown),
        "decoded_in_browser": round(offset + timeline["first_image"]),
        "component_start_to_decoded": timeline["first_image"],
    }


def move_mouse(page, path: list[tuple[float, float]], hz: float) -> None:
    """Move the mouse through `path` (page pixels) at `hz` moves per second, each sent on time as a
    mouse sends them, not waiting for the page to have handled the one before. hz = 0: one awaited
    page.mouse.move after another, as this benchmark did until #30. Playwright answers a move once
    Chromium has dispatched it to the page, which it does at the page's next display frame, so
    awaited moves offer the page at most one move per frame, and any hiccup in this process,
    Playwright's driver or the browser's input routing left a frame with no move to draw: on a
    loaded machine that measured the harness, not the component (#30)."""
    if not hz:
        for x, y in path:
            page.mouse.move(x, y)
        return
    mouse = page.mouse._impl_obj  # the asynchronous API under the synchronous one: sends without waiting

    async def send_all():
        loop = asyncio.get_running_loop()
        start, moves = loop.time(), []
        for i, (x, y) in enumerate(path):
            await asyncio.sleep(max(0.0, start + i / hz - loop.time()))
            moves.append(asyncio.ensure_future(mouse.move(x, y, steps=1)))
        await asyncio.gather(*moves)

    page.mouse._sync(send_all())


def live_drag(page, target, points: list[tuple[float, float]], sent: list, hz: float) -> dict:
    """Drag the pointer through `points` (fractions of the target's box) at `hz` moves per second
    and report what was drawn."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.evaluate(IN_FRAME % FRAME_LOG, FRAME)
    before = page.evaluate(IN_FRAME % STATS, FRAME)
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    n_sent = len(sent)
    page.mouse.down()
    move_mouse(page, [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points[1:]], hz)
    during_drag = len(sent) - n_sent
    page.evaluate(IN_FRAME % TWO_FRAMES, FRAME)  # the last move's image reaches a frame
    after = page.evaluate(IN_FRAME % STATS, FRAME)
    log = page.evaluate(IN_FRAME % "w.__frameLog", FRAME)
    page.mouse.up()
    drawn = after["drawn"] - before["drawn"]
    decode_ms = after["decodeMs"][-drawn:]
    # Display frames from the first to the last that showed an image of this drag; those that did.
    fresh = [t for (t, n), (_, previous) in zip(log[1:], log, strict=False) if n > previous and n > before["drawn"]]
    frames = [t for t, _ in log if fresh[0] <= t <= fresh[-1]]
    seconds = (fresh[-1] - fresh[0]) / 1000
    return {
        "pointer_moves": len(points) - 1,
        "images_drawn": drawn,
        "frames_with_a_new_image": len(fresh),
        "frames_per_s": round((len(fresh) - 1) / seconds, 1),
        "display_frames_with_a_new_image": round(len(fresh) / len(frames), 2),
        "decode_ms_median": round(statistics.median(decode_ms), 2),
        "decode_ms_p95": round(sorted(decode_ms)[int(0.95 * (len(decode_ms) - 1))], 2),
        "websocket_messages_during_drag": during_drag,
    }


def repeated(repeats: int, *drag_args) -> dict:
    """live_drag(*drag_args) `repeats` times: the run with the median frame rate, and every run's
    rate (the spread)."""
    runs = sorted((live_drag(*drag_args) for _ in range(repeats)), key=lambda d: d["frames_per_s"])
    return {**runs[len(runs) // 2], "frames_per_s_runs": [d["frames_per_s"] for d in runs]}


def live_decoding(browser, url: str, moves: int, repeats: int = 3, hz: float = 120, only=None) -> dict:
    results = {}
    for model, description in live_models().items():
        if only and model not in only:
            continue
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        sent = []
        page.on("websocket", lambda ws, sent=sent: ws.on("framesent", lambda payload: sent.append(payload)))
        cold = first_image_ms(page, url, model)
        warm = first_image_ms(page, url, model)
        wait_until_idle(page)
        frame = page.frame_locator(FRAME)
        slider = repeated(
            repeats,
            page,
            frame.locator('fieldset input[type="range"]').first,
            [(0.02 + 0.96 * (i % 60) / 59, 0.5) for i in range(moves + 1)],
            sent,
            hz,
        )
        wait_until_idle(page)
        pad = repeated(
            repeats,
            page,
            frame.locator('[data-testid="live-pad"]'),
            [(0.5 + 0.4 * math.cos(i / 8), 0.5 + 0.4 * math.sin(i / 8)) for i in range(moves + 1)],
            sent,
            hz,
        )
        latent_dim = page.evaluate(IN_FRAME % "w.latentControl.decoder.latentDim", FRAME)
        codes = [[math.sin(i + d) for d in range(latent_dim)] for i in range(16)]
        capacity = frame.locator("body").evaluate(CAPACITY, {"codes": codes, "seconds": 2})
        results[model] = {
            "model": description,
            "first_image_ms_cold_cache": cold,
            "first_image_ms_warm_cache": warm,
            "slider_drag": slider,
            "pad_drag": pad,
            "decodes_per_s_back_to_back": round(capacity),
        }
        context.close()
    return results


def summary(name: str, values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        f"{name}_median_ms": round(statistics.median(values), 1),
        f"{name}_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def server_path(browser, moves: int) -> dict:
    """Release -> new image through Streamlit (the fallback path), against the minimal app's floor."""
    with tempfile.TemporaryDirectory() as folder:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        minimal = Path(folder) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        with streamlit_server(ROOT / "benchmarks" / "_streamlit_minimal.log", script=minimal) as server:
            page.goto(server["url"])
            floor = slider_latencies(page, server["url"], moves)
        with streamlit_server(ROOT / "benchmarks" / "_streamlit.log") as server:
            open_every_page(page, server["url"])
            page.goto(f"{server['url']}/{PAGE_PATHS['generate']}?model=mnist_conv_vae")
            wait_until_idle(page)
            page.get_by_role("tab", name="Latent sliders").click()
            latencies = slider_latencies(page, server["url"], moves)
    return {
        "slider_moves": len(latencies),
        **summary("slider", latencies),
        **summary("minimal_app_slider", floor),
        "slider_vs_minimal_app": round(statistics.median(latencies) / statistics.median(floor), 2),
    }


def vendored_mb() -> float:
    vendor = ROOT / "latent_control" / "frontend" / "vendor"
    return round(sum(f.stat().st_size for f in vendor.rglob("*") if f.is_file()) / 1e6, 1)


def report_live(label: str, results: dict) -> None:
    for live in results.values():
        for drag in ("slider_drag", "pad_drag"):
            d = live[drag]
            spread = d["frames_per_s_runs"]
            print(
                f"{label} {live['model']:26s} {drag:11s}: {d['frames_per_s']:6.1f} frames/s "
                f"(median of {len(spread)}: {min(spread)}-{max(spread)}) "
                f"({d['frames_with_a_new_image']} frames with a new image, {d['images_drawn']} images drawn, "
                f"{d['pointer_moves']} pointer moves; {d['display_frames_with_a_new_image']:.0%} of display frames), "
                "decode median "
                f"{d['decode_ms_median']} ms, {d['websocket_messages_during_drag']} websocket messages"
            )
        cold, warm = live["first_image_ms_cold_cache"], live["first_image_ms_warm_cache"]
        print(
            f"{label} {live['model']:26s} first image on screen {cold['on_screen']} / {warm['on_screen']} ms "
            f"(cold / warm cache), decoded in the browser {cold['decoded_in_browser']} / "
            f"{warm['decoded_in_browser']} ms; {live['decodes_per_s_back_to_back']} decodes/s back to back"
        )


def report_server(server: dict) -> None:
    print(
        f"server path, slider -> new image: median {server['slider_median_ms']} ms, "
        f"p95 {server['slider_p95_ms']} ms; minimal one-slider app {server['minimal_app_slider_median_ms']} ms "
        f"(ratio {server['slider_vs_minimal_app']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=240, help="pointer moves per drag")
    parser.add_argument(
        "--pointer-hz",
        type=float,
        default=120,
        help="pointer moves per second during a drag, sent on time as a mouse does; 0: each move waits "
        "for the page to handle the one before (before #30; at most one move per display frame)",
    )
    parser.add_argument("--live-only", action="store_true", help="skip the server path and first paints")
    parser.add_argument("--repeats", type=int, default=3, help="drags per control and model (median reported)")
    parser.add_argument("--models", default="", help="comma-separated model ids (default: every shipped image model)")
    parser.add_argument("--no-colour-model", action="store_true", help="skip the Train-page-like 64x64 colour model")
    args = parser.parse_args()
    if not args.no_colour_model:  # served beside the shipped ones, so every image model is dragged
        os.environ["AELIB_CHECKPOINTS"] = str(with_colour_model(Path(tempfile.mkdtemp(prefix="ui_latency_"))))
    result = {"benchmark": "ui_latency", "vendored_runtime_mb": vendored_mb()}
    # Headless Chromium paces pointer events and animation frames to a 60 Hz display, as a screen does.
    with streamlit_server(ROOT / "benchmarks" / "_streamlit.log") as server, chromium() as browser:
        warm_up = browser.new_page()
        open_every_page(warm_up, server["url"])
        warm_up.close()
        result["live"] = live_decoding(
            browser, server["url"], args.moves, args.repeats, args.pointer_hz, [m for m in args.models.split(",") if m]
        )
        result["pointer_hz"] = args.pointer_hz
    if not args.live_only:
        with chromium() as browser:
            result["server"] = server_path(browser, 30)
            result["first_paint"] = first_paint.measure(browser)
    pace = f"{args.pointer_hz:g} a second, sent on time" if args.pointer_hz else "each awaited (at most one per frame)"
    print(f"live drags: {args.moves} pointer moves, {pace}; each drag {args.repeats} times")
    report_live("live", result["live"])
    if "server" in result:
        report_server(result["server"])
        first_paint.report(result["first_paint"])
    print(f"vendored ONNX Runtime Web: {result['vendored_runtime_mb']} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
