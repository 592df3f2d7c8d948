"""Latent map: PCA or t-SNE of the test codes; hover to decode the spot under the pointer (in the
browser), select points to see them, click a spot to decode it on the server."""

import io

import numpy as np
import streamlit as st

from aelib import AelibError
from aelib.explore import inference
from aelib.explore.figures import GRID_TRACE_NAME, latent_scatter
from aelib.explore.latent import neighbour_blend
from aelib.io.bundle import map_points
from aelib.preprocess.imaging import stored_to_display, tile
from labapp import keys
from labapp.directions import from_selection
from labapp.display import big, plain, show
from labapp.frame import PAGE_BY_KEY, link_query
from labapp.jobs import heavy_job
from labapp.live import live_failed, map_data_url, new_release, set_current_code
from labapp.models import decoder_url
from labapp.picker import explorer_page
from latent_control import live_map

entry, checkpoint, bundle, model, codes, key, labels, names = explorer_page("Latent map")
# Every image the model has codes for: the test sample, and training images when the bundle has
# them (a small data set such as Olivetti's 400 faces is drawn whole, training images outlined).
points = map_points(bundle)
codes, labels, is_train = points.codes, points.labels, points.train

maps = ["PCA", "t-SNE"] if points.tsne is not None else ["PCA"]  # (no t-SNE of a handful of images)
method = st.radio(
    "Map",
    maps,
    horizontal=True,
    index=0 if codes.shape[1] <= 2 else len(maps) - 1,
    help="PCA is linear and invertible; t-SNE keeps neighbourhoods but distorts distances",
)
coords, n_points = (points.pca if method == "PCA" else points.tsne), len(codes)

if method == "t-SNE":
    with st.expander("Recompute t-SNE"):
        n_recompute = len(codes)
        if len(codes) > 100:  # a slider needs a range; a small sample is simply recomputed whole
            n_recompute = st.slider("Points", 100, len(codes), min(1000, len(codes)), step=50)
        if st.button(f"Run t-SNE on {n_recompute} codes"):
            from aelib.explore.latent import tsne  # openTSNE is imported only when asked for

            bar = st.progress(0.0, text="t-SNE: building neighbours…")
            try:
                with heavy_job(bar, need_mb=60 + n_recompute * 0.05, what=f"t-SNE of {n_recompute} codes"):
                    embedding = tsne(
                        codes[:n_recompute],
                        random_state=0,
                        callback=lambda i, n: bar.progress(i / n, text=f"t-SNE: iteration {i} of {n}"),
                    )
                st.session_state[keys.tsne(key)] = embedding
            except AelibError as exc:
                st.error(plain(str(exc)))
            bar.empty()
    if keys.tsne(key) in st.session_state:
        coords = st.session_state[keys.tsne(key)]
        n_points = len(coords)

# A click on empty space is stored and the chart redrawn under a new key: that clears the
# grid point's selection (which would fade every real point) and draws a cross at the spot.
SPOT, NONCE = f"spot_{key}_{method}_{n_points}", f"map_nonce_{key}"
spot = st.session_state.get(SPOT)
point_labels = None if labels is None else labels[:n_points]
# Streamlit turns click-selection off while a chart drags a box or lasso, so the mouse mode is a
# visible choice, and its caption says what a click or a drag does.
MOUSE = {
    "Hover": (
        "",
        "Move the pointer (or a finger) over the map: the spot under it is decoded in your browser. "
        "Click or tap to keep it.",
    ),
    "Box select": ("select", "Drag a box around points to see them, or over empty space to decode its centre."),
    "Lasso select": ("lasso", "Draw a lasso around points to see them, or over empty space to decode its centre."),
    "Click": ("pan", "Click a point to see it, or an empty spot inside the axes to decode it; drag to pan."),
}
mouse = st.segmented_control("Mouse", list(MOUSE), default="Hover", key="map_mouse") or "Hover"
n_train = int(is_train[:n_points].sum())
st.caption(
    f"{MOUSE[mouse][1]} **{n_points:,} points drawn**: {n_points - n_train:,} test images"
    + (f" and {n_train:,} training images (hollow markers)." if n_train else ".")
)


def hover_map() -> bool:
    """The live map; False when the browser or the model cannot decode (the plotly map takes over)."""
    url = decoder_url(entry)
    codes_shown = None if method == "PCA" else codes[:n_points]
    data_url = map_data_url(coords, point_labels, codes_shown, names, is_train[:n_points] if is_train.any() else None)
    if url is None or data_url is None:
        return False
    value = live_map(
        model,
        url,
        data_url=data_url,
        method=method,
        pca_mean=bundle.pca_mean,
        pca_components=bundle.pca_components,
        key=f"live_map_{key}",
        smooth=st.session_state.get(keys.SMOOTH_IMAGES, False),
    )
    if live_failed(value):
        return False
    if release := new_release(value, f"live_map_{key}"):
        st.session_state[SPOT] = tuple(float(v) for v in release["point"])
    return True


