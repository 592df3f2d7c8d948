"""Plotly figures for the app (built here so they are tested without Streamlit)."""

from __future__ import annotations

import numpy as np

# pandas before plotly, in every module that builds figures: plotly looks for pandas in sys.modules
# (without importing it) when it builds or serialises a figure, so a figure built in one session
# while another session's thread was still importing pandas saw a half-initialised module and failed
# (`benchmarks/load.py`, 20 sessions). Importing it here waits for any import in progress to finish.
# (Not in app.py: the first page, Home, has no figure and need not wait 0.7 s for pandas.)
import pandas  # noqa: F401
import plotly.graph_objects as go

GRID_TRACE_NAME = "decode here"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def class_colours(n_classes: int) -> list[str]:
    """One distinct colour per class: D3's ten for up to ten classes (digits, clothes), else
    plotly's 26-colour Alphabet then Dark24 (50 distinct colours: Olivetti's 40 persons)."""
    if n_classes <= len(PALETTE):
        return PALETTE[:n_classes]
    import plotly.express as px

    many = px.colors.qualitative.Alphabet + px.colors.qualitative.Dark24
    return [many[k % len(many)] for k in range(n_classes)]


def map_range(coords: np.ndarray, pad: float = 0.06) -> tuple[list[float], list[float]]:
    """Fixed axis ranges (x, y) with a margin, so the click grid can cover the whole plot."""
    low, high = coords.min(0), coords.max(0)
    margin = np.maximum(high - low, 1e-6) * pad
    return [float(low[0] - margin[0]), float(high[0] + margin[0])], [
        float(low[1] - margin[1]),
        float(high[1] + margin[1]),
    ]


def latent_scatter(
    coords: np.ndarray,
    labels: np.ndarray | None,
    class_names: list[str] | None,
    title: str = "",
    click_grid: int = 0,
    height: int = 560,
    marker_xy=None,
    dragmode: str = "zoom",
    train: np.ndarray | None = None,
    legend_below: bool = False,
) -> go.Figure:
    """Scatter of 2-D map coordinates (N, 2), one trace per class (so the legend toggles classes).

    customdata holds each point's row in `coords`. With click_grid=n, an n x n lattice of
    invisible points covers the whole plotting area, margins included, so a click anywhere
    selects a location to decode. marker_xy draws a cross at a decoded spot. train (N,) bool marks
    training images (hollow markers; test images are filled). legend_below lays the legend out in
    rows under the plot, so that a narrow column keeps the plot's width.
    """
    fig = go.Figure()
    index = np.arange(len(coords))
    groups = [(None, index)] if labels is None else [(c, index[labels == c]) for c in np.unique(labels)]
    n_classes = max(len(class_names or []), 0 if labels is None else int(labels.max()) + 1, 1)
    colours = class_colours(n_classes)  # by class id, so a class keeps its colour on every chart
    size = marker_size(len(coords))
    train = np.zeros(len(coords), bool) if train is None else np.asarray(train, bool)
    for label, rows in groups:
        name = (
            "images"
            if label is None
            else (class_names[label] if class_names and label < len(class_names) else str(label))
        )
        fig.add_trace(
            go.Scattergl(
                x=coords[rows, 0],
                y=coords[rows, 1],
                mode="markers",
                name=str(name),
                customdata=rows,
                marker={
                    "size": size,
                    "opacity": 0.75,
                    "color": colours[0 if label is None else int(label)],
                    "symbol": np.where(train[rows], "circle-open", "circle").tolist(),
                    "line": {"width": 1.5, "color": colours[0 if label is None else int(label)]},  # (open markers)
                },
                unselected={"marker": {"opacity": 0.2}},
                text=np.where(train[rows], "training image", "test image").tolist(),
                hovertemplate=f"label {name}<br>index %{{customdata}}, %{{text}}<extra></extra>",
            )
        )
    x_range, y_range = map_range(coords) if click_grid else (None, None)
    if click_grid:
        fig.add_trace(_click_grid(x_range, y_range, click_grid))
    if marker_xy is not None:
        add_marker(fig, marker_xy, "decoded spot")
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"itemsizing": "constant", "title": "label"}
        | ({"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0} if legend_below else {}),
        dragmode=dragmode,
        xaxis={"title": "map x", "range": x_range},
        yaxis={"title": "map y", "range": y_range},
        plot_bgcolor="#fafafa",
    )
    return fig


def marker_size(n_points: int) -> int:
    """Marker size in pixels: 9 for up to a few hundred points, down to 4 for a few thousand."""
    return int(np.clip(round(9 - (n_points - 300) / 340), 4, 9))


def _click_grid(x_range, y_range, n: int) -> go.Scattergl:
    xs, ys = np.meshgrid(np.linspace(*x_range, n), np.linspace(*y_range, n))
    return go.Scattergl(
        x=xs.ravel(),
        y=ys.ravel(),
        mode="markers",
        name=GRID_TRACE_NAME,
        marker={"size": 2, "opacity": 0.0, "color": "#000000"},
        showlegend=False,
        selected={"marker": {"opacity": 0.0}},
        unselected={"marker": {"opacity": 0.0}},
        hovertemplate="click to decode (%{x:.2f}, %{y:.2f})<extra></extra>",
    )


def add_path(fig: go.Figure, path: np.ndarray, name: str = "interpolation") -> go.Figure:
    fig.add_trace(
        go.Scatter(
            x=path[:, 0],
            y=path[:, 1],
            mode="lines+markers",
            name=name,
            line={"color": "black", "width": 3},
            marker={"size": 8, "color": "black"},
        )
    )
    return fig


def add_marker(fig: go.Figure, xy, name: str) -> go.Figure:
    """A large cross at one map location, drawn above the WebGL points."""
    fig.add_trace(
        go.Scattergl(
            x=[xy[0]],
            y=[xy[1]],
            mode="markers",
            name=name,
            marker={"size": 18, "color": "black", "symbol": "x", "line": {"width": 2, "color": "white"}},
        )
    )
    return fig


def score_histograms(
    groups: dict[str, np.ndarray], threshold: float | None = None, unit: str = "MSE per pixel"
) -> go.Figure:
    fig = go.Figure()
    for name, scores in groups.items():
        fig.add_trace(go.Histogram(x=scores, name=name, opacity=0.6, nbinsx=60, histnorm="probability density"))
    if threshold is not None:
        fig.add_vline(x=threshold, line_dash="dash", annotation_text="threshold")
    fig.update_layout(
        barmode="overlay",
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title=f"reconstruction error ({unit})",
        yaxis_title="density",
    )
    return fig


def roc_figure(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple | None = None) -> go.Figure:
    fig = go.Figure(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC {auc:.3f})"))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "grey"}, name="chance"))
    if point:
        fig.add_trace(
            go.Scatter(
                x=[point[0]], y=[point[1]], mode="markers", name="threshold", marker={"size": 12, "color": "red"}
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="false positive rate",
        yaxis_title="true positive rate",
    )
    return fig


def code_bars(code: np.ndarray) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[f"z{i}" for i in range(len(code))],
            y=code,
            marker_color=["#d62728" if v < 0 else "#1f77b4" for v in code],
        )
    )
    fig.update_layout(height=260, margin={"l": 5, "r": 5, "t": 30, "b": 5}, title="latent code")
    return fig


