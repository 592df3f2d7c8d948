"""The page visits (path and query) that the browser benchmarks make, one for each page."""

PAGES = [
    "",
    "Latent_map?model=mnist_conv_vae",
    "Generate?model=mnist_conv_vae",
    "Interpolate?model=mnist_conv_vae",
    "Reconstruct?model=mnist_conv_vae",
    "Denoise?model=mnist_denoising_conv_ae",
    "Anomalies?model=mnist_conv_ae",
    "Time_series?model=ecg5000_conv1d_ae",
    "Tabular_anomalies",
]
