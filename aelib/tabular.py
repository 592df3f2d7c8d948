"""Series and tables: ECG5000 and ODDS loaders, a defensive CSV reader, and tabular helpers.

Both kinds use the library's (N, C, H, W) layout with C = H = 1: a beat of 140 samples is
(N, 1, 1, 140), a table row of D features is (N, 1, 1, D). Values are real (z-scored), so
models for them use likelihood="gaussian" and output="identity".
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import torch

from .data import ImageData, split
from .errors import DataError
from .registry import register_dataset

ECG_CLASSES = ["abnormal, class unknown", "normal", "R-on-T PVC", "PVC", "SP or EB", "unclassified beat"]
ODDS_SETS = ("cardio", "satellite", "shuttle", "arrhythmia")


def as_rows(values: np.ndarray) -> torch.Tensor:
    """(N, D) -> (N, 1, 1, D) float32 tensor."""
    return torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))[:, None, None, :]


@register_dataset("ecg5000")
def load_ecg5000(root=None, download=False) -> ImageData:
    """ECG5000 heartbeats (UCR): 140 samples each; class 1 normal, 2-5 abnormal (0: abnormal, class unknown)."""
    folder = (root or __import__("pathlib").Path("data")) / "ECG5000"
    test_file = next((folder / n for n in ("ECG5000_TEST.txt", "ECG5000_TEST_reconstructed.txt")
                      if (folder / n).exists()), None)
    if not (folder / "ECG5000_TRAIN.txt").exists() or test_file is None:
        raise DataError(f"ecg5000: {folder}/ECG5000_TRAIN.txt and ECG5000_TEST.txt not found "
                        "(UCR archive text format)")
    parts = {}
    for split_name, path in (("train", folder / "ECG5000_TRAIN.txt"), ("test", test_file)):
        table = np.loadtxt(path)
        parts[f"x_{split_name}"] = as_rows(table[:, 1:])
        parts[f"y_{split_name}"] = torch.from_numpy(table[:, 0].astype(np.int64))
    return ImageData("ecg5000", class_names=ECG_CLASSES, info={"kind": "series"}, **parts)


def standardise(x_train: torch.Tensor, *others: torch.Tensor):
    """z-score every feature with the training split's mean and std (constant features: std 1)."""
    mean, std = x_train.mean(0, keepdim=True), x_train.std(0, keepdim=True)
    std = torch.where(std > 1e-8, std, torch.ones_like(std))
    return [(t - mean) / std for t in (x_train, *others)]


def _odds_loader(subset: str):
    def load(root=None, download=False, n_test_fraction: float = 0.4) -> ImageData:
        from scipy.io import loadmat
        path = (root or __import__("pathlib").Path("data")) / "odds" / f"{subset}.mat"
        if not path.exists():
            raise DataError(f"odds_{subset}: {path} not found (ODDS .mat files with X and y)")
        mat = loadmat(path)
        x, y = as_rows(mat["X"].astype(np.float64)), torch.from_numpy(mat["y"].ravel().astype(np.int64))
        x_train, x_test, y_train, y_test = split(x, y, int(len(x) * n_test_fraction))
        x_train, x_test = standardise(x_train, x_test)
        return ImageData(f"odds_{subset}", x_train, x_test, y_train, y_test, ["inlier", "outlier"],
                         info={"kind": "table"})
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


def read_csv_table(data: bytes, name: str = "upload.csv", label_column: str | None = None,
                   max_rows: int = 100_000, min_rows: int = 10) -> Table:
    """Parse CSV bytes defensively: sniff the delimiter, keep numeric columns, drop rows with
    missing values, cap the row count. Every refusal is a DataError naming the file."""
    import pandas as pd
    if not data.strip():
        raise DataError(f"{name}: the file is empty")
    sample = data[:65536].decode("utf-8", errors="replace")
    delimiter, header = _sniff(sample)
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=delimiter, nrows=max_rows + 1, header=0 if header else None)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{name}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    return _table_from_frame(frame, name, label_column, max_rows, min_rows)


