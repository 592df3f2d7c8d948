"""Uploads to train on: zips and loose images as messy as a user's, and hostile ones. Every file is
built in memory here; nothing is written to disk or downloaded."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from aelib.datasets.user_images import ImageSetLimits, _Budget, _read_member, read_image_set
from aelib.errors import DataError


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def shades(n: int, folder: str = "", size=(24, 18)) -> dict[str, bytes]:
    """n small grey PNGs, image i of shade 10 * i: {folder + "img03.png": bytes}."""
    return {f"{folder}img{i:02d}.png": encode(Image.new("L", size, 10 * i)) for i in range(n)}


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zeros_member(archive: zipfile.ZipFile, name: str, n_mib: int) -> None:
    """A member of n_mib MiB of zeros, written in chunks so the test never holds it whole."""
    with archive.open(name, "w") as member:
        for _ in range(n_mib):
            member.write(bytes(2**20))


def patch_central_directory(data: bytes, name: str, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of `name`'s central directory record (flags at 8, uncompressed size at 24)."""
    start = 0
    while (start := data.find(b"PK\x01\x02", start + 1)) >= 0:
        if data[start + 46 : start + 46 + len(name)] == name.encode():
            field = start + offset
            return data[:field] + struct.pack(fmt, value) + data[field + struct.calcsize(fmt) :]
    raise AssertionError(name)


def in_upload_order(data):
    """Undo split's seeded shuffle (seed 0): (x (N, C, H, W), y (N,) or None) in the order read."""
    x_shuffled = torch.cat([data.x_test, data.x_train])
    order = torch.randperm(len(x_shuffled), generator=torch.Generator().manual_seed(0))
    x = torch.empty_like(x_shuffled)
    x[order] = x_shuffled
    if data.y_train is None:
        return x, None
    y = torch.empty(len(x), dtype=torch.int64)
    y[order] = torch.cat([data.y_test, data.y_train])
    return x, y


def test_class_folders_become_labels_and_junk_is_skipped_by_name():
    members = {
        **shades(6, "shoes/"),
        **shades(5, "bags/", size=(30, 30)),
        "bags/broken.png": b"\x89PNG\r\n\x1a\n not really",
        "notes.txt": b"hello",
        "shoes/data.csv": b"1,2",
        "inner.zip": make_zip(shades(3)),
        "old/backup.tar.gz": b"\x1f\x8b",
        "__MACOSX/shoes/._img00.png": b"junk",
        "shoes/.DS_Store": b"junk",
        ".hidden/img.png": b"junk",
    }
    data, notes = read_image_set([("my photos.zip", make_zip(members))], image_shape=(1, 16, 16))
    x, y = in_upload_order(data)
    assert x.shape == (11, 1, 16, 16) and x.dtype == torch.float32
    assert data.class_names == ["bags", "shoes"]
    assert y.tolist() == [0] * 5 + [1] * 6  # members are read sorted by path
    assert torch.allclose(x[5:, 0, 0, 0], torch.arange(6) * 10 / 255, atol=1e-6)
    assert len(data.x_test) == 1 and len(data.x_train) == 10
    assert "2 classes from folder names: bags (5), shoes (6)" in notes
    assert "skipped 2 non-image files: notes.txt, data.csv" in notes
    assert "skipped 2 nested archives (not opened): inner.zip, backup.tar.gz" in notes
    assert "skipped 1 damaged or unreadable image: broken.png" in notes
    assert "11 images of 2 different sizes resized to 16x16 grey (colour modes: L)" in notes
    assert not any("MACOSX" in n or "DS_Store" in n or "hidden" in n for n in notes)


@pytest.mark.parametrize(
    "layout, classes, note",
    [
        (
            {"photos/shoes/": 6, "photos/bags/": 5},
            ["bags", "shoes"],
            "2 classes from folder names: bags (5), shoes (6)",
        ),
        (
            {"shoes/red/": 4, "shoes/blue/": 3, "bags/": 4},
            ["bags", "shoes"],
            "2 classes from folder names: bags (4), shoes (7)",
        ),  # deeper folders join their class
        (
            {"photos/shoes/": 11},
            None,
            "no class sub-folders (two or more are needed for labels), so the set is unlabelled",
        ),
        ({"": 11}, None, "no class sub-folders (two or more are needed for labels), so the set is unlabelled"),
        ({"": 3, "shoes/": 4, "bags/": 4}, None, "3 images outside any class folder, so the set is unlabelled"),
    ],
)
def test_labels_are_the_first_folder_under_a_common_root(layout, classes, note):
    members = {name: data for folder, n in layout.items() for name, data in shades(n, folder).items()}
    data, notes = read_image_set([("set.zip", make_zip(members))], image_shape=(1, 8, 8))
    assert data.class_names == classes and (data.y_train is None) == (classes is None)
    assert note in notes


