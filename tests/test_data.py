"""Every dataset loader on tiny files written here (nothing downloaded, no data folder outside the test)."""

from __future__ import annotations

import gzip
import os
import stat
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.io import savemat

from aelib.datasets import keep_classes, load_dataset
from aelib.datasets.images import read_idx
from aelib.errors import DataError, UnknownNameError


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def make_idx_folder(root, folder="MNIST", n_train=12, n_test=5):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return raw


def make_read_only(root):
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), stat.S_IRUSR)
        os.chmod(dirpath, stat.S_IRUSR | stat.S_IXUSR)


@pytest.mark.parametrize("name,folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_idx_sets_load_from_a_read_only_torchvision_folder(tmp_path, name, folder):
    raw = make_idx_folder(tmp_path, folder)
    expected = read_idx(raw / "t10k-images-idx3-ubyte.gz")
    make_read_only(tmp_path)
    try:
        data = load_dataset(name, tmp_path)
    finally:
        for dirpath, _, _ in os.walk(tmp_path):
            os.chmod(dirpath, stat.S_IRWXU)
    assert data.x_train.shape == (12, 1, 28, 28) and data.x_test.shape == (5, 1, 28, 28)
    assert data.x_train.dtype == torch.float32 and data.x_train.min() >= 0 and data.x_train.max() <= 1
    assert torch.allclose(data.x_test[:, 0] * 255, torch.from_numpy(expected.astype(np.float32)))
    assert data.y_test.tolist() == [0, 1, 2, 3, 4] and data.n_classes == 10


def test_missing_idx_files_give_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no idx files.*--download"):
        load_dataset("mnist", tmp_path)


def test_frey_reads_the_mat_file(tmp_path):
    (tmp_path / "frey").mkdir()
    faces = np.random.default_rng(0).integers(0, 256, (560, 30), dtype=np.uint8)
    savemat(tmp_path / "frey" / "frey_rawface.mat", {"ff": faces})
    data = load_dataset("frey", tmp_path, n_test=5)
    assert data.x_train.shape == (25, 1, 28, 20) and data.x_test.shape == (5, 1, 28, 20)
    assert data.y_train is None
    # each column is one 28x20 image, row-major
    all_images = torch.cat([data.x_train, data.x_test]) * 255
    first = torch.from_numpy(faces[:, 0].reshape(28, 20).astype(np.float32))
    assert any(torch.allclose(img[0], first) for img in all_images)


def test_olivetti_reads_a_local_npy(tmp_path):
    (tmp_path / "olivetti").mkdir()
    np.save(tmp_path / "olivetti" / "olivetti_faces.npy", np.random.rand(20, 64, 64).astype(np.float32))
    np.save(tmp_path / "olivetti" / "olivetti_faces_target.npy", np.repeat(np.arange(2), 10).astype(np.int32))
    data = load_dataset("olivetti", tmp_path, n_test=4)
    assert data.x_train.shape == (16, 1, 64, 64) and set(data.y_train.tolist()) <= {0, 1}


def test_digits_ship_with_scikit_learn(digits):
    assert digits.image_shape == (1, 8, 8)
    assert len(digits.x_train) + len(digits.x_test) == 1797
    assert digits.x_train.max() == 1.0


def _write_images(folder, n, size=(40, 30)):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("RGB", size, (i * 20, 100, 50)).save(folder / f"img{i}.png")


def test_image_folder_uses_subfolders_as_labels_and_skips_broken_files(tmp_path):
    _write_images(tmp_path / "cats", 6)
    _write_images(tmp_path / "dogs", 4)
    (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png")
    data = load_dataset("image_folder", tmp_path, image_size=16, channels=1)
    assert data.x_train.shape[1:] == (1, 16, 16)
    assert len(data.x_train) + len(data.x_test) == 10
    assert data.class_names == ["cats", "dogs"]
    assert data.info["skipped"] == ["dogs/broken.png"]


def test_image_folder_reads_a_zip_in_colour(tmp_path):
    _write_images(tmp_path / "imgs", 5)
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in (tmp_path / "imgs").iterdir():
            zf.write(path, f"imgs/{path.name}")
    data = load_dataset("image_folder", archive, image_size=12, channels=3)
    assert data.x_train.shape[1:] == (3, 12, 12) and data.y_train is None


def test_image_folder_refuses_an_empty_folder(tmp_path):
    with pytest.raises(DataError, match="found 0 readable images"):
        load_dataset("image_folder", tmp_path)


def test_celeba_reads_a_fake_folder_layout(tmp_path):
    images = tmp_path / "celeba" / "img_align_celeba"
    images.mkdir(parents=True)
    lines = []
    for i in range(6):
        name = f"{i:06d}.jpg"
        Image.new("RGB", (178, 218), (i * 40, 80, 120)).save(images / name)
        lines.append(f"{name} {2 if i >= 4 else 0}")
    (tmp_path / "celeba" / "list_eval_partition.txt").write_text("\n".join(lines) + "\n")
    data = load_dataset("celeba", tmp_path, image_size=16)
    assert data.x_train.shape == (4, 3, 16, 16) and data.x_test.shape == (2, 3, 16, 16)


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="valid: celeba, digits"):
        load_dataset("imagenet")


def test_keep_classes_filters_training_only(digits):
    zeros = keep_classes(digits, [0])
    assert set(zeros.y_train.tolist()) == {0}
    assert len(zeros.x_test) == len(digits.x_test)