def plotly_map(mouse: str) -> list[int]:
    """The plotly map with box, lasso and click selection; returns the chosen points' indices."""
    fig = latent_scatter(
        coords,
        point_labels,
        names,
        click_grid=30,
        marker_xy=spot,
        dragmode=MOUSE[mouse][0],
        title=f"{method} of {n_points} codes ({codes.shape[1]}-D)",
        train=is_train[:n_points],
    )
    grid_curve = next(i for i, trace in enumerate(fig.data) if trace.name == GRID_TRACE_NAME)
    event = st.plotly_chart(
        fig,
        on_select="rerun",
        selection_mode=("points", "box", "lasso"),
        key=f"map_{key}_{method}_{n_points}_{st.session_state.get(NONCE, 0)}",
    )
    points = ((event or {}).get("selection") or {}).get("points", [])  # dict access also fits AppTest
    chosen = [int(p["customdata"]) for p in points if p.get("curve_number", 0) < grid_curve and "customdata" in p]
    spots = [(p["x"], p["y"]) for p in points if p.get("curve_number") == grid_curve]
    if spots and not chosen:  # one grid point for a click; the centre of those in a box or lasso
        st.session_state[SPOT] = tuple(float(v) for v in np.mean(spots, axis=0))
        st.session_state[NONCE] = st.session_state.get(NONCE, 0) + 1
        st.rerun()
    return chosen


chosen = []
if mouse != "Hover" or not hover_map():
    chosen = plotly_map("Box select" if mouse == "Hover" else mouse)
spot = st.session_state.get(SPOT)

if chosen:
    st.session_state.pop(SPOT, None)  # a selection replaces the decoded spot (and its cross, next run)
    shown = chosen[:: max(1, len(chosen) // 12)][:12]  # spread over the selection, so every class shows
    st.subheader(f"Selected {len(chosen)} point(s); showing {len(shown)} with their reconstructions")
    recon = inference.decode(model, codes[shown], None if labels is None or not model.is_conditional else labels[shown])
    names_shown = [f"#{i}" + (f" {names[labels[i]]}" if labels is not None and names else "") for i in shown]
    # One image, originals above their reconstructions: every tile the same size, at any width.
    pairs = tile(np.concatenate([stored_to_display(points.images, shown), recon]), n_cols=len(shown))
    st.image(
        big(pairs, 230 if len(shown) > 6 else 300),
        caption=f"Top: the selected images ({', '.join(names_shown)}); bottom: their reconstructions.",
        width="content",
    )
elif spot is not None:
    x, y = spot
    if method == "PCA":
        code = bundle.plane.inverse(np.array([[x, y]], np.float32))[0]
        how = "exact inverse of the two principal components (other directions at their mean)"
    else:
        code = neighbour_blend(coords, codes[:n_points], (x, y), k=8)
        how = "inverse-distance blend of the 8 nearest codes (t-SNE has no inverse)"
    label = int(labels[np.argmin(np.linalg.norm(coords - [x, y], axis=1))]) if model.is_conditional else None
    decoded = inference.decode(model, code, None if label is None else [label])[0]
    left, right = st.columns([1, 3])
    show(left, decoded, 200, caption=f"decoded at ({x:.2f}, {y:.2f})")
    right.markdown(f"Decoded from the map location marked ✕, using the {how}.")
    if st.session_state.get(keys.shared_spot(key)) != spot:  # once per spot: Generate may move it on
        st.session_state[keys.shared_spot(key)] = spot
        set_current_code(key, code, label)
    right.page_link(
        PAGE_BY_KEY["generate"].path,
        label="It is now the current code: open it on Generate",
        query_params=link_query("generate"),
    )
    if points.images is not None:  # issue #25: the spot's nearest images in latent space
        near = inference.nearest(codes[:n_points], code, k=8)
        strip = tile(stored_to_display(points.images, near), n_cols=len(near), pad=2)
        show(right, strip, 64, caption="the 8 images whose codes are nearest to this spot")

if points.images is not None:  # issue #25: two selections make a direction (group A towards B)
    from_selection(entry, checkpoint, bundle, chosen)
buffer = io.StringIO()
table = np.column_stack([np.arange(n_points), -np.ones(n_points) if labels is None else labels[:n_points], coords])
np.savetxt(buffer, table, delimiter=",", header="index,label,x,y", comments="", fmt=["%d", "%d", "%.5f", "%.5f"])
st.download_button(
    "Download coordinates (CSV)", buffer.getvalue(), file_name=f"{key}_{method.lower()}.csv", mime="text/csv"
)
