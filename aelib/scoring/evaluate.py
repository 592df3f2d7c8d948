"""Test-set metrics for any registered model.

Reconstruction: MSE per pixel and BCE per image (nats). VAEs: ELBO and the importance-weighted
NLL (Burda et al. 2015), on dynamically binarised images when the model was trained on them.
Representation: active units (Burda et al. 2015, sec. 5.2) and a linear probe on the codes
beside the same probe on PCA of the same size.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from ..preprocess.imaging import psnr
from ..training.noise import corrupt, parse_noise
from .anomaly import isolation_forest_scores, reconstruction_errors, roc
from .batching import batched, encode_all, reconstruct_all


def reconstruction_metrics(model, x, y=None) -> dict:
    recon = reconstruct_all(model, x, y)
    if model.config.output != "sigmoid":  # real-valued data: BCE and PSNR do not apply
        return {"mse_per_value": float(F.mse_loss(recon, x))}
    bce = F.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none").flatten(1).sum(1)
    return {
        "mse_per_pixel": float(F.mse_loss(recon, x)),
        "bce_per_image": float(bce.mean()),
        "psnr_db": float(psnr(x.numpy(), recon.numpy(), axis=(1, 2, 3)).mean()),
    }


def vae_metrics(model, x, y=None, iw_samples: int = 100, seed: int = 0) -> dict:
    """ELBO (nats, one posterior sample per image), IW-NLL with k samples, active units."""
    torch.manual_seed(seed)
    model.eval()
    elbo = batched(lambda xb, yb: torch.full((len(xb),), float(model.loss(xb, y=yb)["elbo"])), x, y)
    iw_ll = batched(
        lambda xb, yb: model.iw_log_likelihood(xb, yb, k=iw_samples), x, y, batch_size=max(1, 20000 // iw_samples)
    )
    mu = encode_all(model, x, y)
    active = int((mu.var(0) > 0.01).sum())
    return {
        "elbo": float(elbo.mean()),
        "iw_nll": float(-iw_ll.mean()),
        "iw_samples": iw_samples,
        "active_units": active,
        "latent_dim": model.config.latent_dim,
    }


def linear_probe(train_features, y_train, test_features, y_test, max_train: int = 10000, seed: int = 0) -> float:
    """Accuracy of a logistic regression fitted on standardised training features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    keep = rng.permutation(len(train_features))[:max_train]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    probe.fit(np.asarray(train_features)[keep], np.asarray(y_train)[keep])
    return float(probe.score(np.asarray(test_features), np.asarray(y_test)))


def probe_metrics(model, data, x_test, y_test, max_train: int = 10000) -> dict:
    from sklearn.decomposition import PCA

    x_train = data.x_train[:max_train]
    y_train = data.y_train[:max_train]
    cond = model.is_conditional
    z_train = encode_all(model, x_train, y_train if cond else None).numpy()
    z_test = encode_all(model, x_test, y_test if cond else None).numpy()
    pca = PCA(n_components=min(model.config.latent_dim, x_train[0].numel()), random_state=0)
    p_train = pca.fit_transform(x_train.flatten(1).numpy())
    p_test = pca.transform(x_test.flatten(1).numpy())
    return {
        "probe_accuracy": linear_probe(z_train, y_train, z_test, y_test),
        "pca_probe_accuracy": linear_probe(p_train, y_train, p_test, y_test),
    }


def denoising_metrics(model, x, spec: str, seed: int = 0) -> dict:
    kind, level = parse_noise(spec)
    noisy = corrupt(x, kind, level, generator=torch.Generator().manual_seed(seed))
    denoised = reconstruct_all(model, noisy)
    per_image = (1, 2, 3)
    return {
        "noise": spec,
        "psnr_noisy_db": float(psnr(x.numpy(), noisy.numpy(), axis=per_image).mean()),
        "psnr_denoised_db": float(psnr(x.numpy(), denoised.numpy(), axis=per_image).mean()),
    }


def evaluate(
    model,
    data,
    train_config: dict | None = None,
    n_test: int = 0,
    iw_samples: int = 100,
    probe: bool = True,
    seed: int = 0,
) -> dict:
    """All metrics that apply to this model, as a flat-ish dict of floats."""
    started = time.perf_counter()
    train_config = train_config or {}
    x_test = data.x_test[:n_test] if n_test else data.x_test
    y_test = None if data.y_test is None else data.y_test[: len(x_test)]
    y_cond = y_test if model.is_conditional else None
    metrics = {"n_test": len(x_test), **reconstruction_metrics(model, x_test, y_cond)}
    if model.is_variational:
        x_lik = x_test
        if train_config.get("binarize"):
            x_lik = torch.bernoulli(x_test, generator=torch.Generator().manual_seed(seed))
        metrics.update(vae_metrics(model, x_lik, y_cond, iw_samples, seed))
        metrics["binarized"] = bool(train_config.get("binarize"))
    if train_config.get("denoise"):
        metrics.update(denoising_metrics(model, x_test, train_config["denoise"], seed))
    if probe and y_test is not None and data.y_train is not None and data.n_classes <= 20:
        metrics.update(probe_metrics(model, data, x_test, y_test))
    metrics["eval_seconds"] = round(time.perf_counter() - started, 2)
    return metrics


def one_class_metrics(model, data, keep: list[int], n_test: int = 0) -> dict:
    """AUC of reconstruction error for 'not one of the kept classes'; for series and tables also
    scikit-learn's IsolationForest fitted on the same (kept) training rows, as the baseline."""
    x, y = (data.x_test[:n_test], data.y_test[:n_test]) if n_test else (data.x_test, data.y_test)
    is_anomaly = ~np.isin(y.numpy(), keep)
    metrics = {"anomaly_auc": roc(reconstruction_errors(model, x), is_anomaly)[2]}
    if data.kind != "image":
        normal_train = data.x_train[np.isin(data.y_train.numpy(), keep)].flatten(1).numpy()
        forest = isolation_forest_scores(normal_train, x.flatten(1).numpy())
        metrics["isolation_forest_auc"] = roc(forest, is_anomaly)[2]
    return metrics
