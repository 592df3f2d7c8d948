"""Heavy use: N browser sessions at once against `streamlit run app.py`, each doing what users do,
and the same load on a minimal one-slider Streamlit app as the floor.

    python benchmarks/load.py [--sessions 20] [--seconds 120]

Each session loops over: open a page through its URL (with a model), drag a live Generate slider and
let go (the code goes to the server), pick another model in the sidebar, hover over the live latent
map and click a spot (the server decodes it), upload a digit photo. "Time to a result" is from the
action to the page being idle with its result shown; an error is an exception box, a timeout (60 s,
for every wait) or a lost connection. Reported: interactions, errors, p50/p95 time to a result, server
CPU seconds per interaction (counted after one visitor has opened every page and model, so that the
server's one-off work, such as loading models and exporting decoders, is reported apart: before #30 it
was spread over the interactions, 0.1-0.3 s each), server RSS before, peak and after; last line JSON.
The browser runs on the same cores as the server, as in the issue that asked for this; on 2 cores that is a crowd.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from streamlit_server import CHROMIUM, CHROMIUM_FLAGS, rss_mib, streamlit_server
from ui_latency import MINIMAL_APP

SAMPLE = ROOT / "assets" / "samples" / "digit_photo.png"
LIVE_FRAME = 'iframe[title*="latent_control"]'
TIMEOUT_MS = 60_000
BUSY = '[data-testid="stStatusWidget"]'
FIND = "[...document.querySelectorAll('[data-testid=\"stImage\"]')].find(e => e.innerText.includes('decoded'))"
DECODED = f"() => {{ const el = {FIND}; return el ? el.querySelector('img').src : null; }}"
CHANGED = f"b => {{ const el = {FIND}; const s = el ? el.querySelector('img').src : null; return !!s && s !== b; }}"


async def idle(page) -> None:
    await page.wait_for_selector('[data-testid="stMain"] h1', timeout=TIMEOUT_MS)
    quiet, deadline = 0, time.time() + TIMEOUT_MS / 1000
    while quiet < 3:
        if time.time() > deadline:
            raise TimeoutError("the page did not finish running")
        quiet = quiet + 1 if await page.locator(BUSY).count() == 0 else 0
        await asyncio.sleep(0.2)
    if await page.locator('[data-testid="stException"]').count():
        raise RuntimeError("exception box on the page")


async def open_page(page, url: str, rng: random.Random) -> None:
    path = rng.choice(
        [
            "",
            "Latent_map?model=mnist_conv_vae",
            "Generate?model=olivetti_conv_vae",
            "Interpolate?model=frey_vae2d",
            "Reconstruct?model=mnist_conv_ae",
            "Denoise?model=mnist_denoising_conv_ae",
            "Anomalies?model=mnist_conv_ae",
        ]
    )
    await page.goto(f"{url}/{path}", timeout=TIMEOUT_MS)
    await idle(page)


async def move_slider(page, url: str, rng: random.Random) -> None:
    """The minimal app's slider, moved with the keyboard: each key press is a server round trip."""
    if not page.url.startswith(url):
        await page.goto(url, timeout=TIMEOUT_MS)
        await idle(page)
    before = await page.evaluate(DECODED)
    await page.get_by_role("slider").first.focus()
    key = rng.choice(["ArrowRight", "ArrowLeft"])  # one direction, so the image always changes
    for _ in range(rng.randint(3, 12)):
        await page.keyboard.press(key)
    await page.wait_for_function(CHANGED, arg=before, timeout=TIMEOUT_MS)


async def drag_live_slider(page, url: str, rng: random.Random) -> None:
    """Drag one of Generate's live sliders (decoded in the browser) and let go: the release sends the
    code to the server, which reruns the page's fragment and writes the code into the URL."""
    if "Generate" not in page.url:
        await page.goto(f"{url}/Generate?model={rng.choice(['mnist_conv_vae', 'olivetti_conv_vae'])}")
        await idle(page)
    frame = page.frame_locator(LIVE_FRAME)
    slider = frame.locator('fieldset input[type="range"]').nth(rng.randint(0, 5))
    box = await slider.bounding_box()
    before = page.url
    y = box["y"] + box["height"] / 2
    await page.mouse.move(box["x"] + box["width"] * rng.uniform(0.1, 0.4), y)
    await page.mouse.down()
    await page.mouse.move(box["x"] + box["width"] * rng.uniform(0.6, 0.9), y, steps=10)
    await page.mouse.up()
    await page.wait_for_function("u => location.href !== u", arg=before)
    await idle(page)


