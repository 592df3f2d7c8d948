"""End-to-end: the real app in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

A fixture starts `streamlit run app.py` on a free localhost port against the shipped checkpoints
and stops it by its process id. Screenshots of every page go to tests/_artifacts/screenshots/.
"""

from __future__ import annotations

import os
import urllib.parse

import pytest
from streamlit_server import PAGE_PATHS, ROOT, SHOTS, open_tab, require_chromium, wait_until_idle
from test_browser_live import FRAME, open_live

SAMPLE_DIGIT = ROOT / "assets" / "samples" / "digit_photo.png"

require_chromium()


def visit(page, server, name: str, model: str | None = None):
    query = f"?model={model}" if model else ""
    page.goto(f"{server['url']}/{PAGE_PATHS[name]}{query}")
    wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]


@pytest.mark.parametrize(
    "name,model",
    [
        ("home", None),
        ("latent_map", "mnist_conv_vae"),
        ("generate", "mnist_vae2d"),
        ("interpolate", "mnist_conv_vae"),
        ("reconstruct", "mnist_conv_vae"),
        ("denoise", "mnist_denoising_conv_ae"),
        ("anomaly", "mnist_conv_ae"),
        ("time_series", "ecg5000_conv1d_ae"),
        ("tabular", None),
    ],
)
def test_every_page_renders_without_exception(page, server, name, model):
    visit(page, server, name, model)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def decoded_src(page) -> str:
    return page.locator('[data-testid="stImage"]', has_text="decoded").first.locator("img").get_attribute("src")


def test_moving_a_slider_changes_the_generated_image(page, server):
    visit(page, server, "generate", "mnist_vae2d")
    open_tab(page, "Latent sliders")  # the server-side sliders
    before = decoded_src(page)
    slider = page.locator('[data-testid="stSlider"]', has_text="z[").first.get_by_role("slider")
    slider.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "before => { const el = [...document.querySelectorAll('[data-testid=\"stImage\"]')]"
        ".find(e => e.innerText.includes('decoded')); return el && el.querySelector('img').src !== before; }",
        arg=before,
        timeout=15000,
    )
    assert decoded_src(page) != before


def test_uploading_a_digit_shows_its_reconstruction(page, server):
    visit(page, server, "reconstruct", "mnist_conv_vae")
    page.locator('input[type="file"]').first.set_input_files(str(SAMPLE_DIGIT))
    page.wait_for_selector("text=reconstruction · MSE", timeout=30000)
    wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "reconstruct_upload.png"), full_page=True)


def test_selecting_a_point_on_the_latent_map_shows_its_image(page, server):
    visit(page, server, "latent_map", os.environ.get("E2E_MAP_MODEL", "mnist_conv_vae"))
    page.locator('[data-testid="stButtonGroup"] button', has_text="Click").click()  # click mode, not hover
    page.wait_for_selector(".js-plotly-plot", timeout=20000)
    wait_until_idle(page)
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.[0]?.x?.length > 0")
    x, y = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, trace = gd._fullData[0];
        const r = gd.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(trace.x[0]), r.top + ya._offset + ya.l2p(trace.y[0])];
    }""")
    page.mouse.click(x, y)
    page.wait_for_selector("text=with their reconstructions", timeout=20000)
    wait_until_idle(page)
    # one image, originals above reconstructions, so that every tile has the same size
    pairs = page.locator('[data-testid="stImage"]', has_text="bottom: their reconstructions")
    assert pairs.count() == 1
    box = pairs.locator("img").bounding_box()
    assert box["height"] > 100 and box["width"] > 50, box
    page.screenshot(path=str(SHOTS / "latent_map_selected.png"), full_page=True)


def test_training_a_tabular_autoencoder_in_the_browser(page, server):
    visit(page, server, "tabular")
    page.get_by_role("button", name="Train autoencoder").click()
    page.wait_for_selector("text=Autoencoder AUC", timeout=60000)
    wait_until_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(SHOTS / "tabular_trained.png"), full_page=True)


def test_no_request_leaves_the_app_host_while_every_page_is_visited(page, server):
    """The app works offline: icons, fonts and scripts all come from its own server."""
    host = server["url"].split("//")[1]
    foreign = []
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url)
            if not request.url.split("//", 1)[-1].startswith(host) and not request.url.startswith("data:")
            else None
        ),
    )
    for name, model in [
        ("home", None),
        ("latent_map", "mnist_conv_vae"),
        ("generate", "olivetti_conv_vae"),
        ("interpolate", "frey_vae2d"),
        ("reconstruct", "mnist_conv_ae"),
        ("denoise", "mnist_denoising_conv_ae"),
        ("anomaly", "mnist_conv_ae"),
        ("time_series", "ecg5000_conv1d_ae"),
        ("tabular", None),
    ]:
        visit(page, server, name, model)
    page.get_by_role("tab", name="Draw").count()  # (the Reconstruct canvas is mounted on demand)
    assert not foreign, foreign[:10]


@pytest.mark.parametrize(
    "evil",
    [
        "[Log in again](http://attacker.example/phish)",
        "![t](http://attacker.example/t.png)",
        "http://attacker.example/bare",
    ],
)
def test_a_link_in_the_url_is_shown_as_text(page, server, evil):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{server['url']}/Generate?model={urllib.parse.quote(evil)}")
    wait_until_idle(page)
    alert = page.locator('[data-testid="stAlert"]', has_text="Unknown model")
    assert alert.count() == 1
    assert alert.locator("a, img").count() == 0, alert.inner_html()
    assert not [url for url in requests if url.split("//", 1)[1].startswith("attacker")]


def test_home_downloads_the_active_model_as_a_web_demo(page, server, tmp_path):
    """#24: the button on Home gives a .zip of the static site for the active model."""
    import zipfile

    visit(page, server, "home", "olivetti_conv_vae")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download as a web demo (.zip)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "olivetti_conv_vae_web_demo.zip"
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"demo/index.html", "demo/models/olivetti_conv_vae/decoder.onnx"} <= names, sorted(names)[:20]
        assert b"<html" in archive.read("demo/index.html").lower()


