"""Autoencoder Lab: `streamlit run app.py`.

The entry point only routes. The pages are listed once, in app_common.PAGES; app_common.setup_page
draws their links in the sidebar. Why not st.navigation's own menu: it turns a page's icon into the
browser tab's icon by fetching it from fonts.gstatic.com (material icons) or a CDN (emoji), and the
app must not fetch anything from outside its own server. Home is pages/home.py.
"""

import streamlit as st

from app_common import PAGES

pages = [
    st.Page(page.path, title=page.title, default=True)
    if page.key == "home"
    else st.Page(page.path, title=page.title, url_path=page.url_path)
    for page in PAGES
]
st.navigation(pages, position="hidden").run()
