"""The Train page as a user meets it: upload a zip of real photos, train, watch, then explore."""

from __future__ import annotations

import io
import time
import zipfile

import numpy as np
import pytest
from PIL import Image
from streamlit_server import PAGE_PATHS, SHOTS, open_tab, require_chromium, wait_until_idle

require_chromium()


def photo_zip() -> bytes:
    """Crops of scikit-image's bundled real photos, two class folders, in the sizes, modes and
    formats people have (JPEG, PNG with alpha, palette, grey), plus the junk a zip picks up."""
    from skimage import data

    rng = np.random.default_rng(0)
    sources = {
        "textures": [data.grass(), data.gravel(), data.brick()],
        "things": [data.coffee(), data.chelsea(), data.rocket()],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label, photos in sources.items():
            for i in range(60):
                photo = photos[i % len(photos)]
                side = int(rng.integers(60, 160))
                top, left = (int(rng.integers(0, s - side)) for s in photo.shape[:2])
                image = Image.fromarray(photo[top : top + side, left : left + side])
                mode, fmt = [("RGB", "JPEG"), ("RGBA", "PNG"), ("P", "PNG"), ("L", "JPEG")][i % 4]
                encoded = io.BytesIO()
                image.convert(mode).save(encoded, fmt)
                archive.writestr(f"my photos/{label}/{i:02d}.{fmt.lower()}", encoded.getvalue())
        archive.writestr("my photos/notes.txt", "taken on my phone")
        archive.writestr("__MACOSX/my photos/._00.jpeg", b"\x00\x05")
    return buffer.getvalue()


def test_train_on_a_zip_of_photos_then_explore_the_model(page, server, tmp_path):
    page.goto(f"{server['url']}/{PAGE_PATHS['train']}")
    wait_until_idle(page)
    archive = tmp_path / "my photos.zip"
    archive.write_bytes(photo_zip())
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(archive))
    page.wait_for_selector("text=training and", timeout=30000)
    wait_until_idle(page)
    body = page.inner_text("body")
    assert "2 classes" in body and "notes.txt" in body, body[:2000]
    page.get_by_label("Train at").click()  # bigger images: slow enough to watch on any machine
    page.get_by_role("option", name="64 x 64 grey").click()
    page.wait_for_selector("text=resized to 64x64 grey", timeout=30000)
    wait_until_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    progress, chart_points = set(), set()
    while "is ready" not in (body := page.inner_text("body")):
        progress.update(line for line in body.splitlines() if line.startswith("Training: epoch"))
        chart_points.add(page.locator('[data-testid="stPlotlyChart"] .scatterlayer .point').count())
        if len(progress) == 2:
            page.screenshot(path=str(SHOTS / "train_mid_training.png"), full_page=True)
        assert "Training failed" not in body and len(progress) < 200, body[-2000:]
        time.sleep(0.25)
    assert len(progress) >= 2, progress  # the progress bar moved while the user watched
    assert len(chart_points) >= 2, chart_points  # ... and so did the loss chart
    wait_until_idle(page)
    assert "yours_my_photos" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "train_done.png"), full_page=True)

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Generate").click()
    page.wait_for_url("**/Generate**")
    wait_until_idle(page)
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').first
    assert picker.input_value() == "yours_my_photos"
    open_tab(page, "Latent sliders")  # the server's decoded image (the live tab decodes in the browser)
    assert page.locator('[data-testid="stImage"]', has_text="decoded").count() >= 1
    page.screenshot(path=str(SHOTS / "train_generate_own_model.png"), full_page=True)

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Latent map").click()
    page.wait_for_url("**/Latent_map**")
    wait_until_idle(page)
    assert picker.input_value() == "yours_my_photos"
    # the hover map decodes with the model's own ONNX decoder, exported when first shown
    page.wait_for_function(
        "() => document.querySelector('iframe[title*=latent_control]')?.contentWindow?.latentControl?.stats.drawn > 0",
        timeout=30000,
    )
    assert page.locator('[data-testid="stException"]').count() == 0


def hostile_upload(kind: str) -> tuple[str, bytes]:
    """The files a crowd uploads: (name, bytes)."""
    from test_user_images import make_zip, png_header, shades, zeros_member

    good = shades(10, "ok/")
    if kind == "bomb":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            zeros_member(archive, "bomb.png", 210)  # 210 MiB of zeros in about 200 KiB
        return "bomb.zip", buffer.getvalue()
    members = {
        "escape": {**good, "../../etc/evil.png": good["ok/img01.png"]},
        "nested": {**good, "inner.zip": make_zip(shades(3))},
        "huge": {**good, "ok/huge.png": png_header(10_000, 10_000)},
        "text": {f"notes/{i}.txt": b"hello" for i in range(12)},
    }
    if kind == "not_a_zip":
        return "not_a_zip.zip", b"PK\x03\x04 this is not really a zip"
    return f"{kind}.zip", make_zip(members[kind])


@pytest.mark.parametrize(
    "kind,refused,message",
    [
        ("bomb", True, "over the 200 mb limit"),
        ("not_a_zip", True, "not a valid .zip file"),
        ("text", True, "found 0 readable images"),
        ("escape", False, "skipped 1 entry whose path leaves the archive: evil.png"),
        ("nested", False, "skipped 1 nested archive (not opened): inner.zip"),
        ("huge", False, "skipped 1 image over 16,777,216 pixels: huge.png"),
    ],
)
def test_train_page_handles_hostile_uploads_and_stays_alive(page, server, tmp_path, kind, refused, message):
    name, content = hostile_upload(kind)
    page.goto(f"{server['url']}/{PAGE_PATHS['train']}")
    wait_until_idle(page)
    (tmp_path / name).write_bytes(content)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(tmp_path / name))
    page.wait_for_selector('[data-testid="stAlert"]' if refused else "text=training and", timeout=60000)
    wait_until_idle(page)
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    shown = alerts if refused else page.locator('[data-testid="stMain"]').inner_text()
    assert message in shown.lower(), shown[:2000]
    assert name in shown or not refused, shown
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_test_id("stRadioGroup").get_by_text("Built-in").click()  # the page still answers
    page.wait_for_selector("text=Built-in set", timeout=30000)


def test_leaving_mid_training_and_coming_back_keeps_the_choices_and_the_cancel_button(page, server):
    page.goto(f"{server['url']}/{PAGE_PATHS['train']}")
    wait_until_idle(page)
    page.get_by_test_id("stRadioGroup").get_by_text("Built-in").click()
    page.wait_for_selector("text=Built-in set", timeout=30000)
    wait_until_idle(page)
    epochs = page.locator('[data-testid="stSlider"]', has_text="Epochs").get_by_role("slider")
    epochs.focus()
    page.keyboard.press("End")  # 50 epochs: long enough to walk away from
    wait_until_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=Training: epoch", timeout=60000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("link", name="Generate").click()
    page.wait_for_url("**/Generate**")
    wait_until_idle(page)
    sidebar.get_by_role("link", name="Train your own").click()
    page.wait_for_url("**/Train**")
    page.wait_for_selector("text=Built-in set", timeout=30000)  # the choice survived the visit
    assert epochs.get_attribute("aria-valuetext") == "50"
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_selector("text=/yours_digits.* is ready/", timeout=90000)
    assert "the model of epoch" in page.locator('[data-testid="stMain"]').inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