def _sniff(sample: str) -> tuple[str, bool]:
    """(delimiter, whether the first row is a header) of a CSV sample."""
    sniffer = csv.Sniffer()
    try:
        delimiter = sniffer.sniff(sample, delimiters=",;\t| ").delimiter
    except csv.Error:
        delimiter = ","
    first_row = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    if first_row and all(_is_number(cell) for cell in first_row):
        return delimiter, False  # numbers are data, never names (the sniffer guesses wrong on one row)
    try:
        header = sniffer.has_header(sample)
    except csv.Error:
        header = True
    return delimiter, header


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
        raise DataError(f"{name}: no numeric columns (is the delimiter right? found columns "
                        f"{', '.join(map(str, frame.columns))[:200]})")
    values = numeric.to_numpy(np.float64)
    missing, infinite = np.isnan(values).any(1), np.isinf(values).any(1)
    complete = ~(missing | infinite)
    if missing.any():
        notes.append(f"{name}: dropped {int(missing.sum())} row(s) with missing or non-numeric values")
    if infinite.any():
        notes.append(f"{name}: dropped {int((infinite & ~missing).sum())} row(s) with infinite values")
    if complete.sum() < min_rows:
        raise DataError(f"{name}: {int(complete.sum())} complete row(s); at least {min_rows} are needed")
    table = Table(numeric[complete].to_numpy(np.float32), [str(c) for c in numeric.columns], notes=notes)
    if labels is not None:
        table.labels = _binary_labels(labels[complete], name, notes)
    return table


def _binary_labels(labels, name: str, notes: list[str]) -> np.ndarray:
    values = sorted(labels.dropna().unique().tolist(), key=str)
    if len(values) != 2:
        raise DataError(f"{name}: the label column has {len(values)} distinct value(s); anomaly labels "
                        "need exactly two (normal and anomaly)")
    if set(map(str, values)) <= {"0", "1", "0.0", "1.0", "False", "True"}:
        return labels.astype(str).isin(["1", "1.0", "True"]).to_numpy()
    counts = labels.value_counts()
    anomaly = counts.idxmin()
    notes.append(f"{name}: label {anomaly!r} (the rarer value) is taken as the anomaly")
    return (labels == anomaly).to_numpy()


def isolation_forest_scores(x_train: np.ndarray, x_score: np.ndarray, random_state: int = 0) -> np.ndarray:
    """scikit-learn's IsolationForest as the baseline: higher = more anomalous."""
    from sklearn.ensemble import IsolationForest
    forest = IsolationForest(n_estimators=200, random_state=random_state).fit(x_train)
    return -forest.score_samples(x_score)


def csv_columns(data: bytes) -> list[str]:
    """Column names of a CSV (for choosing the label column before parsing it all)."""
    import pandas as pd
    sample = data[:65536].decode("utf-8", errors="replace")
    delimiter, header = _sniff(sample)
    try:
        frame = pd.read_csv(io.StringIO(sample), sep=delimiter, nrows=5, header=0 if header else None)
        return [str(c) for c in frame.columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return []


def train_table_ae(features: np.ndarray, train_mask: np.ndarray | None = None, latent_dim: int = 4,
                   hidden: int = 32, epochs: int = 30, seed: int = 0, callback=None, max_rows: int = 20000):
    """Fit a small dense AE on z-scored rows (only those in train_mask, e.g. the normal ones).
    Returns (model, mean, std) so new rows can be scaled the same way. features: (N, D)."""
    from .models.dense import DenseAE, DenseConfig
    from .train import TrainConfig, fit
    rows = features if train_mask is None else features[train_mask]
    rows = rows[:max_rows]
    # Scale by the training rows' spread, floored at a tenth of the whole table's: a feature that is
    # (nearly) constant among normal rows would otherwise turn any deviation into an astronomic z-score.
    overall = features.std(0)
    overall = np.where(overall > 1e-8, overall, 1.0)
    mean, std = rows.mean(0), np.maximum(rows.std(0), 0.1 * overall).astype(np.float32)
    x = as_rows((rows - mean) / std)
    torch.manual_seed(seed)
    config = DenseConfig(image_shape=(1, 1, features.shape[1]), latent_dim=min(latent_dim, features.shape[1]),
                         hidden=(hidden,), likelihood="gaussian", output="identity", sigma=1.0)
    model = DenseAE(config)
    data = ImageData("table", x, x[:1], info={"kind": "table"})
    fit(model, data, TrainConfig(epochs=epochs, batch_size=64, seed=seed, val_fraction=0.05), callback=callback)
    return model, mean.astype(np.float32), std


@torch.no_grad()
def row_errors(model, features: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Squared reconstruction error per row and feature, in z-scored units: (N, D)."""
    x = as_rows((features - mean) / std)
    recon = model.decode(model.encode(x))
    return ((recon - x) ** 2)[:, 0, 0].numpy()