async def pick_model(page, url: str, rng: random.Random) -> None:
    if "Generate" not in page.url:
        await page.goto(f"{url}/Generate", timeout=TIMEOUT_MS)
        await idle(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').first
    await box.click()
    await page.get_by_role("option").nth(rng.randint(0, 12)).click()
    await idle(page)


async def hover_and_click_map(page, url: str, rng: random.Random) -> None:
    """Hover over the live map (decoded in the browser), then click a spot: the server decodes it."""
    await page.goto(f"{url}/Latent_map?model=mnist_conv_vae", timeout=TIMEOUT_MS)
    await idle(page)
    live_map = page.frame_locator(LIVE_FRAME).locator('[data-testid="live-map"]')
    box = await live_map.bounding_box()
    x, y = box["x"] + box["width"] * rng.uniform(0.3, 0.6), box["y"] + box["height"] * rng.uniform(0.3, 0.6)
    await page.mouse.move(x - 60, y - 50)
    await page.mouse.move(x, y, steps=10)
    await page.mouse.click(x, y)
    await page.wait_for_selector("text=decoded at (")
    await idle(page)


async def upload(page, url: str, rng: random.Random) -> None:
    await page.goto(f"{url}/Reconstruct?model=mnist_conv_ae", timeout=TIMEOUT_MS)
    await idle(page)
    await page.locator('input[type="file"]').first.set_input_files(str(SAMPLE))
    await page.wait_for_selector("text=reconstruction · MSE", timeout=TIMEOUT_MS)
    await idle(page)


APP_ACTIONS = [open_page, drag_live_slider, pick_model, hover_and_click_map, upload]


async def session(browser, url: str, deadline: float, minimal: bool, seed: int, log: list) -> None:
    rng = random.Random(seed)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)  # every wait, not only those that name a timeout
    page = await context.new_page()
    while time.time() < deadline:
        action = (move_slider if rng.random() < 0.5 else "open") if minimal else rng.choice(APP_ACTIONS)
        started = time.perf_counter()
        try:
            if action == "open":
                await page.goto(url, timeout=TIMEOUT_MS)
                await idle(page)
            elif minimal:
                await move_slider(page, url, rng)
            else:
                await action(page, url, rng)
            log.append({"ok": True, "seconds": time.perf_counter() - started})
        except Exception as exc:  # a timeout, an exception box or a lost page: counted, and go on
            log.append({"ok": False, "error": f"{getattr(action, '__name__', action)}: {str(exc)[:120]}"})
            await asyncio.sleep(1)
    await context.close()


async def warm(url: str, minimal: bool) -> float:
    """One visitor opens every page and every model before the crowd comes: the server's one-off work
    (imports, loading models, exporting decoders, references) is then not counted per interaction.
    Returns its seconds."""
    from playwright.async_api import async_playwright

    from aelib.io.zoo import list_checkpoints

    started = time.perf_counter()
    models = [e.id for e in list_checkpoints()[0] if e.kind == "image"]
    paths = [""] if minimal else ["Latent_map", "Interpolate", "Reconstruct", "Denoise", "Anomalies"]
    paths += [] if minimal else [f"Generate?model={m}" for m in models] + [f"Latent_map?model={m}" for m in models]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        for path in paths:
            await page.goto(f"{url}/{path}", timeout=TIMEOUT_MS * 3)
            await idle(page)
        if not minimal:
            await upload(page, url, random.Random(0))
        await browser.close()
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 10 ms


async def crowd(url: str, sessions: int, seconds: float, minimal: bool) -> list:
    from playwright.async_api import async_playwright

    log: list = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        deadline = time.time() + seconds
        await asyncio.gather(*[session(browser, url, deadline, minimal, seed, log) for seed in range(sessions)])
        await browser.close()
    return log


def measure(label: str, sessions: int, seconds: float, script: Path | None) -> dict:
    with streamlit_server(ROOT / "benchmarks" / f"_streamlit_load_{label}.log", script=script) as server:
        cpu_start = cpu_seconds(server["pid"])
        warm_up_s = asyncio.run(warm(server["url"], minimal=script is not None))
        before, cpu_before, peak = rss_mib(server["pid"]), cpu_seconds(server["pid"]), [0.0]
        done = threading.Event()

        def watch():
            while not done.wait(0.5):
                peak[0] = max(peak[0], rss_mib(server["pid"]))

        threading.Thread(target=watch, daemon=True).start()
        log = asyncio.run(crowd(server["url"], sessions, seconds, minimal=script is not None))
        done.set()
        after, cpu = rss_mib(server["pid"]), cpu_seconds(server["pid"]) - cpu_before
    times = sorted(entry["seconds"] for entry in log if entry["ok"])
    errors = [entry["error"] for entry in log if not entry["ok"]]

    def quantile(q):
        return round(times[min(len(times) - 1, int(q * len(times)))], 2) if times else None

    return {
        "app": label,
        "sessions": sessions,
        "seconds": seconds,
        "interactions": len(log),
        "errors": len(errors),
        "error_examples": errors[:5],
        "p50_s": quantile(0.5),
        "p95_s": quantile(0.95),
        "server_cpu_s_per_interaction": round(cpu / max(len(log), 1), 3),
        "warm_up": {"seconds": round(warm_up_s, 1), "server_cpu_s": round(cpu_before - cpu_start, 1)},
        "rss_mib": {"before": round(before), "peak": round(max(peak[0], after)), "after": round(after)},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        minimal = Path(folder) / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        floor = measure("minimal", args.sessions, args.seconds, minimal)
    app = measure("app", args.sessions, args.seconds, None)
    for run in (app, floor):
        print(
            f"{run['app']:8s} {run['sessions']} sessions, {run['seconds']:.0f} s: {run['interactions']} interactions, "
            f"{run['errors']} errors, time to a result p50 {run['p50_s']} s, p95 {run['p95_s']} s, server CPU "
            f"{run['server_cpu_s_per_interaction']} s per interaction, RSS {run['rss_mib']} MiB "
            f"(after a warm-up visit of every page and model: {run['warm_up']['seconds']} s, "
            f"{run['warm_up']['server_cpu_s']} server CPU s, not counted)"
        )
    ratio = round(app["p95_s"] / floor["p95_s"], 2) if app["p95_s"] and floor["p95_s"] else None
    print(json.dumps({"benchmark": "load", "app": app, "minimal_app": floor, "p95_vs_minimal_app": ratio}))


if __name__ == "__main__":
    main()
