"""The Compare page in headless Chromium on the shipped checkpoints: six kinds side by side, an
upload in every column, adding and removing a model, face data, and the README's screenshots."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image
from streamlit_server import PAGE_PATHS, ROOT, SHOTS, require_chromium, wait_until_idle

from aelib import read_header
from aelib.explore import compare

require_chromium()

DOCS = ROOT / "docs" / "screenshots"
MAIN = '[data-testid="stMain"]'
COLUMN = '[data-testid="stMain"] [data-testid="stColumn"]'
FIRST_VISIT_S = 240  # the first visit measures every model on noisy images (cached afterwards)


def open_compare(page, server, model: str, n_models: int) -> None:
    """Open the page for `model`'s data and wait until `n_models` columns show reconstructions."""
    page.goto(f"{server['url']}/{PAGE_PATHS['compare']}?model={model}")
    wait_for(lambda: captions(page, "rebuilt · MSE") == n_models, FIRST_VISIT_S, f"{n_models} columns")
    wait_until_idle(page, timeout=FIRST_VISIT_S)
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, errors.all_inner_texts()


def kinds(page) -> list[str]:
    """The kinds above the model columns, every row of images and maps."""
    return page.locator(f"{COLUMN} strong").all_inner_texts()


def captions(page, text: str) -> int:
    return page.locator('[data-testid="stImageCaption"]', has_text=text).count()


def wait_for(condition, timeout: float = 60, what: str = "") -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def digit_png(path) -> str:
    """A scikit-learn digit made to look like a photo of ink on paper: dark strokes, light ground."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    eight = digits.images[np.flatnonzero(digits.target == 3)[0]] / 16.0
    big = np.kron(eight, np.ones((24, 24)))
    canvas = np.full((260, 260), 0.92)
    canvas[34:226, 34:226] = 0.92 - 0.8 * big
    Image.fromarray((canvas * 255).astype(np.uint8)).save(path)
    return str(path)


def test_compare_six_kinds_an_upload_and_the_stored_numbers(page, server, tmp_path):
    n = len(compare.DEFAULT_IDS)
    open_compare(page, server, "mnist_conv_vae", n)
    main = page.locator(MAIN)
    shown = kinds(page)
    for kind in ("vanilla AE", "sparse AE", "denoising AE", "convolutional AE", "VAE", "convolutional VAE"):
        assert shown.count(kind) == 5, (kind, shown)  # a header per row of images or maps
    for caption in ("rebuilt · MSE", "error map", "from N(0, I)", "midpoint of the codes", "PCA map"):
        assert captions(page, caption) == n, caption
    assert captions(page, "from a Gaussian fitted") == 4  # the four plain AEs
    # the table's card numbers are the checkpoints' stored evaluations
    table = main.locator("table").first.inner_text()
    for model_id in compare.DEFAULT_IDS:
        metrics = read_header(ROOT / "checkpoints" / f"{model_id}.safetensors")["metrics"]
        row = next(line for line in table.splitlines() if line.startswith(model_id))
        for key in ("mse_per_pixel", "psnr_db", "iw_nll", "probe_accuracy"):
            assert compare.format_cell(key, metrics.get(key)) in row, (model_id, key, row)

    # the ECG pair: the same beat through both, with each model's stored AUC
    heading = page.get_by_role("heading", name="Heartbeats: sequence autoencoders side by side")
    heading.evaluate("e => e.scrollIntoView({block: 'start'})")  # (charts are drawn once in view)
    for kind in ("1-D convolutional AE", "LSTM AE"):  # the same beat, rebuilt by each
        title = page.locator('[data-testid="stPlotlyChart"] .gtitle', has_text=f"{kind} · error")
        wait_for(lambda title=title: title.count() == 1, 30, f"the {kind}'s beat")
    aucs = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    for model_id in ("ecg5000_conv1d_ae", "ecg5000_lstm_ae"):
        auc = read_header(ROOT / "checkpoints" / f"{model_id}.safetensors")["metrics"]["anomaly_auc"]
        assert f"{auc:.3f}" in aucs, (model_id, aucs)

    three = digit_png(tmp_path / "three.png")
    upload(page, three, n)
    DOCS.mkdir(parents=True, exist_ok=True)
    screenshot(page, "Rebuilding the same images", DOCS / "compare_1400.png")
    screenshot(page, "Decoding random codes", DOCS / "compare_1400_samples.png")

    narrow = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    phone = narrow.new_page()
    try:
        open_compare(phone, server, "mnist_conv_vae", n)
        upload(phone, three, n)
        screenshot(phone, "Rebuilding the same images", DOCS / "compare_390.png")
    finally:
        narrow.close()


def upload(page, path: str, n_models: int) -> None:
    """Upload an image and wait until every model's column shows it rebuilt, without an error."""
    page.locator('input[type="file"]').first.set_input_files(path)
    wait_for(lambda: captions(page, "your upload: rebuilt") == n_models, 90, "the upload in every column")
    wait_until_idle(page)
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


def screenshot(page, heading: str, path) -> None:
    """The viewport with `heading` at its top (Streamlit scrolls inside the page: full_page=True
    would show no more than the viewport)."""
    page.get_by_role("heading", name=heading).evaluate("e => e.scrollIntoView({block: 'start'})")
    wait_until_idle(page)
    page.screenshot(path=str(path))


def test_compare_adds_and_removes_a_model(page, server):
    n = len(compare.DEFAULT_IDS)
    open_compare(page, server, "mnist_conv_vae", n)
    page.get_by_label("Remove mnist_vae2d · VAE").click()
    wait_for(lambda: captions(page, "rebuilt · MSE") == n - 1, 90, "a column fewer")
    wait_for(lambda: kinds(page).count("convolutional VAE") == 5, 90, "the remaining columns' five sections")
    assert "VAE" not in kinds(page)
    page.locator('[data-testid="stMultiSelect"] input').click()
    page.get_by_role("option", name="mnist_cvae · conditional VAE").click()
    page.keyboard.press("Escape")
    wait_for(lambda: captions(page, "rebuilt · MSE") == n, 120, "the added model's column")
    # every section of the new column (its rows appear one after another on a busy machine)
    wait_for(lambda: kinds(page).count("conditional VAE") == 5, FIRST_VISIT_S, "the new column's five sections")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_compare_on_face_data(page, server):
    open_compare(page, server, "olivetti_conv_vae", 1)  # the only Olivetti model: said so, no error
    assert page.locator('[data-testid="stAlert"]', has_text="Only one model").count() == 1
    open_compare(page, server, "frey_vae", 2)  # two Frey Face VAEs side by side
    assert captions(page, "from N(0, I)") == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compare_frey.png"), full_page=True)
