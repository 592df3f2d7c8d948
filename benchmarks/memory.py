"""Server memory: RSS of `streamlit run app.py` after one session visits every page, and the
increase for each additional session doing the same; for this interpreter's torch and, with
--python, for another interpreter's (e.g. a venv with the CPU-only build, torch 2.13.0+cpu).

    python benchmarks/memory.py [--sessions 3] [--python /path/to/venv/bin/python ...]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from streamlit_server import PAGE_PATHS, chromium, rss_mib, streamlit_server, wait_until_idle

sys.path.insert(0, str(ROOT / "benchmarks"))
from ui_latency_pages import VISITS


def visit_all(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    for path in VISITS:
        page.goto(f"{url}/{path}")
        wait_until_idle(page)
    return page  # keep the session open


def measure(python: str, sessions: int) -> dict:
    torch_version = subprocess.run(
        [python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with streamlit_server(ROOT / "benchmarks" / "_streamlit.log", python=python) as server, chromium() as browser:
        time.sleep(1.0)
        idle = rss_mib(server["pid"])
        pages, readings = [], []
        for _ in range(sessions):
            pages.append(visit_all(browser, server["url"]))
            time.sleep(1.0)
            readings.append(round(rss_mib(server["pid"]), 1))
        trained = train_tabular(pages[0], server)
    increments = [round(b - a, 1) for a, b in itertools.pairwise(readings)]
    print(
        f"torch {torch_version}: idle {idle:.0f} MiB; after one session visits every page "
        f"{readings[0]:.0f} MiB; each further session adds {increments} MiB; after training a tabular "
        f"model in the browser (scikit-learn and pandas loaded) {trained:.0f} MiB"
    )
    return {
        "torch": torch_version,
        "idle_rss_mib": round(idle, 1),
        "rss_after_first_session_mib": readings[0],
        "rss_per_session_mib": readings,
        "increase_per_extra_session_mib": increments,
        "rss_after_tabular_training_mib": trained,
    }


def train_tabular(page, server) -> float:
    """The heaviest thing a visitor can start: the Tabular page's in-browser training, whose
    IsolationForest baseline imports scikit-learn (and with it pandas and scipy.stats)."""
    page.goto(f"{server['url']}/{PAGE_PATHS['tabular']}")
    wait_until_idle(page)
    page.get_by_role("button", name="Train autoencoder").click()
    page.wait_for_selector("text=Autoencoder AUC", timeout=120000)
    wait_until_idle(page)
    time.sleep(1.0)
    return round(rss_mib(server["pid"]), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--python", nargs="*", default=[], help="other interpreters to measure too")
    args = parser.parse_args()
    runs = [measure(python, args.sessions) for python in [sys.executable, *args.python]]
    print(json.dumps({"benchmark": "memory", "runs": runs}))


if __name__ == "__main__":
    main()
