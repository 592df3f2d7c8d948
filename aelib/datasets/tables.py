"""Tables: the ODDS outlier benchmarks and a user's CSV, read defensively.

A row of D features is one item of shape (1, 1, D), z-scored, so models for tables use
likelihood="gaussian" and output="identity".
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import DataError
from ..registry import register_dataset
from .base import ImageData, as_rows, split, standardise

ODDS_SETS = ("cardio", "satellite", "shuttle", "arrhythmia")


def _odds_loader(subset: str):
    def load(root=None, download=False, n_test_fraction: float = 0.4) -> ImageData:
        from scipy.io import loadmat

        path = (root or Path("data")) / "odds" / f"{subset}.mat"
        if not path.exists():
            raise DataError(f"odds_{subset}: {path} not found (ODDS .mat files with X and y)")
        mat = loadmat(path)
        x, y = as_rows(mat["X"].astype(np.float64)), torch.from_numpy(mat["y"].ravel().astype(np.int64))
        x_train, x_test, y_train, y_test = split(x, y, int(len(x) * n_test_fraction))
        x_train, x_test = standardise(x_train, x_test)
        return ImageData(
            f"odds_{subset}", x_train, x_test, y_train, y_test, ["inlier", "outlier"], info={"kind": "table"}
        )

    load.__doc__ = f"ODDS outlier benchmark '{subset}' (.mat with X, y; y=1 outlier), z-scored features."
    return load


for _subset in ODDS_SETS:
    register_dataset(f"odds_{_subset}")(_odds_loader(_subset))


# --- a user's CSV -------------------------------------------------------------------------


@dataclass
class Table:
    """A parsed CSV: features (N, D) float32, labels (N,) bool (True = anomaly) or None."""

    features: np.ndarray
    feature_names: list[str]
    labels: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


def _csv_problem(exc: Exception) -> str:
    """pandas' parser message in a reader's words: "Error tokenizing data. C error: Expected 3
    fields in line 3, saw 5" -> "line 3 has 5 values where the rows above have 3"."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", first)
    if found:
        expected, line, saw = found.groups()
        return f"line {line} has {saw} values where the rows above have {expected}"
    return first


def read_csv_table(
    data: bytes, name: str = "upload.csv", label_column: str | None = None, max_rows: int = 100_000, min_rows: int = 10
) -> Table:
    """Parse CSV bytes defensively: sniff the delimiter, keep numeric columns, drop rows with
    missing values, cap the row count. Every refusal is a DataError naming the file."""
    import pandas as pd

    if not data.strip():
        raise DataError(f"{name}: the file is empty")
    sample = data[:65536].decode("utf-8", errors="replace")
    delimiter, header = _sniff(sample)
    n_columns = _n_columns(sample, delimiter)
    if n_columns > MAX_COLUMNS:  # pandas renames thousands of duplicate names in quadratic time
        raise DataError(f"{name}: {n_columns:,} columns in the first row; at most {MAX_COLUMNS:,} are read")
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=delimiter, nrows=max_rows + 1, header=0 if header else None)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{name}: not a readable CSV ({_csv_problem(exc)})") from None
    return _table_from_frame(frame, name, label_column, max_rows, min_rows)


FLOAT32_MAX = float(np.finfo(np.float32).max)
DELIMITERS = ",;\t| "
SNIFF_LINES = 50


def _sniff(sample: str) -> tuple[str, bool]:
    """(delimiter, whether the first row is a header) of a CSV sample, in time linear in the sample.

    Why not csv.Sniffer: its regular expressions are quadratic on quote-heavy text (32 KB of `" `
    took 37 s and held the interpreter lock, stalling every session on the server). Here each
    candidate delimiter is counted on the first lines; the one found the same number of times on
    most lines wins (ties: the order of DELIMITERS, comma first)."""
    lines = [line for line in sample.splitlines()[:SNIFF_LINES] if line.strip()]
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        if not counts or max(counts) == 0:
            continue
        typical = max(set(counts), key=counts.count)
        score = counts.count(typical) / len(counts) if typical else 0.0
        if score > best_score:
            best, best_score = delimiter, score
    rows = list(csv.reader(io.StringIO("\n".join(lines[:2])), delimiter=best))
    first = rows[0] if rows else []
    # The first row names the columns when it has text where the next row has numbers; a first row
    # of numbers is data (on a single row: text anywhere makes it a header).
    if len(rows) > 1:
        header = any(not _is_number(a) and _is_number(b) for a, b in zip(first, rows[1], strict=False))
    else:
        header = bool(first) and not all(_is_number(cell) for cell in first)
    return best, header


MAX_COLUMNS = 1000  # ODDS's widest table (arrhythmia) has 274 features


