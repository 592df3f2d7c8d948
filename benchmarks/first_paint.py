"""First paint of each explorer page against a minimal Streamlit app, measured the same way for both.

    python benchmarks/first_paint.py [--repeats 5]

A page is opened through its URL (with a model) in a browser whose cache is warm, on a warm server,
and three moments are read from the browser's own clock, counted from the navigation's start:
- first contentful paint: the browser's FCP (the first text or image drawn);
- largest contentful paint: the browser's LCP (the largest image or text block in the first screen,
  1400x1000, by the time the page is idle): when the page's main content is on screen;
- complete: the last change to the page's document (the run is over, every element is drawn). The
  live component's canvas is a frame of its own: its first image is ui_latency.py's "first image".
The floor is the same three for a minimal app: a title, a slider and a 300x300 image; and, to show
what a chart costs in Streamlit, for the same app with one Plotly scatter under the image.

Before #30 this benchmark timed goto -> "idle" as seen by polling every 200 ms for three quiet polls
(at least 600 ms of the number was the poll) and compared it with the minimal app's first image
taken without the poll; the two methods are now one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from streamlit_server import PAGE_PATHS, chromium, streamlit_server, wait_until_idle
from ui_latency_pages import MODEL_FOR_PAGE

PAGE_MODELS = {
    "home": None,
    **{k: MODEL_FOR_PAGE[k] for k in ("latent_map", "generate", "interpolate", "reconstruct", "denoise", "anomaly")},
}
# The floor: Streamlit itself, one slider and one image in a fragment, nothing else.
MINIMAL_APP = """
import numpy as np
import streamlit as st

@st.fragment
def panel():
    value = st.slider("z[0]", 0.0, 10.0, 5.0, 0.01)
    st.image(np.full((300, 300), int(value * 1000) % 255, np.uint8), caption="decoded")

st.title("minimal")
panel()
"""
# What one Plotly chart adds to the floor: the same app with a 2,000-point scatter under the image.
PLOTLY_APP = (
    MINIMAL_APP
    + """
import plotly.graph_objects as go
xy = np.random.default_rng(0).normal(size=(2, 2000))
st.plotly_chart(go.Figure(go.Scatter(x=xy[0], y=xy[1], mode="markers")))
"""
)
# Installed before the page's own scripts: the browser's paint entries and the last DOM change.
RECORDER = """
window.__paint = { fcp: null, lcp: null, complete: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.name === "first-contentful-paint") window.__paint.fcp = e.startTime;
}).observe({ type: "paint", buffered: true });
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__paint.lcp = e.startTime;
}).observe({ type: "largest-contentful-paint", buffered: true });
new MutationObserver(() => { window.__paint.complete = performance.now(); })
  .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""
MOMENTS = ("fcp", "lcp", "complete")


def open_page(page, url: str) -> dict[str, float]:
    page.goto(url)
    wait_until_idle(page)
    return page.evaluate("() => window.__paint")


def median_paint(page, url: str, repeats: int) -> dict[str, float]:
    open_page(page, url)  # warm-up: the server's caches, the browser's cache and code cache
    runs = [open_page(page, url) for _ in range(repeats)]
    return {m: round(statistics.median(r[m] or 0 for r in runs)) for m in MOMENTS}


def new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(RECORDER)
    return page


def minimal_floor(browser, repeats: int, app: str = MINIMAL_APP) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        minimal = Path(folder) / "minimal_app.py"
        minimal.write_text(app)
        with streamlit_server(ROOT / "benchmarks" / "_streamlit_minimal.log", script=minimal) as server:
            return median_paint(new_page(browser), server["url"], repeats)


def page_url(base: str, name: str) -> str:
    model = PAGE_MODELS[name]
    return f"{base}/{PAGE_PATHS[name]}" + (f"?model={model}" if model else "")


def first_paints(browser, url: str, repeats: int, pages=None) -> dict[str, dict[str, float]]:
    page = new_page(browser)
    return {name: median_paint(page, page_url(url, name), repeats) for name in pages or PAGE_MODELS}


def measure(browser, repeats: int = 5, pages=None) -> dict:
    floor = minimal_floor(browser, repeats)
    with_plotly = minimal_floor(browser, repeats, PLOTLY_APP)
    with streamlit_server(ROOT / "benchmarks" / "_streamlit.log") as server:
        pages = first_paints(browser, server["url"], repeats, pages)
    ratios = {name: {m: round(p[m] / floor[m], 2) for m in MOMENTS} for name, p in pages.items()}
    ratios["minimal_app_with_a_plotly_chart"] = {m: round(with_plotly[m] / floor[m], 2) for m in MOMENTS}
    return {
        "repeats": repeats,
        "minimal_app_ms": floor,
        "minimal_app_with_a_plotly_chart_ms": with_plotly,
        "pages_ms": pages,
        "vs_minimal_app": ratios,
    }


def report(result: dict) -> None:
    floor = result["minimal_app_ms"]
    print(f"first paint, median of {result['repeats']} opens, ms from navigation start (x the minimal app):")
    gap = " " * 8
    print(f"  {'minimal app':12s} FCP {floor['fcp']:5d}{gap}LCP {floor['lcp']:5d}{gap}complete {floor['complete']:5d}")
    pages = {"+ a Plotly chart": result["minimal_app_with_a_plotly_chart_ms"], **result["pages_ms"]}
    result["vs_minimal_app"]["+ a Plotly chart"] = result["vs_minimal_app"]["minimal_app_with_a_plotly_chart"]
    for name, p in pages.items():
        r = result["vs_minimal_app"][name]
        print(
            f"  {name:12s} FCP {p['fcp']:5d} ({r['fcp']:4.2f}x) LCP {p['lcp']:5d} ({r['lcp']:4.2f}x) "
            f"complete {p['complete']:5d} ({r['complete']:4.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5, help="opens per page (median reported)")
    parser.add_argument("--pages", default="", help=f"comma-separated, of {', '.join(PAGE_MODELS)} (default: all)")
    args = parser.parse_args()
    with chromium() as browser:
        result = measure(browser, args.repeats, [p for p in args.pages.split(",") if p])
    report(result)
    print(json.dumps({"benchmark": "first_paint", **result}))


if __name__ == "__main__":
    main()
