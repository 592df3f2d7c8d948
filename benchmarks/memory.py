"""Server memory: RSS of `streamlit run app.py` after one session visits every page, and the
increase for each additional session doing the same.

    python benchmarks/memory.py [--sessions 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from streamlit_server import chromium, rss_mib, streamlit_server, wait_until_idle  # noqa: E402
sys.path.insert(0, str(ROOT / "benchmarks"))
from ui_latency_pages import PAGES  # noqa: E402


def visit_all(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for path in PAGES:
        page.goto(f"{url}/{path}")
        wait_until_idle(page)
    return page  # keep the session open


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=3)
    args = parser.parse_args()
    with streamlit_server(ROOT / "benchmarks" / "_streamlit.log") as server, chromium() as browser:
        idle = rss_mib(server["pid"])
        pages, readings = [], []
        for _ in range(args.sessions):
            pages.append(visit_all(browser, server["url"]))
            time.sleep(1.0)
            readings.append(round(rss_mib(server["pid"]), 1))
    import torch
    increments = [round(b - a, 1) for a, b in zip(readings, readings[1:])]
    result = {"benchmark": "memory", "torch": torch.__version__, "idle_rss_mib": round(idle, 1),
              "rss_after_first_session_mib": readings[0], "rss_per_session_mib": readings,
              "increase_per_extra_session_mib": increments}
    print(f"torch {torch.__version__}: idle {idle:.0f} MiB; after one session visits every page "
          f"{readings[0]:.0f} MiB; each further session adds {increments} MiB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
