"""Training in the browser (the Train page) against the library's own fit on the same data.

    python benchmarks/train_in_app.py [--epochs 10]

Two browser sessions each take the built-in set "MNIST test images shipped with mnist_conv_vae"
(2,000 28x28 images), pick conv_vae and press Train at the same moment. Reported: seconds from
the click to the first progress update, training time and images per second as the page shows
them, the same training through aelib.fit in this process (the CLI's loop), their ratio, and the
server's RSS before, at its peak during and after the two trainings. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from streamlit_server import PAGE_PATHS, chromium, rss_mib, streamlit_server, wait_until_idle

SOURCE = "mnist test images shipped with mnist_conv_vae"
DONE = re.compile(r"(Done|Cancelled): epoch (\d+)/(\d+), (\d+) s")


def library_fit(epochs: int) -> float:
    """Images per second of aelib.fit on the data and settings the page uses."""
    import torch

    from aelib import TrainConfig, build_model, fit, load_bundle, read_header
    from aelib.datasets.base import from_images

    path = ROOT / "checkpoints" / "mnist_conv_vae.safetensors"
    bundle, header = load_bundle(path), read_header(path)
    data = from_images("mnist", bundle.images, bundle.labels, header["dataset"]["class_names"])
    torch.manual_seed(0)
    model = build_model("conv_vae", image_shape=data.image_shape, latent_dim=8)
    state = fit(model, data, TrainConfig(epochs=epochs, batch_size=64))
    n_fit = len(data.x_train) - max(1, int(len(data.x_train) * 0.05))
    return n_fit // 64 * 64 * epochs / sum(r["seconds"] for r in state.history), len(data.x_train)


def set_epochs(page, epochs: int) -> None:
    """With the keyboard, as a user would, checking the value the slider shows."""
    slider = page.locator('[data-testid="stSlider"]', has_text="Epochs").get_by_role("slider")
    for _ in range(60):
        value = int(slider.get_attribute("aria-valuetext"))
        if value == epochs:
            return
        slider.focus()
        page.keyboard.press("ArrowLeft" if epochs < value else "ArrowRight")
        wait_until_idle(page)
    raise AssertionError(f"the Epochs slider stays at {value}")


def prepare(browser, url: str, epochs: int):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{url}/{PAGE_PATHS['train']}")
    wait_until_idle(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Built-in").click()
    wait_until_idle(page)
    page.get_by_label("Built-in set").click()
    page.get_by_role("option", name=SOURCE).click()
    wait_until_idle(page)
    set_epochs(page, epochs)
    return page


def watch(pages: list, server_pid: int) -> tuple[list[dict], float]:
    """Click Train in every session at once, then poll them all (Playwright's sync API is not
    thread-safe): first progress update, start of training, and the time the page reports.
    Returns per-session results and the server's peak RSS meanwhile."""
    results, peak = [{} for _ in pages], 0.0
    clicked = time.perf_counter()
    for page in pages:
        page.get_by_role("button", name="Train", exact=True).click()
    while any("wall_s" not in r for r in results):
        peak = max(peak, rss_mib(server_pid))
        for page, result in zip(pages, results, strict=True):
            body, now = page.inner_text("body"), round(time.perf_counter() - clicked, 2)
            if "first_progress_s" not in result and re.search(r"Queued, number|Training: ", body):
                result["first_progress_s"] = now
            if "training_from_s" not in result and "Training: epoch" in body:
                result["training_from_s"] = now
            if "wall_s" not in result and "is ready" in body:
                match = DONE.search(body)
                result.update(wall_s=now, epochs=int(match.group(2)), train_s=int(match.group(4)))
        if time.perf_counter() - clicked > 900:
            raise TimeoutError(f"trainings did not finish: {results}")
        time.sleep(1.0)  # (polling a page costs the browser CPU that the server's training would use)
    return results, round(peak, 1)


def browser_in_the_background() -> None:
    """A user's browser runs on the user's machine; here it shares the server's two cores, so it
    gets the lowest CPU priority (else redrawing the page competes with the training it shows)."""
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and b"chromium" in (entry / "cmdline").read_bytes():
                os.setpriority(os.PRIO_PROCESS, int(entry.name), 19)


def in_app(epochs: int, n_sessions: int) -> dict:
    with streamlit_server(ROOT / "benchmarks" / "_streamlit_train.log") as server, chromium() as browser:
        pages = [prepare(browser, server["url"], epochs) for _ in range(n_sessions)]
        browser_in_the_background()
        before = round(rss_mib(server["pid"]), 1)
        results, peak = watch(pages, server["pid"])
        time.sleep(2.0)
        rss = {"before_mib": before, "peak_mib": peak, "after_mib": round(rss_mib(server["pid"]), 1)}
    return {"sessions": results, "rss": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--sessions", type=int, default=2, help="browser sessions pressing Train at once")
    args = parser.parse_args()
    app = in_app(args.epochs, args.sessions)  # first, while this process has not loaded torch's kernels
    library_rate, n_train = library_fit(args.epochs)
    n_fit = n_train - max(1, int(n_train * 0.05))
    for session in app["sessions"]:
        session["images_per_s"] = round(n_fit // 64 * 64 * session["epochs"] / max(session["train_s"], 1), 1)
    ratio = min(s["images_per_s"] for s in app["sessions"]) / library_rate
    print(
        f"{n_train} training images (28x28), conv_vae, {args.epochs} epochs, "
        f"{args.sessions} session(s) pressing Train at once"
    )
    for i, s in enumerate(app["sessions"], 1):
        print(
            f"  session {i}: first progress {s['first_progress_s']} s, training from {s['training_from_s']} s, "
            f"trained in {s['train_s']} s ({s['images_per_s']} images/s), ready after {s['wall_s']} s"
        )
    print(f"  aelib.fit in one process: {library_rate:.1f} images/s; the page reaches {ratio:.0%} of it")
    print(
        f"  server RSS: before {app['rss']['before_mib']} MiB, peak {app['rss']['peak_mib']} MiB, "
        f"after {app['rss']['after_mib']} MiB"
    )
    print(json.dumps({**app, "library_images_per_s": round(library_rate, 1), "ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
