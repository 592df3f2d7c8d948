"""Start `streamlit run app.py` on a free localhost port and stop it by process id; and launch
Debian's Chromium through Playwright. Shared by the browser tests and benchmarks/."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks import this module too
from labapp.frame import PAGES  # the one page list

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "_artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGE_PATHS = {page.key: page.url_path for page in PAGES}


def require_chromium() -> None:
    """Skip a browser test module without Chromium, except under CI, where .ci/run installs it
    first and its absence is a failure, never a silent skip."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing; .ci/run should have installed it")
    import pytest

    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    log_path: Path, env: dict | None = None, timeout: float = 60, script: Path | None = None, python: str | None = None
):
    """Yields {"url", "pid"}; the server runs in its own process group and is killed on exit.
    script: another app to serve instead of this repository's app.py (benchmark baselines);
    python: another interpreter to run it with (e.g. a virtual environment with CPU-only torch)."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                python or sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script or "app.py"),
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=script.parent if script else ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, timeout)
            yield {"url": url, "pid": process.pid}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def static_server(folder: Path, probe: str = "", timeout: float = 30):
    """`python -m http.server` serving `folder` on a free port (its own process group, stopped by
    its id); yields the origin once `origin/probe` answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        _wait_answering(f"{origin}/{probe}", process, timeout, "http.server")
        yield origin
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)


def _wait_healthy(url: str, process, timeout: float) -> None:
    _wait_answering(f"{url}/_stcore/health", process, timeout, "streamlit")


def _wait_answering(url: str, process, timeout: float, what: str) -> None:
    """Poll `url` until it answers; fail at once if the server `process` exits, or after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


BUSY = '[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'


def wait_until_idle(page, timeout: float = 60) -> None:
    """Wait until Streamlit has rendered a title and stayed idle (no running status, spinner or
    skeleton placeholder) for three polls in a row."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout * 1000)
    deadline, quiet = time.time() + timeout, 0
    while time.time() < deadline:
        quiet = quiet + 1 if page.locator(BUSY).count() == 0 else 0
        if quiet >= 3:
            return
        time.sleep(0.2)
    raise AssertionError("the app did not finish running")


# What each of Generate's server-side tabs shows once drawn (only the open tab is drawn: a click reruns).
TAB_CONTENT = {
    "Latent sliders": '[data-testid="stSlider"]:has-text("z[")',
    "Principal directions": '[data-testid="stSlider"]:has-text("PC1")',
    "Traversal": '[data-testid="stImage"]:has-text("the current code")',
}


def open_tab(page, name: str, timeout: float = 60) -> None:
    """Click one of Generate's tabs and wait until its content is drawn and the run is over."""
    page.get_by_role("tab", name=name).click()
    page.locator(TAB_CONTENT[name]).first.wait_for(timeout=timeout * 1000)
    wait_until_idle(page, timeout)


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, in MiB (from /proc)."""
    total = 0
    for child in [pid, *_children(pid)]:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        return []
    kids = [int(p) for p in path.read_text().split()]
    return kids + [g for k in kids for g in _children(k)]