def test_zip_bomb_is_refused_from_its_declared_size_without_unpacking(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in shades(10).items():
            archive.writestr(name, data)
        zeros_member(archive, "zeros.png", 210)  # 210 MiB of zeros -> about 1 MB
    assert len(buffer.getvalue()) < 2_000_000

    def never(*args, **kwargs):
        raise AssertionError("a member was unpacked")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    with pytest.raises(DataError, match=r"bomb\.zip: the zip files unpack to 210 MB, over the 200 MB limit"):
        read_image_set([("bomb.zip", buffer.getvalue())])


def test_declared_sizes_of_all_zips_in_one_upload_share_the_limit():
    limits = ImageSetLimits(max_total_bytes=2**20)
    first, second = make_zip(shades(10)), make_zip({"big.bmp": encode(Image.new("RGB", (1000, 1000)), "BMP")})
    with pytest.raises(DataError, match=r"^second\.zip: the zip files unpack to 3 MB, over the 1 MB limit"):
        read_image_set([("first.zip", first), ("second.zip", second)], limits=limits)


def test_member_with_an_absurd_compression_ratio_is_skipped_as_a_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in shades(10).items():
            archive.writestr(name, data)
        zeros_member(archive, "flat.bmp", 4)  # 4 MiB -> ~4 KB: ratio ~1000
    data, notes = read_image_set([("photos.zip", buffer.getvalue())])
    assert len(data.x_train) + len(data.x_test) == 10
    assert "skipped 1 file compressed over 200x (a zip bomb?): flat.bmp" in notes


def test_member_whose_header_understates_its_size_is_cut_off_and_skipped():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in shades(10).items():
            archive.writestr(name, data)
        zeros_member(archive, "liar.png", 3)
    lying = patch_central_directory(buffer.getvalue(), "liar.png", 24, "<I", 100)  # says 100 bytes
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("liar.png").file_size == 100
    data, notes = read_image_set([("photos.zip", lying)])
    assert len(data.x_train) + len(data.x_test) == 10
    assert "skipped 1 damaged or unreadable image: liar.png" in notes


def test_bytes_actually_read_are_counted_against_the_limit():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        zeros_member(archive, "a.png", 3)
    archive = zipfile.ZipFile(buffer)
    budget = _Budget(limit=2 * 2**20)  # as if the declared size had passed
    with pytest.raises(DataError, match=r"^a\.png: unpacks to more than its zip declares, past the 2 MB limit"):
        _read_member(archive, archive.getinfo("a.png"), budget)
    assert budget.read <= 3 * 2**20  # stopped at the first chunk past it


def test_paths_that_leave_the_archive_are_refused_by_base_name():
    hostile = {
        "../evil.png": b"",
        "/etc/abs.png": b"",
        "C:\\win\\drive.png": b"",
        "..\\back.png": b"",
        "photos/../../up.png": b"",
    }
    png = encode(Image.new("L", (8, 8), 255))
    members = {**shades(10, "ok/"), **{name: png for name in hostile}, "win\\style.png": png}
    data, notes = read_image_set([("photos.zip", make_zip(members))], image_shape=(1, 8, 8))
    assert len(data.x_train) + len(data.x_test) == 11  # win\style.png is a normal path
    assert "skipped 5 entries whose paths leave the archive: evil.png, back.png, abs.png, drive.png, up.png" in notes
    assert not any("/etc" in n or "C:" in n or ".." in n for n in notes)


def test_zip_of_only_text_files_is_refused_saying_what_was_found():
    members = {"a.txt": b"a", "b/readme.md": b"b", "c.csv": b"1,2"}
    with pytest.raises(DataError) as error:
        read_image_set([("docs.zip", make_zip(members))])
    assert str(error.value) == (
        "docs.zip: found 0 readable images, need at least 10; skipped 3 non-image files: a.txt, readme.md, c.csv"
    )


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries one row of data: only its header is real."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    idat = zlib.compress(b"\0" * 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns over 89M pixels
def test_huge_images_are_refused_from_their_header_without_decoding():
    files = [(name, data) for name, data in shades(10).items()] + [("huge.png", png_header(10_000, 10_000))]
    data, notes = read_image_set(files)
    assert len(data.x_train) + len(data.x_test) == 10
    assert "skipped 1 image over 16,777,216 pixels: huge.png (10000x10000)" in notes
    # with the limit raised, Pillow's own decompression-bomb check still refuses a giant
    files[-1] = ("giant.png", png_header(20_000, 20_000))
    _, notes = read_image_set(files, limits=ImageSetLimits(max_pixels=10**9))
    assert "skipped 1 image over 1,000,000,000 pixels: giant.png" in notes


def mixed_uploads() -> list[tuple[str, bytes]]:
    """Ten images of ten sizes and eight colour modes, each one flat colour."""
    palette = Image.new("P", (33, 21), 0)
    palette.putpalette([100, 100, 100] + [0, 0, 0] * 255)
    return [
        ("a.png", encode(Image.new("RGBA", (30, 20), (0, 0, 0, 0)))),  # see-through -> white
        ("b.gif", encode(palette, "GIF")),  # palette grey 100
        ("c.png", encode(Image.fromarray(np.full((25, 40), 32768, np.uint16)))),  # 16-bit half grey
        ("d.jpg", encode(Image.new("CMYK", (50, 40), (0, 0, 0, 0)), "JPEG")),  # CMYK white
        ("e.png", encode(Image.new("1", (17, 60), 0))),  # bilevel black
        ("f.bmp", encode(Image.new("L", (64, 64), 60), "BMP")),
        ("g.webp", encode(Image.new("RGB", (40, 41), (0, 0, 255)), "WEBP", lossless=True)),
        ("h.png", encode(Image.new("LA", (12, 13), (80, 255)))),
        ("i.png", encode(Image.new("L", (3, 2), 200))),
        ("j.tif", encode(Image.new("RGB", (10, 50), (10, 200, 10)), "TIFF")),
    ]


@pytest.mark.parametrize("channels", [1, 3])
def test_mixed_sizes_and_colour_modes_come_out_in_the_asked_shape(channels):
    data, notes = read_image_set(mixed_uploads(), image_shape=(channels, 12, 12))
    x, y = in_upload_order(data)
    assert x.shape == (10, channels, 12, 12) and y is None and x.min() >= 0 and x.max() <= 1
    grey = torch.tensor([255, 100, 128, 255, 0, 60, 29, 80, 200, 122]) / 255
    rgb = (
        torch.tensor(
            [
                [255] * 3,
                [100] * 3,
                [128] * 3,
                [255] * 3,
                [0] * 3,
                [60] * 3,
                [0, 0, 255],
                [80] * 3,
                [200] * 3,
                [10, 200, 10],
            ]
        )
        / 255
    )
    expected = grey[:, None] if channels == 1 else rgb
    assert torch.allclose(x.mean(dim=(2, 3)), expected, atol=3 / 255)
    assert any(
        n.startswith(
            f"10 images of 10 different sizes resized to 12x12 {'grey' if channels == 1 else 'RGB'} "
            "(colour modes: 1, CMYK, I"
        )
        for n in notes
    )


def test_loose_files_are_unlabelled_and_a_sideways_phone_photo_is_turned_upright():
    stored = np.full((20, 40), 255, np.uint8)
    stored[:10] = 0  # stored landscape, top half dark
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    photo = encode(Image.fromarray(stored).convert("RGB"), "JPEG", quality=95, exif=exif.tobytes())
    files = [
        ("IMG_0001.JPG", photo),
        *shades(10).items(),
        ("C:\\Users\\me\\report.pdf", b"%PDF-1.4"),
        ("photos.tar.gz", b"\x1f\x8b"),
    ]
    data, notes = read_image_set(files, image_shape=(1, 16, 16))
    x, y = in_upload_order(data)
    assert y is None and data.class_names is None and x.shape == (11, 1, 16, 16)
    upright = x[0, 0]  # upright portrait: the dark half is on the right
    assert upright[:, :7].mean() > 0.9 and upright[:, 9:].mean() < 0.1
    assert "turned 1 image upright from their EXIF orientation" in notes
    assert "skipped 2 uploads that are neither a .zip nor an image: report.pdf, photos.tar.gz" in notes
    assert data.info["uploads"][-2:] == ["report.pdf", "photos.tar.gz"]


def test_only_the_first_max_images_are_kept():
    limits = ImageSetLimits(max_images=12)
    data, notes = read_image_set([("many.zip", make_zip(shades(20)))], image_shape=(1, 8, 8), limits=limits)
    x, _ = in_upload_order(data)
    assert len(x) == 12 and torch.allclose(x[:, 0, 0, 0], torch.arange(12) * 10 / 255, atol=1e-6)
    assert "kept the first 12 images; 8 more were left out (limit 12)" in notes


def test_a_zip_that_is_not_a_zip_is_refused_by_name():
    with pytest.raises(DataError, match=r"^holiday\.zip: not a valid \.zip file"):
        read_image_set([("/tmp/uploads/holiday.zip", b"PK\x03\x04 but then nothing useful")])


def test_encrypted_members_are_skipped():
    zipped = make_zip({**shades(10), "secret.png": encode(Image.new("L", (8, 8)))})
    encrypted = patch_central_directory(zipped, "secret.png", 8, "<H", 0x1)
    data, notes = read_image_set([("photos.zip", encrypted)])
    assert len(data.x_train) + len(data.x_test) == 10
    assert "skipped 1 encrypted file: secret.png" in notes


def test_fewer_than_ten_readable_images_is_refused_with_the_count():
    files = [*shades(9).items(), ("bad.jpg", b"\xff\xd8\xff garbage")]
    with pytest.raises(DataError) as error:
        read_image_set(files)
    assert str(error.value) == (
        "img00.png, img01.png, img02.png, ...: found 9 readable images, need at least 10; "
        "skipped 1 damaged or unreadable image: bad.jpg"
    )
