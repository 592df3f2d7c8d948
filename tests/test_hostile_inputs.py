"""Hostile input, round 2 (#29): CSVs that stalled the server, labels from URLs and text boxes,
the asset-pruning race, values that used to come out silently wrong, and the CLI's arguments."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from app_fixtures import ROOT, open_page

from aelib import build_model, save_checkpoint
from aelib.datasets.tables import csv_columns, read_csv_table
from aelib.errors import DataError
from aelib.explore.latent import code_to_text, index_from_text
from aelib.scoring.tabular import TableModel

# Quote-heavy text on which csv.Sniffer's regular expressions are quadratic (37 s, 82 s, 280 s before).
STALLING_CSVS = {
    "quote_space_32k": b'" ' * 16_384,
    "quote_space_64k": b'" ' * 32_768,
    "quote_newline_60k": b'"\n' * 30_720,
}


@pytest.mark.parametrize("name", sorted(STALLING_CSVS))
def test_sniffer_stalling_csvs_are_read_in_under_a_second(name):
    data = STALLING_CSVS[name]
    read_csv_table(b"a,b\n" + b"1,2\n" * 10, "warm.csv")  # pandas imported: time the reading alone
    started = time.perf_counter()
    with pytest.raises(DataError):  # no numbers in them: refused with a message
        read_csv_table(data, f"{name}.csv")
    csv_columns(data)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("header", "row", "names"),
    [("a;b;c\n", "1;2;3\n", ["a", "b", "c"]), ("", "1\t2\n", ["0", "1"]), ("x|y\n", "1|2.5\n", ["x", "y"])],
)
def test_the_linear_sniffer_still_finds_delimiters_and_headers(header, row, names):
    table = read_csv_table((header + row * 12).encode(), "t.csv")
    assert table.feature_names == names and len(table.features) == 12
    assert table.features[0].tolist() == [float(v) for v in row.strip().replace("\t", ";").replace("|", ";").split(";")]


def test_values_beyond_float32_are_dropped_and_reported_like_inf():
    rng = np.random.default_rng(0)
    rows = [",".join(f"{v:.4f}" for v in rng.normal(size=3)) for _ in range(50)]
    rows += ["1e300,1,1", "-1e300,2,2"]
    table = read_csv_table(("a,b,c\n" + "\n".join(rows)).encode(), "big.csv")
    assert len(table.features) == 50 and np.isfinite(table.features).all()
    assert any("dropped 2 row(s)" in note and "beyond" in note for note in table.notes)


def test_a_beat_of_1e300_is_not_scored_as_normal():
    beats = "\n".join([",".join(["0.1"] * 140), ",".join(["1e300"] * 140)])
    table = read_csv_table(beats.encode(), "beats.csv", min_rows=1)
    assert len(table.features) == 1 and any("dropped 1 row(s)" in note for note in table.notes)


def test_a_scaler_that_meets_enormous_values_says_so():
    features = np.ones((40, 3), np.float32)
    features[::2, 1] = 3e38  # finite in float32, but its spread overflows
    features[1::2, 1] = -3e38
    with pytest.raises(DataError, match="too large to scale"):
        TableModel.fit(features, epochs=1)


def test_table_scores_are_finite_for_large_but_sane_values():
    rng = np.random.default_rng(0)
    features = (rng.normal(size=(60, 4)) * 1e20).astype(np.float32)
    table = TableModel.fit(features, epochs=1)
    assert np.isfinite(table.row_errors(features)).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", 3), (" 7 ", 7), ("²", None), ("9" * 5000, None), ("-1", None), ("10", None), ("", None), ("٣", None)],
)
def test_class_index_from_text(text, expected):
    assert index_from_text(text, 10) == expected


@pytest.mark.parametrize("label", ["²", "9" * 5000])
def test_generate_survives_hostile_labels_in_the_link(app, label):
    at = open_page(app, "generate", model="digits_cvae")
    at.query_params.update(z=code_to_text(np.zeros(3)), label=label)  # an edited or crafted link
    at.run()
    assert not at.exception, at.exception
    assert any("class was not used" in w.value for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize("text", ["²", "9" * 5000, "1, ², 3"])
def test_train_page_class_field_survives_hostile_text(app, text):
    at = open_page(app, "train")
    next(r for r in at.radio if r.label == "Images").set_value("Built-in").run()
    at.text_input(key="train_classes").set_value(text).run()
    assert not at.exception, at.exception
    assert any("Ignored" in w.value for w in at.warning)


def test_asset_pruning_survives_files_vanishing_under_it(tmp_path, monkeypatch):
    import latent_control

    monkeypatch.setattr(latent_control, "ASSETS", tmp_path)
    monkeypatch.setattr(latent_control, "MAX_ASSETS", 5)
    failures = []

    def writer(seed: int) -> None:
        for i in range(150):
            try:
                latent_control.write_asset(f"{seed}-{i}".encode(), ".json")
            except Exception as exc:  # any failure is what this test looks for
                failures.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(list(tmp_path.iterdir())) <= 5 + len(threads)  # each writer may have one in flight


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "aelib", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size: must be from 1"),
        (["--epochs", "-1"], "--epochs: must be from 1"),
        (["--hidden", "0"], "--hidden: layer widths must be"),
        (["--lr", "nan"], "--lr: must be a finite number"),
        (["--latent-dim", "1000000000"], "--latent-dim: must be from 1 to 4096"),
    ],
)
def test_cli_refuses_out_of_range_arguments(tmp_path, args, message):
    run = run_cli("train", "--model", "ae", "--dataset", "digits", "--out", str(tmp_path / "m.safetensors"), *args)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not (tmp_path / "m.safetensors").exists()


def test_cli_refuses_a_folder_as_out_before_training(tmp_path):
    started = time.perf_counter()
    run = run_cli("train", "--model", "ae", "--dataset", "digits", "--out", f"{tmp_path}/", "--epochs", "50")
    assert run.returncode == 2 and "is a folder" in run.stderr, run.stderr
    assert time.perf_counter() - started < 60 and not list(tmp_path.iterdir())


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from aelib.datasets import load_dataset
    from aelib.io.build import build_bundle

    torch.manual_seed(0)
    digits = load_dataset("digits")
    model = build_model("ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,))
    bundle = build_bundle(model, digits, n_samples=50, with_tsne=False)
    path = tmp_path_factory.mktemp("cli") / "tiny.safetensors"
    return save_checkpoint(path, model, {"dataset": {"name": "digits", "class_names": digits.class_names}}, bundle)


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/stdin", "."])
def test_cli_reconstruct_refuses_special_files(tiny_checkpoint, special):
    run = run_cli("reconstruct", str(tiny_checkpoint), special)
    assert run.returncode == 2 and "not a regular file" in run.stdout + run.stderr, run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_cli_reconstruct_refuses_an_oversized_file(tiny_checkpoint, tmp_path):
    big = tmp_path / "big.png"
    with big.open("wb") as handle:
        handle.truncate(51 * 2**20)  # sparse: no real disk used
    run = run_cli("reconstruct", str(tiny_checkpoint), str(big))
    assert run.returncode == 2 and "larger than 50 MB" in run.stdout + run.stderr


def open_on_train_page(at, name: str, data: bytes):
    uploader = next(u for u in at.get("file_uploader") if u.label == "Checkpoint")
    uploader.set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def test_a_table_checkpoint_opened_on_the_train_page_is_refused_by_kind(app, tiny_dir):
    at = open_on_train_page(
        open_page(app, "train"), "tiny_table.safetensors", (tiny_dir / "tiny_table.safetensors").read_bytes()
    )
    assert any("table model" in e.value for e in at.error), [e.value for e in at.error]
    assert "yours_tiny_table" not in at.session_state["user_models"]


def test_a_session_keeps_a_bounded_number_of_opened_models(app, tiny_dir):
    at = open_page(app, "train")
    data = (tiny_dir / "digits_ae.safetensors").read_bytes()
    for i in range(6):
        open_on_train_page(at, f"mine{i}.safetensors", data)
    kept = list(at.session_state["user_models"])
    assert len(kept) == 4 and kept[-1] == "yours_mine5", kept
    assert any("closed the oldest" in w.value for w in at.warning)