def series_overlay(values: np.ndarray, recon: np.ndarray, title: str = "") -> go.Figure:
    """A series and its reconstruction; the area between them (the error) is shaded."""
    steps = np.arange(len(values))
    fig = go.Figure(
        [
            go.Scatter(x=steps, y=values, mode="lines", name="input", line={"color": "#1f77b4", "width": 2}),
            go.Scatter(
                x=steps,
                y=recon,
                mode="lines",
                name="reconstruction",
                fill="tonexty",
                fillcolor="rgba(214, 39, 40, 0.25)",
                line={"color": "#d62728", "width": 2, "dash": "dot"},
            ),
        ]
    )
    fig.update_layout(
        title=title,
        height=340,
        margin={"l": 10, "r": 10, "t": 40, "b": 60},
        xaxis_title="time step",
        yaxis_title="value (z-scored)",
        legend={"orientation": "h", "y": -0.3},  # below the axis title, not over it
    )
    return fig


def feature_errors(errors: np.ndarray, names: list[str], title: str = "") -> go.Figure:
    order = np.argsort(-errors)[:30]
    # column names come from a user's CSV: plotly renders <a>, <b>... in labels, so escape them
    fig = go.Figure(
        go.Bar(x=[str(names[i]).replace("<", "&lt;") for i in order], y=errors[order], marker_color="#d62728")
    )
    fig.update_layout(
        title=title,
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis_title="squared error (z-scored units)",
    )
    return fig


def loss_curves(history: list[dict]) -> go.Figure:
    """Training and validation loss per epoch from fit's records; for VAEs also the two parts of
    the loss, reconstruction and KL (nats per image), on the same axis."""
    epochs = [record["epoch"] for record in history]
    fig = go.Figure()
    styles = {"loss": "#1f77b4", "recon": "#2ca02c", "kl": "#ff7f0e"}
    for part, colour in styles.items():
        for split, dash in (("train", "solid"), ("val", "dot")):
            key = f"{split}_{part}"
            if history and key in history[0] and (part == "loss" or "train_kl" in history[0]):
                fig.add_trace(
                    go.Scatter(
                        x=epochs,
                        y=[r[key] for r in history],
                        mode="lines+markers",
                        name=f"{part} ({'validation' if split == 'val' else 'training'})",
                        # the total drawn wide and pale: with KL near 0 it lies right under recon
                        line={"color": colour, "dash": dash, "width": 6 if part == "loss" else 2},
                        opacity=0.45 if part == "loss" else 1.0,
                    )
                )
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="epoch",
        yaxis_title="loss per image",
        title="Loss",
        xaxis={"rangemode": "tozero"},
    )
    return fig
