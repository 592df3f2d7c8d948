"""The graded verdict on one input: typical, unusual, or unlike anything the model saw, with the
reason in words, and a note when the input lies near a boundary between two grades.

Measured by benchmarks/upload_verdict.py (issue #22), which compares the reconstruction error's
percentile, the code's distance to its nearest test codes, the code's Mahalanobis distance and,
for VAEs, the ELBO, as AUROC of MNIST test digits against Fashion-MNIST, faces, photographs,
flipped and rotated digits and noise. The verdict uses the best combination found there: the
larger of two scores, each in robust units of the bundle's test images (the log of the value
minus the test images' median log, over 1.4826 x their median absolute deviation, so that a
score of 3 is "three standard deviations" for a normal distribution):
  error  reconstruction MSE: the model cannot redraw it;
  code   Mahalanobis distance of the code to the test codes, with a shrunk covariance (Lee et al.
         2018, "A simple unified framework for detecting out-of-distribution samples"; shrinkage
         as in Ledoit & Wolf 2004): it lands where no test image lands.
For face models the code score is left out (a new person is far from every test code, so it
cannot tell a face from a cup) and the detector's answer decides "no face found".

On top of the model's scores, what the upload pipeline set aside (`evidence` from
aelib.uploads.prepare_digit): when it kept only a small share of the marks it found, the
verdict judges the upload, not the part it kept.
"""

from __future__ import annotations

import numpy as np

TYPICAL_QUANTILE = 0.98  # typical: up to the test images' own 98th percentile of the score
UNLIKE_MARGIN = 3.0  # unlike: this many robust units beyond the typical limit
NEAR = 0.5  # "near the boundary": within this many robust units of a limit
KEPT_UNUSUAL, KEPT_UNLIKE = 0.6, 0.3  # share of the marks found that the pipeline kept as the digit
EMPTY = 0.3  # total intensity below this share of a typical test image's: almost empty
SHRINK = 0.05  # covariance shrinkage towards a multiple of the identity


def _robust(values: np.ndarray) -> tuple[float, float]:
    """(median, 1.4826 x MAD) of log values: the centre and scale of the test images' scores."""
    logs = np.log(np.maximum(values, 1e-12))
    median = float(np.median(logs))
    return median, max(1.4826 * float(np.median(np.abs(logs - median))), 1e-6)


