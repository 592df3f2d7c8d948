"""AppTest for the time-series and tabular-anomaly pages, bad CSVs included."""

from __future__ import annotations

import numpy as np
import pytest
from app_fixtures import open_page

from aelib import load_bundle, read_header
from aelib.scoring.anomaly import anomaly_setups, roc, threshold_metrics


def beats_csv(n_rows: int, length: int = 32) -> bytes:
    t = np.linspace(0, 2 * np.pi, length)
    rows = [np.sin(t) for _ in range(n_rows - 1)] + [np.random.default_rng(0).normal(0, 2, length)]
    return "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows).encode()


def test_time_series_page_scores_beats_and_uploads(app, tiny_dir):
    at = open_page(app, "time_series", "tiny_ecg")
    path = tiny_dir / "tiny_ecg.safetensors"
    scores, is_abnormal = next(iter(anomaly_setups(load_bundle(path), read_header(path)).values()))
    threshold = next(s for s in at.slider if s.label.startswith("Threshold")).value
    expected = threshold_metrics(scores, is_abnormal, threshold)
    shown = {m.label: m.value for m in at.metric}
    assert shown["recall"] == f"{expected['recall']:.3f}" and shown["precision"] == f"{expected['precision']:.3f}"
    assert shown["AUC"] == f"{roc(scores, is_abnormal)[2]:.3f}"
    at.file_uploader[0].set_value(("beats.csv", beats_csv(12), "text/csv")).run()
    assert not at.exception
    result = at.dataframe[0].value
    assert len(result) == 12 and result["score"].iloc[-1] > result["score"].iloc[0]  # the noise row scores worst
    assert result["verdict"].iloc[-1] == "abnormal"


def test_time_series_page_refuses_wrong_length_and_garbage(app):
    at = open_page(app, "time_series", "tiny_ecg")
    at.file_uploader[0].set_value(("short.csv", beats_csv(5, length=10), "text/csv")).run()
    assert any("short.csv: rows have 10 values" in e.value for e in at.error)
    at.file_uploader[0].set_value(("words.csv", b"name,city\nann,paris\n", "text/csv")).run()
    assert not at.exception and any("words.csv" in e.value for e in at.error)


def test_tabular_page_trains_in_the_browser_and_compares_with_isolation_forest(app):
    at = open_page(app, "tabular")
    at.slider[1].set_value(8)
    at.button[0].click().run()
    assert not at.exception
    ranking = at.dataframe[0].value
    assert len(ranking) == 100 and ranking["reconstruction error"].is_monotonic_decreasing
    assert {m.label for m in at.metric} >= {"Autoencoder AUC", "IsolationForest AUC"}


def test_tabular_page_finds_rows_that_break_the_columns_pattern(app):
    """Normal rows lie near a line in 6-D (every column a multiple of one hidden value); the planted
    anomalies keep each column's range but break the pattern, which an AE with a small code sees."""
    rng = np.random.default_rng(0)
    hidden = rng.uniform(-1, 1, (300, 1))
    rows = hidden * np.array([1, 2, -1, 0.5, 3, -2]) + rng.normal(0, 0.02, (300, 6))
    anomalous = rng.choice(300, 15, replace=False)
    rows[anomalous] = rng.permuted(rows[anomalous], axis=1)  # each row's values, shuffled between columns
    label = np.isin(np.arange(300), anomalous).astype(int)
    lines = [",".join(f"{v:.4f}" for v in r) + f",{y}" for r, y in zip(rows, label, strict=True)]
    text = "a,b,c,d,e,f,label\n" + "\n".join(lines)
    at = open_page(app, "tabular")
    at.radio[0].set_value("Upload CSV").run()
    at.file_uploader[0].set_value(("pattern.csv", text.encode(), "text/csv")).run()
    assert at.selectbox[0].value == "label"  # preselected by its name: not trained on as a feature
    at.slider[0].set_value(2)  # latent size
    at.button[0].click().run()
    assert not at.exception
    shown = {m.label: float(m.value) for m in at.metric}
    assert shown["Autoencoder AUC"] > 0.9, shown
    top = at.dataframe[0].value["row"].head(15)
    assert np.isin(top, anomalous).mean() > 0.6  # most of the worst-rebuilt rows are the planted ones


def test_tabular_page_reports_a_bad_csv(app):
    at = open_page(app, "tabular")
    at.radio[0].set_value("Upload CSV").run()
    at.file_uploader[0].set_value(("one.csv", b"a,b\n1,2\n", "text/csv")).run()
    assert not at.exception
    assert any("one.csv" in e.value and "row" in e.value for e in at.error)
    rows = "\n".join(f"{i},{i * 2},{i % 3}" for i in range(30))
    at.file_uploader[0].set_value(("multi.csv", ("a,b,label\n" + rows).encode(), "text/csv")).run()
    at.selectbox[0].set_value("label").run()
    assert any("3 distinct value" in e.value for e in at.error)


@pytest.mark.parametrize("n_columns", [1, 2])
def test_tabular_page_handles_one_or_two_numeric_columns(app, n_columns):
    at = open_page(app, "tabular")
    at.radio[0].set_value("Upload CSV").run()
    rows = "\n".join(",".join(str(i * (c + 1) % 7) for c in range(n_columns)) for i in range(40))
    header = ",".join(f"c{c}" for c in range(n_columns))
    at.file_uploader[0].set_value(("narrow.csv", f"{header}\n{rows}".encode(), "text/csv")).run()
    assert not at.exception
    if n_columns == 1:
        assert any("at least 2 numeric columns" in e.value for e in at.error)
    else:
        at.button[0].click().run()
        assert not at.exception and any("Latent size 1" in c.value for c in at.caption)


def test_tabular_page_with_infinite_values_trains_and_reports_the_drop(app):
    at = open_page(app, "tabular")
    at.radio[0].set_value("Upload CSV").run()
    rows = "\n".join(f"{i},{i % 5},{i % 2}" for i in range(40))
    at.file_uploader[0].set_value(("inf.csv", f"a,b,label\n{rows}\n1,inf,0\n".encode(), "text/csv")).run()
    at.selectbox[0].set_value("label").run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert any("infinite values" in c.value for c in at.caption)


@pytest.mark.parametrize("name", ["[Log in](http://attacker/phish).csv", "![t](http://attacker/t.png).csv"])
def test_file_and_column_names_are_shown_as_text_not_markdown(app, name):
    at = open_page(app, "tabular")
    at.radio[0].set_value("Upload CSV").run()
    rows = "\n".join(f"{i},{i % 5},x" for i in range(40))
    at.file_uploader[0].set_value((name, f"a,b,[c](http://x)\n{rows}".encode(), "text/csv")).run()
    shown = " ".join(c.value for c in at.caption)
    assert "](http" not in shown and "\\]\\(http" in shown  # escaped: rendered as literal text
