"""Autoencoder Lab: `streamlit run app.py`.

The entry point only routes. The pages are listed once, in labapp.frame.PAGES, and every page
draws the shared frame (sidebar links, title) with labapp.frame.setup_page; why the links are not
st.navigation's own menu is said there. Home is pages/home.py.
"""

import pandas  # noqa: F401  (see below)
import streamlit as st

from labapp.frame import PAGES

# pandas is imported here, before any page runs, not lazily where a table needs it: plotly looks for
# pandas in sys.modules (without importing it) when it builds a figure, so a figure built in one
# session while another session's thread was still importing pandas saw a half-initialised module
# and failed (`benchmarks/load.py`, 20 sessions). An import here completes before any page starts.

pages = [
    st.Page(page.path, title=page.title, default=True)
    if page.key == "home"
    else st.Page(page.path, title=page.title, url_path=page.url_path)
    for page in PAGES
]
st.navigation(pages, position="hidden").run()
