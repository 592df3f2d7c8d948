"""Autoencoder Lab: `streamlit run app.py`.

The entry point only routes. The pages are listed once, in labapp.frame.PAGES, and every page
draws the shared frame (sidebar links, title) with labapp.frame.setup_page; why the links are not
st.navigation's own menu is said there. Home is pages/home.py.
"""

import streamlit as st

from labapp.boot import import_library

import_library()  # before any page imports a part of aelib: see labapp/boot.py

from labapp.frame import PAGES  # noqa: E402

pages = [
    st.Page(page.path, title=page.title, default=True)
    if page.key == "home"
    else st.Page(page.path, title=page.title, url_path=page.url_path)
    for page in PAGES
]
st.navigation(pages, position="hidden").run()
