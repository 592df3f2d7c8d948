"""Cold start (#27): what a visitor waits for after the server restarts (Community Cloud wakes a
sleeping app by starting it again). From `streamlit run` to: the server answering, the first image
on Home, and the first image the live panel decodes in the browser on Generate (opened in a second
tab after --read-s seconds on Home; generate_after_open_s counts from that click). Then, in a fresh
interpreter, which heavy packages the first page imports, and the floor: a minimal Streamlit app.

    python benchmarks/cold_start.py [--repeats 3] [--python VENV/bin/python] [--app OTHER_CHECKOUT/app.py]

The disk cache is warm after the first repeat (a woken container's is cold), so the first repeat
is the most honest; the median is printed too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from streamlit_server import chromium, streamlit_server

HEAVY = ("torch", "onnx", "pandas", "plotly", "skimage", "sklearn", "scipy", "openTSNE", "safetensors")
FIRST_IMAGE = """() => [...document.querySelectorAll('[data-testid="stMain"] img')]
    .some(img => img.complete && img.naturalWidth > 0)"""


def live_drawn(page) -> bool:
    for frame in page.frames:
        try:
            if frame.evaluate("() => (window.latentControl?.stats.drawn ?? 0) > 0"):
                return True
        except Exception:  # a frame that navigated away meanwhile
            continue
    return False


def minimal_start(browser, python: str, folder: Path) -> dict:
    """The floor: a one-slider, one-image Streamlit app (benchmarks/ui_latency.py's) from `streamlit run`."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ui_latency import MINIMAL_APP

    app = folder / "minimal_app.py"
    app.write_text(MINIMAL_APP)
    started = time.perf_counter()
    with streamlit_server(folder / "minimal.log", script=app, python=python, timeout=120) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server["url"])
        page.wait_for_function(FIRST_IMAGE, timeout=180_000)
        page.close()
        return {"minimal_app_first_image_s": round(time.perf_counter() - started, 2)}


def one_start(browser, app: Path, python: str, log: Path, read_s: float) -> dict:
    started = time.perf_counter()
    with streamlit_server(log, script=app, python=python, timeout=120) as server:
        times = {"server_answers_s": time.perf_counter() - started}
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server["url"])
        page.wait_for_function(FIRST_IMAGE, timeout=180_000)
        times["home_first_image_s"] = time.perf_counter() - started
        page.wait_for_timeout(read_s * 1000)  # the visitor reads Home before clicking on
        second = browser.new_page(viewport={"width": 1400, "height": 1000})
        opened = time.perf_counter()
        second.goto(f"{server['url']}/Generate?model=mnist_conv_vae")
        deadline = time.time() + 180
        while not live_drawn(second):
            if time.time() > deadline:
                raise TimeoutError("the live panel drew nothing within 180 s")
            second.wait_for_timeout(50)
        times["generate_first_decode_s"] = time.perf_counter() - started
        times["generate_after_open_s"] = time.perf_counter() - opened
        page.close()
        second.close()
    return {k: round(v, 2) for k, v in times.items()}


def first_page_imports(app: Path, python: str) -> dict:
    """Heavy packages loaded by importing what Home imports, and how long that took."""
    home = app.parent / "pages" / "home.py"
    lines = [line for line in home.read_text().splitlines() if line.startswith(("import ", "from "))]
    code = (
        "import sys, time, streamlit\nt = time.perf_counter()\n"
        + "\n".join(lines)
        + f"\nprint(round(time.perf_counter() - t, 2), [m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([python, "-c", code], cwd=app.parent, capture_output=True, text=True, check=True)
    seconds, modules = out.stdout.strip().split(" ", 1)
    return {"home_imports_s": float(seconds), "home_imports": modules}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--read-s", type=float, default=5.0, help="seconds on Home before Generate opens")
    parser.add_argument("--app", type=Path, default=ROOT / "app.py", help="another checkout's app.py (before/after)")
    args = parser.parse_args()
    runs = []
    with chromium() as browser, tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            runs.append(one_start(browser, args.app.resolve(), args.python, Path(tmp) / f"server{i}.log", args.read_s))
            print(json.dumps({"repeat": i + 1, **runs[-1]}), flush=True)
        floor = minimal_start(browser, args.python, Path(tmp))
    medians = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    print(
        json.dumps(
            {
                "benchmark": "cold_start",
                "first": runs[0],
                "median": medians,
                **floor,
                **first_page_imports(args.app.resolve(), args.python),
            }
        )
    )


if __name__ == "__main__":
    main()
