"""The frame every page shares: the one list of pages, the sidebar's links and the page title.

The links are st.page_link, not st.navigation's own menu: that menu turns a page's icon into the
browser tab's icon by fetching it from fonts.gstatic.com (material icons) or a CDN (emoji), and the
app must not fetch anything from outside its own server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from aelib.explore.latent import code_to_text
from labapp import browser_models, keys
from labapp.jobs import release_freed_memory
from labapp.models import DEFAULT_MODEL, model_entries

ICON = Path(__file__).resolve().parent.parent / "assets" / "icon.png"


@dataclass(frozen=True)
class PageSpec:
    """One page of the app: the only list of pages (app.py's navigation, tests and benchmarks)."""

    key: str
    path: str
    title: str
    icon: str

    @property
    def url_path(self) -> str:
        """The page's address after the server's root: "" for Home, else e.g. "Latent_map"."""
        return "" if self.key == "home" else Path(self.path).stem.split("_", 1)[1]


PAGES = (
    PageSpec("home", "pages/home.py", "Home", ":material/home:"),
    PageSpec("latent_map", "pages/1_Latent_map.py", "Latent map", ":material/scatter_plot:"),
    PageSpec("generate", "pages/2_Generate.py", "Generate", ":material/tune:"),
    PageSpec("interpolate", "pages/3_Interpolate.py", "Interpolate", ":material/timeline:"),
    PageSpec("reconstruct", "pages/4_Reconstruct.py", "Reconstruct", ":material/draw:"),
    PageSpec("denoise", "pages/5_Denoise.py", "Denoise", ":material/auto_fix_high:"),
    PageSpec("anomaly", "pages/6_Anomalies.py", "Anomalies", ":material/crisis_alert:"),
    PageSpec("time_series", "pages/7_Time_series.py", "Time series", ":material/monitor_heart:"),
    PageSpec("tabular", "pages/8_Tabular_anomalies.py", "Tabular anomalies", ":material/table_chart:"),
    PageSpec("train", "pages/9_Train.py", "Train your own", ":material/model_training:"),
    PageSpec("compare", "pages/10_Compare.py", "Compare kinds", ":material/compare:"),
)
PAGE_BY_KEY = {page.key: page for page in PAGES}


# On a phone the sidebar is a drawer over the page. Streamlit closes it after a tap on its own page
# navigation, but not after a tap on an st.page_link (the sidebar's links here, which carry the model
# in their query): the drawer stayed open over the new page. Below Streamlit's "md" breakpoint (768 px),
# where the sidebar overlays the page, a tap on one of its links presses the drawer's close button.
CLOSE_DRAWER_ON_LINK = """<script>
if (!window.aelabDrawerCloses) {
  window.aelabDrawerCloses = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]');
    if (!link || !window.matchMedia("(max-width: 767.98px)").matches) return;
    setTimeout(() => document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click(), 0);
  }, true);
}
</script>"""


def setup_page(title: str) -> None:
    """Every page starts here: wide layout, the sidebar's links and the page title."""
    release_freed_memory()
    # a local icon: a ":material/...:" page icon makes every page view fetch it from fonts.gstatic.com
    st.set_page_config(page_title=f"{title} · Autoencoder Lab", page_icon=str(ICON), layout="wide")
    active = _link_model()  # (once per run, not once per link)
    with st.sidebar:
        for page in PAGES:  # (each link carries the address its page will show: one history entry)
            st.page_link(page.path, label=page.title, icon=page.icon, query_params=link_query(page.key, active))
        st.divider()
        browser_models.set_cookie()  # only once this browser has models kept on the server
        st.html(CLOSE_DRAWER_ON_LINK, unsafe_allow_javascript=True)  # (in the sidebar: no gap above the title)
    # Image captions wrap between words, not inside them ("reconstru ction" under narrow images).
    st.html("<style>[data-testid='stImageCaption'] {word-break: normal; overflow-wrap: normal;}</style>")
    st.title(title)


def link_query(page_key: str, active: str | None = None) -> dict[str, str]:
    """The query a link to a page carries: exactly what that page writes into the address bar on
    arrival (the session's active model; on Generate its current code and class), so the page
    changes nothing there and one click makes one history entry, not two. `active`: the model
    the links name, when the caller has already worked it out."""
    active = active or _link_model()
    if not active:
        return {}
    return {"model": active, **(generate_query(active) if page_key == "generate" else {})}


def _link_model() -> str | None:
    """The model this run makes the session's active one: an address's `?model=` not seen before
    (choose_model takes it below the links), else the active model, else a newcomer's."""
    ids = {e.id for e in model_entries()[0]}
    wanted = st.query_params.get("model")
    if wanted != st.session_state.get(keys.URL_MODEL) and wanted in ids:
        return wanted
    active = st.session_state.get(keys.ACTIVE_MODEL)
    return active if active in ids else DEFAULT_MODEL if DEFAULT_MODEL in ids else None


def code_state(model_id: str) -> tuple[str, str | None] | None:
    """The model's current code as its address text, and its class (conditional models); None
    while it has no current code."""
    code_key, _, label_key = keys.code_keys(model_id)
    if code_key not in st.session_state:
        return None
    label = st.session_state.get(label_key)
    return code_to_text(st.session_state[code_key]), None if label is None else str(label)


def generate_query(model_id: str) -> dict[str, str]:
    """What Generate's address carries for a model after `?model=`: nothing while the code (and
    class) is still the one the page started from (opening the address again gives that code), else
    `z` (and `label`)."""
    state = code_state(model_id)
    if state is None or state == st.session_state.get(keys.start_code(model_id)):
        return {}
    return {"z": state[0], **({"label": state[1]} if state[1] is not None else {})}
