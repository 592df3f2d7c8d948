"""The server under a hosting plan's memory cap (#27): `streamlit run app.py` in a cgroup-v1 memory
group capped at --limit-mb (as root; says so and exits otherwise), while N sessions visit every page,
one trains an image model on the Train page (600 built-in digits, 10 epochs) and one trains a
tabular model. Prints, per step, the group's memory, whether the server still answers, and how
each training ended (finished, or refused by the app's memory budget with its message); last, one
JSON line with the peak and the number of times the group hit its cap.

    python benchmarks/memory_cap.py --limit-mb 1400 [--sessions 3] [--python VENV/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from streamlit_server import PAGE_PATHS, chromium, streamlit_server, wait_until_idle

sys.path.insert(0, str(ROOT / "benchmarks"))
from memory import visit_all

GROUPS = Path("/sys/fs/cgroup/memory")


def make_group(limit_mb: int) -> Path:
    group = GROUPS / f"aelib_memory_cap_{os.getpid()}"
    group.mkdir()
    (group / "memory.limit_in_bytes").write_text(str(limit_mb * 2**20))
    return group


def wrapper(group: Path, python: str) -> str:
    """An interpreter that first moves itself (and so the server and its children) into the group."""
    path = Path(f"/tmp/aelib_in_group_{os.getpid()}.sh")
    path.write_text(f'#!/bin/sh\necho $$ > {group}/cgroup.procs\nexec {python} "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def mib(group: Path, name: str) -> float:
    return round(int((group / name).read_text()) / 2**20, 1)


def working_set(group: Path) -> float:
    """What the app's memory budget counts: usage less the page cache the kernel can drop."""
    from aelib.training.memory import _inactive_file_mb

    return round(mib(group, "memory.usage_in_bytes") - _inactive_file_mb(group), 1)


def alive(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/_stcore/health", timeout=10).status == 200
    except OSError:
        return False


def start_image_training(page, url: str) -> float:
    page.goto(f"{url}/{PAGE_PATHS['train']}")
    wait_until_idle(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Built-in").click()
    page.wait_for_selector("text=Built-in set", timeout=60000)
    wait_until_idle(page)
    images = page.locator('[data-testid="stSlider"]', has_text="At most this many images").get_by_role("slider")
    images.focus()
    page.keyboard.press("Home")
    for _ in range(5):  # 100 + 5 x 100 = 600
        page.keyboard.press("ArrowRight")
    wait_until_idle(page)
    started = time.perf_counter()
    page.get_by_role("button", name="Train", exact=True).click()
    return started


def finish(page, pattern: str, started: float, timeout: float = 900) -> dict:
    page.wait_for_selector(f"text=/{pattern}/", timeout=timeout * 1000)
    text = page.locator('[data-testid="stMain"]').inner_text()
    refused = "Not started" in text
    line = next((t for t in text.splitlines() if "Not started" in t), "") if refused else ""
    return {"seconds": round(time.perf_counter() - started, 1), "refused": refused, "message": line[:300]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit-mb", type=int, required=True)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    if os.geteuid() != 0 or not os.access(GROUPS, os.W_OK):
        print(f"skipped: needs root and a writable cgroup-v1 memory hierarchy at {GROUPS}")
        return
    group = make_group(args.limit_mb)
    steps = []

    def step(name: str, **extra) -> None:
        record = {
            "step": name,
            "mib": mib(group, "memory.usage_in_bytes"),
            "working_set_mib": working_set(group),
            "alive": alive(server["url"]),
            **extra,
        }
        steps.append(record)
        print(json.dumps(record), flush=True)

    log = ROOT / "benchmarks" / "_streamlit_cap.log"
    try:
        with streamlit_server(log, python=wrapper(group, args.python)) as server, chromium() as browser:
            step("idle")
            pages = []
            for i in range(args.sessions):
                pages.append(visit_all(browser, server["url"]))
                step(f"session {i + 1} visited every page")
            trainer = browser.new_page(viewport={"width": 1400, "height": 1000})
            started = start_image_training(trainer, server["url"])
            step("image training started")
            tabular = pages[0]
            tabular.goto(f"{server['url']}/{PAGE_PATHS['tabular']}")
            wait_until_idle(tabular)
            tab_started = time.perf_counter()
            tabular.get_by_role("button", name="Train autoencoder").click()
            step("tabular training", **finish(tabular, "Autoencoder AUC|Not started", tab_started))
            step("image training", **finish(trainer, "is ready|Not started", started))
            for page in pages[1:]:
                page.reload()
                wait_until_idle(page)
            step("every session reloaded")
    finally:
        peak, hits = mib(group, "memory.max_usage_in_bytes"), int((group / "memory.failcnt").read_text())
        for pid in (group / "cgroup.procs").read_text().split():
            with open(GROUPS / "cgroup.procs", "w") as root_group:
                root_group.write(pid)
        group.rmdir()
    summary = {"benchmark": "memory_cap", "limit_mb": args.limit_mb, "peak_mib": peak, "times_at_cap": hits}
    print(json.dumps({**summary, "under_cap_by": round(1 - peak / args.limit_mb, 3), "steps": steps}))


if __name__ == "__main__":
    main()