def test_a_photo_of_a_cup_on_denoise_is_not_called_a_digit(page, server, tmp_path):
    """#22: a photograph uploaded to a digit model on Denoise gets a warning, never "typical" (the
    verdict line also weighs what the digit pipeline set aside)."""
    from PIL import Image
    from skimage import data

    photo = tmp_path / "coffee.png"
    Image.fromarray(data.coffee()).save(photo)
    visit(page, server, "denoise", "mnist_denoising_conv_ae")
    page.get_by_test_id("stRadio").get_by_text("Upload").click()
    wait_until_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
    page.wait_for_selector("text=PSNR", timeout=60000)
    wait_until_idle(page)
    warnings = page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
    assert any(w.lower().startswith(("unusual", "unlike")) for w in warnings), warnings
    assert "typical for this model" not in page.inner_text('[data-testid="stMain"]').lower()


# Streamlit's own probe when a page's address is opened directly (streamlit/streamlit#7074, open):
# the frontend first tries the page's path as the server's base path, then the root.
STREAMLIT_BASE_PATH_PROBES = ("_stcore/health", "_stcore/host-config")


def not_found_while(page, action) -> list[str]:
    """The URLs that answered 404 while `action()` ran."""
    seen = []

    def record(response):
        if response.status == 404:
            seen.append(response.url)

    page.on("response", record)
    action()
    page.wait_for_timeout(1000)
    page.remove_listener("response", record)
    return seen


def open_generate_live(page, server):
    open_live(page, server, "generate", "mnist_conv_vae")  # until the browser has decoded an image


def test_generate_requests_nothing_the_server_does_not_serve(page, server):
    """Every resource the page and its live component reference is served: the only 404s of a direct
    open are Streamlit's two base-path probes under the page's own path, and following the sidebar's
    link from Home gives none at all."""
    direct = not_found_while(page, lambda: open_generate_live(page, server))
    probes = [f"{server['url']}/{PAGE_PATHS['generate']}/{path}" for path in STREAMLIT_BASE_PATH_PROBES]
    assert sorted(direct) == sorted(probes), direct
    page.goto(server["url"])
    wait_until_idle(page)

    def follow_link():
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Generate").click()
        page.frame_locator(FRAME).locator('[data-testid="live-image"]').wait_for(timeout=30000)

    assert not_found_while(page, follow_link) == []


@pytest.mark.xfail(strict=True, reason="Streamlit's base-path probe, streamlit/streamlit#7074: passes once it is fixed")
def test_generate_opened_directly_has_no_404_at_all(page, server):
    assert not_found_while(page, lambda: open_generate_live(page, server)) == []