def code_model(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), precision (D, D)) of codes (N, D): the covariance shrunk by SHRINK towards
    trace/D x identity, so 2,000 codes of 32 numbers give a well-conditioned inverse."""
    codes = np.asarray(codes, np.float64)
    cov = np.atleast_2d(np.cov(codes, rowvar=False)) if len(codes) > 1 else np.eye(codes.shape[1])
    cov = (1 - SHRINK) * cov + SHRINK * max(np.trace(cov) / len(cov), 1e-12) * np.eye(len(cov))
    return codes.mean(0), np.linalg.inv(cov)


def mahalanobis(codes: np.ndarray, mean: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """(N, D) or (D,) codes -> (N,) or () Mahalanobis distances."""
    centred = np.asarray(codes, np.float64) - mean
    return np.sqrt(np.maximum(np.einsum("...i,ij,...j->...", centred, precision, centred), 0))


def verdict_reference(bundle: dict) -> dict:
    """What `grade` compares an input with, once per bundle: the code model, the robust centre and
    scale of the test images' log error and log Mahalanobis distance, and for each way of scoring
    (with the code, or the error alone for faces) the test images' sorted scores and the limits:
    typical up to their TYPICAL_QUANTILE, unlike beyond that plus UNLIKE_MARGIN."""
    mean, precision = code_model(bundle["codes"])
    distances = mahalanobis(bundle["codes"], mean, precision)
    reference = {"mean": mean, "precision": precision, "error": _robust(bundle["score"]), "code": _robust(distances)}
    for use_code in (True, False):
        scores = np.sort(
            [combined(e, d, reference, use_code)[0] for e, d in zip(bundle["score"], distances, strict=True)]
        )
        typical = float(np.quantile(scores, TYPICAL_QUANTILE))
        reference[use_code] = {"scores": scores, "typical": typical, "unlike": typical + UNLIKE_MARGIN}
    return reference


def combined(mse: float, distance: float, reference: dict, use_code: bool = True) -> tuple[float, str]:
    """(score, which part drove it: "error" or "code"): the larger of the robust units."""
    parts = {"error": (np.log(max(mse, 1e-12)) - reference["error"][0]) / reference["error"][1]}
    if use_code:
        parts["code"] = (np.log(max(distance, 1e-12)) - reference["code"][0]) / reference["code"][1]
    name = max(parts, key=parts.get)
    return float(parts[name]), name


WORDS = ("typical", "unusual", "unlike")
TITLES = {
    "typical": "Typical for this model",
    "unusual": "Unusual for this model",
    "unlike": "Unlike anything this model saw",
}
FACE_TITLES = {
    "typical": "A face this model can represent",
    "unusual": "A face this model represents poorly",
    "unlike": "Not a face this model can represent",
}


def grade(code: np.ndarray, mse: float, ink_ratio: float, reference: dict, evidence: dict | None = None) -> dict:
    """The verdict on one input. code (D,), mse its reconstruction error, ink_ratio its total
    intensity over a typical test image's, reference from `verdict_reference`, evidence what the
    upload pipeline reported (aelib.uploads.Prepared.evidence; {"face": ...} on a face model).

    Returns word ("typical" / "unusual" / "unlike"), text (the sentence with its reasons), score
    (robust units, see the module docstring) and score_percentile (its rank among the test
    images' scores), near_boundary (the grade above or below when the score is within NEAR of a
    limit, else None) and reasons (list of str)."""
    evidence = evidence or {}
    if evidence.get("face") is False:
        return {
            "word": "no_face",
            "text": "No face found: the face detector found none, so the model was given the centre of the "
            "photo; set the crop by hand if there is a face.",
            "score": float("inf"),
            "score_percentile": 100.0,
            "near_boundary": None,
            "reasons": ["no face found"],
        }
    use_code = "face" not in evidence
    distance = float(mahalanobis(code, reference["mean"], reference["precision"]))
    score, part = combined(mse, distance, reference, use_code)
    limits = reference[use_code]
    percentile = float(np.searchsorted(limits["scores"], score) / len(limits["scores"]) * 100)
    severity, reasons = 0, []
    if score > limits["typical"]:
        severity = 2 if score > limits["unlike"] else 1
        what = {
            "error": "the model cannot redraw it well: its reconstruction error is higher than",
            "code": "its code lies farther from where the test images' codes lie than",
        }[part]
        reasons.append(f"{what} {'all the' if percentile >= 99.95 else f'{percentile:.1f}% of the'} test images'")
    if ink_ratio < EMPTY:
        severity = 2
        reasons.append(f"it is almost empty: {ink_ratio:.0%} of a typical test image's ink")
    kept = evidence.get("kept_share")
    if kept is not None and kept < KEPT_UNUSUAL:
        severity = max(severity, 2 if kept < KEPT_UNLIKE else 1)
        reasons.append(
            f"only {kept:.0%} of the marks in the upload were kept as the digit (the rest was set aside as "
            "lines, edges or other marks), so the upload as a whole is not one digit"
        )
    word = WORDS[severity]
    titles = FACE_TITLES if "face" in evidence else TITLES
    near = None
    if abs(score - limits["typical"]) < NEAR:
        near = "unusual" if word == "typical" else "typical"
    elif abs(score - limits["unlike"]) < NEAR:
        near = "unlike" if word == "unusual" else "unusual"
    if word == "typical" and use_code:
        text = (
            f"{titles[word]}: its reconstruction error and its code lie within the test images' range "
            f"({100 - percentile:.0f}% of the test images lie farther out)"
        )
    elif word == "typical":
        worse = 100 - percentile
        text = (
            f"{titles[word]}: the model redraws it as well as the test faces ({worse:.0f}% of them are redrawn worse)"
        )
    else:
        text = f"{titles[word]}: " + "; ".join(reasons)
    if "face" in evidence and not evidence.get("manual"):
        text += f" (face detector: {'strong' if evidence.get('confidence', 0) >= 8 else 'clear'} detection)"
    if near and not (word == "unlike" and ink_ratio < EMPTY):
        text += f". It is near the boundary with {near!r}: a close call"
    return {
        "word": word,
        "text": text + ".",
        "score": score,
        "score_percentile": percentile,
        "near_boundary": near,
        "reasons": reasons,
    }
