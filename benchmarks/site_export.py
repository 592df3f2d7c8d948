"""The static site (issue #24): what `python -m aelib export-site` writes, and how soon it shows
its first image, beside the Streamlit page's.

- the folder's size per model (decoder, map data, sprite, model.json) and in all (the runtime and
  the page are shared by every model), and the .zip the app would offer for one model;
- the time from opening the site (served by `python -m http.server` under a sub-path) to the first
  image decoded in the browser, cold (a new browser profile: nothing cached) and warm (the same
  page opened again), median of `--repeats` openings per model;
- the same for the Streamlit app's Generate page (benchmarks/ui_latency.py's measure, on a warm
  server), unless --no-streamlit.

    python benchmarks/site_export.py [--repeats 3] [--no-streamlit]
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from streamlit_server import chromium, static_server

from aelib.io.site import export_site, export_site_zip, open_models
from aelib.io.zoo import checkpoint_dir

MODELS = {"mnist_conv_vae": "conv MNIST", "olivetti_conv_vae": "conv 64x64 Olivetti"}
FIRST_IMAGE = "() => window.latentControl && window.latentControl.stats.firstImageMs !== null"


def site_first_image_ms(page, url: str) -> float:
    """From the page's navigation start to the first image decoded and drawn by the site."""
    page.goto(url)
    page.wait_for_function(FIRST_IMAGE, timeout=60000)
    return page.evaluate("() => window.latentControl.stats.firstImageMs")


def site_timings(browser, url: str, repeats: int) -> dict:
    cold, warm = [], []
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        cold.append(site_first_image_ms(page, url))
        warm.append(site_first_image_ms(page, url))
        context.close()
    return {"cold_ms": round(statistics.median(cold)), "warm_ms": round(statistics.median(warm))}


def streamlit_timings(browser, repeats: int) -> dict:
    """The Generate page's first image: on screen (the server's preview, until the browser decodes)
    and decoded in the browser (ui_latency.first_image_ms)."""
    from streamlit_server import PAGE_PATHS, streamlit_server, wait_until_idle
    from ui_latency import first_image_ms

    results = {}
    with streamlit_server(ROOT / "benchmarks" / "_streamlit_site_export.log") as server:
        warm_up = browser.new_page()
        for model in MODELS:  # model loading and decoder export: a warm server, as visitors meet it
            warm_up.goto(f"{server['url']}/{PAGE_PATHS['generate']}?model={model}")
            wait_until_idle(warm_up)
        warm_up.close()
        for model in MODELS:
            cold, warm = [], []
            for _ in range(repeats):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                cold.append(first_image_ms(page, server["url"], model))
                warm.append(first_image_ms(page, server["url"], model))
                context.close()
            results[model] = {
                f"{key}_{when}_ms": round(statistics.median(t[key] for t in times))
                for key in ("on_screen", "decoded_in_browser")
                for when, times in (("cold", cold), ("warm", warm))
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-streamlit", action="store_true", help="skip the Streamlit page's timings")
    args = parser.parse_args()
    result = {"benchmark": "site_export", "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "course" / "demo"
        models = open_models([checkpoint_dir() / f"{name}.safetensors" for name in MODELS])
        started = time.perf_counter()
        written = export_site(models, out)
        result["export_s"] = round(time.perf_counter() - started, 2)
        result["bytes"] = written
        result["files"] = {
            name: {p.name: p.stat().st_size for p in sorted((out / "models" / name).iterdir())} for name in MODELS
        }
        result["zip_one_model_bytes"] = len(export_site_zip(models[:1]))
        with static_server(Path(tmp), "course/demo/site.json") as origin, chromium() as browser:
            result["site"] = {
                name: site_timings(browser, f"{origin}/course/demo/?model={name}", args.repeats) for name in MODELS
            }
            if not args.no_streamlit:
                result["streamlit"] = streamlit_timings(browser, args.repeats)
    report(result)
    print(json.dumps(result))


def report(result: dict) -> None:
    mb = lambda n: f"{n / 1e6:.2f} MB"  # noqa: E731
    sizes = result["bytes"]
    print(f"export of {len(MODELS)} models: {result['export_s']} s")
    for name, label in MODELS.items():
        parts = ", ".join(f"{file} {mb(size)}" for file, size in result["files"][name].items())
        print(f"folder {label:20s} {mb(sizes['models'][name])} ({parts})")
    print(f"folder shared (page, modules, ONNX Runtime Web) {mb(sizes['shared'])}")
    one = next(iter(MODELS))
    print(f"folder in all {mb(sizes['total'])}; the .zip of one model ({one}) {mb(result['zip_one_model_bytes'])}")
    print(f"first image decoded in the browser, from opening the page (median of {result['repeats']} openings):")
    for name, label in MODELS.items():
        site = result["site"][name]
        line = f"  {label:20s} static site {site['cold_ms']} / {site['warm_ms']} ms (cold / warm cache)"
        if "streamlit" in result:
            app = result["streamlit"][name]
            line += (
                f"; Streamlit Generate page (warm server) {app['decoded_in_browser_cold_ms']} / "
                f"{app['decoded_in_browser_warm_ms']} ms, its server's preview on screen after "
                f"{app['on_screen_cold_ms']} / {app['on_screen_warm_ms']} ms"
            )
        print(line)


if __name__ == "__main__":
    main()
