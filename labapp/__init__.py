"""The Streamlit side of Autoencoder Lab: what every page shares. aelib does the work and never
imports Streamlit; this package only arranges widgets, caches and session state around it.

- frame: the page list (PAGES), the frame every page draws (setup_page) and the links' queries
- keys: every session-state key, named once
- models: ModelSource, shipped and session-trained models served alike (checkpoint, bundle,
  decoder URL, typicality reference), the catalogue and the session's own models
- picker: the sidebar's active-model picker, synced with the URL; explorer_page
- live: glue for the in-browser component (latent_control): map data, current code, releases
- jobs: heavy jobs (t-SNE, training) queued per core and checked against the memory left
- display: showing images and user text safely (plain, show_images)
- uploads: prepared uploads, the verdict line, the drawing canvas
- browser_models: models kept for a browser across reloads (cookie + aelib.io.user_store)
- anomaly, compare: widgets used by the Anomalies/Time series and Compare pages
"""