def _n_columns(sample: str, delimiter: str) -> int:
    """Fields in the sample's first line (quotes respected), in linear time."""
    first_line = sample.split("\n", 1)[0]
    return len(next(csv.reader(io.StringIO(first_line), delimiter=delimiter), []))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _numeric_columns(frame, name: str, notes: list[str]):
    """The numeric columns; a mostly numeric column with stray text cells is kept (those cells
    become missing, reported), a mostly text column is ignored (reported)."""
    import pandas as pd

    kept, ignored = {}, []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            kept[column] = series.astype(np.float64)
            continue
        parsed = pd.to_numeric(series, errors="coerce")
        stray = series.notna() & parsed.isna()
        if parsed.notna().sum() > 0 and stray.sum() <= 0.1 * series.notna().sum():
            examples = ", ".join(repr(str(v))[:20] for v in series[stray].unique()[:3])
            notes.append(f"{name}: column {column} has {int(stray.sum())} text cell(s) between numbers ({examples})")
            kept[column] = parsed.astype(np.float64)
        else:
            ignored.append(str(column))
    if ignored:
        notes.append(f"{name}: ignored non-numeric column(s) {', '.join(ignored)}")
    return pd.DataFrame(kept, index=frame.index)


def _table_from_frame(frame, name, label_column, max_rows, min_rows) -> Table:
    notes = []
    if len(frame) > max_rows:
        frame = frame.iloc[:max_rows]
        notes.append(f"{name}: only the first {max_rows:,} rows are used")
    labels = None
    if label_column is not None:
        frame.columns = [str(c) for c in frame.columns]
        if label_column not in frame.columns:
            raise DataError(f"{name}: no column {label_column!r}; columns: {', '.join(map(str, frame.columns))}")
        labels, frame = frame[label_column], frame.drop(columns=[label_column])
    numeric = _numeric_columns(frame, name, notes)
    if numeric.shape[1] == 0:
        raise DataError(
            f"{name}: no numeric columns (is the delimiter right? found columns "
            f"{', '.join(map(str, frame.columns))[:200]})"
        )
    values = numeric.to_numpy(np.float64)
    # Values beyond float32's range (e.g. 1e300) become inf in the model's float32: dropped like inf.
    missing, infinite = np.isnan(values).any(1), (np.abs(np.nan_to_num(values)) > FLOAT32_MAX).any(1)
    complete = ~(missing | infinite)
    if missing.any():
        notes.append(f"{name}: dropped {int(missing.sum())} row(s) with missing or non-numeric values")
    if infinite.any():
        notes.append(
            f"{name}: dropped {int((infinite & ~missing).sum())} row(s) with infinite values or values "
            f"beyond ±{FLOAT32_MAX:.1e}"
        )
    if complete.sum() < min_rows:
        raise DataError(f"{name}: {int(complete.sum())} complete row(s); at least {min_rows} are needed")
    table = Table(numeric[complete].to_numpy(np.float32), [str(c) for c in numeric.columns], notes=notes)
    if labels is not None:
        table.labels = _binary_labels(labels[complete], name, notes)
    return table


def _binary_labels(labels, name: str, notes: list[str]) -> np.ndarray:
    values = sorted(labels.dropna().unique().tolist(), key=str)
    if len(values) != 2:
        raise DataError(
            f"{name}: the label column has {len(values)} distinct value(s); anomaly labels "
            "need exactly two (normal and anomaly)"
        )
    if set(map(str, values)) <= {"0", "1", "0.0", "1.0", "False", "True"}:
        return labels.astype(str).isin(["1", "1.0", "True"]).to_numpy()
    counts = labels.value_counts()
    anomaly = counts.idxmin()
    notes.append(f"{name}: label {anomaly!r} (the rarer value) is taken as the anomaly")
    return (labels == anomaly).to_numpy()


LABEL_NAMES = ("label", "labels", "class", "target", "anomaly", "outlier", "is_anomaly", "y")


def likely_label_column(columns: list[str]) -> str | None:
    """The column a table's author most likely meant as its labels, by name ("label", "class",
    "target", "anomaly", ...; any case); None when no name says so."""
    by_name = {c.strip().lower(): c for c in columns}
    return next((by_name[name] for name in LABEL_NAMES if name in by_name), None)


def csv_columns(data: bytes) -> list[str]:
    """Column names of a CSV (for choosing the label column before parsing it all)."""
    import pandas as pd

    sample = data[:65536].decode("utf-8", errors="replace")
    delimiter, header = _sniff(sample)
    if _n_columns(sample, delimiter) > MAX_COLUMNS:
        return []
    try:
        frame = pd.read_csv(io.StringIO(sample), sep=delimiter, nrows=5, header=0 if header else None)
        return [str(c) for c in frame.columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return []
