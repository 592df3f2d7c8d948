"""Hostile files through the real page (#29): the server keeps answering everyone while the
Tabular page reads a CSV that used to hold the interpreter lock for over a minute."""

from __future__ import annotations

import threading
import time
import urllib.request

from streamlit_server import PAGE_PATHS, require_chromium, wait_until_idle

require_chromium()


def test_server_answers_health_checks_while_tabular_reads_a_stalling_csv(page, server, tmp_path):
    page.goto(f"{server['url']}/{PAGE_PATHS['tabular']}")
    wait_until_idle(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Upload CSV").click()
    page.wait_for_selector('[data-testid="stFileUploaderDropzoneInput"]', state="attached", timeout=30000)
    wait_until_idle(page)
    stalling = tmp_path / "quotes.csv"
    stalling.write_bytes(b'" ' * 32_768)  # 64 KB: csv.Sniffer took 82 s on it
    latencies, done = [], threading.Event()

    def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            urllib.request.urlopen(f"{server['url']}/_stcore/health", timeout=30).read()
            latencies.append(time.perf_counter() - started)
            done.wait(0.1)

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(stalling))
        page.wait_for_selector('[data-testid="stAlert"] >> text=quotes.csv', timeout=60000)
        wait_until_idle(page)
    finally:
        done.set()
        prober.join()
    assert latencies and max(latencies) < 2.0, latencies
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_test_id("stRadioGroup").get_by_text("ODDS benchmark").click()  # the page still answers
    page.wait_for_selector("text=numeric features", timeout=30000)
