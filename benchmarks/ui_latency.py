"""UI latency in headless Chromium against the shipped models: slider move -> new image shown,
and each page's first paint (navigation until the script run is finished).

    python benchmarks/ui_latency.py [--moves 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
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
DECODED_SRC = (
    "() => { const el = [...document.querySelectorAll('[data-testid=\"stImage\"]')]"
    ".find(e => e.innerText.includes('decoded')); return el ? el.querySelector('img').src : null; }"
)


def first_paints(page, url: str) -> dict[str, float]:
    times = {}
    for name, model in PAGE_MODELS.items():
        started = time.perf_counter()
        page.goto(f"{url}/{PAGE_PATHS[name]}" + (f"?model={model}" if model else ""))
        wait_until_idle(page)
        times[name] = round((time.perf_counter() - started) * 1000, 1)
    return times


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


def summary(name: str, values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        f"{name}_median_ms": round(statistics.median(values), 1),
        f"{name}_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        minimal = Path(folder) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        with streamlit_server(ROOT / "benchmarks" / "_streamlit_minimal.log", script=minimal) as server:
            page.goto(server["url"])
            floor = slider_latencies(page, server["url"], args.moves)
        with streamlit_server(ROOT / "benchmarks" / "_streamlit.log") as server:
            first_paints(page, server["url"])  # warm-up: model loading and caches
            paints = first_paints(page, server["url"])
            page.goto(f"{server['url']}/{PAGE_PATHS['generate']}?model=mnist_conv_vae")
            latencies = slider_latencies(page, server["url"], args.moves)
    result = {
        "benchmark": "ui_latency",
        "slider_moves": len(latencies),
        **summary("slider", latencies),
        **summary("minimal_app_slider", floor),
        "slider_vs_minimal_app": round(statistics.median(latencies) / statistics.median(floor), 2),
        "first_paint_ms": paints,
        "target_slider_median_ms": 100,
    }
    print(
        f"slider -> new image: median {result['slider_median_ms']} ms, p95 {result['slider_p95_ms']} ms "
        f"over {len(latencies)} moves (target: median <= 100 ms)"
    )
    print(
        f"same measurement on a minimal one-slider Streamlit app (the framework's floor here): median "
        f"{result['minimal_app_slider_median_ms']} ms, p95 {result['minimal_app_slider_p95_ms']} ms; "
        f"ratio {result['slider_vs_minimal_app']}"
    )
    for name, ms in paints.items():
        print(f"first paint {name:12s} {ms:8.0f} ms (warm server)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
