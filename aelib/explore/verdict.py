"""The graded verdict on one input: typical, unusual, or unlike anything the model saw, with the
reason in words, and a note when the input lies near a boundary between two grades.

Measured by benchmarks/upload_verdict.py (issue #22), which compares, as AUROC of MNIST test
digits against Fashion-MNIST, faces, photographs, flipped and rotated digits and noise (all
through the upload pipeline), the reconstruction error, the code's distance to its nearest test
codes, the code's Mahalanobis distance (Lee et al. 2018, with a shrunk covariance as in Ledoit &
Wolf 2004: `mahalanobis`) and, for VAEs, the ELBO. Mahalanobis did worst (about 0.5 against
Fashion-MNIST: clothes land near the codes' centre), the k-NN distance best; the verdict combines
these parts, each in robust units of the bundle's test images (the value, or its log for the
error and distance, minus the test images' median, over 1.4826 x their median absolute
deviation, so that 3 is "three standard deviations" for a normal distribution):
  error      reconstruction MSE: the model cannot redraw it;
  code       mean distance of the code to its 5 nearest test codes: it lands where none does;
  fill       share of its marks' bounding box they fill (grey models; less one unit): a filled
             shape, not strokes;
  doubt      (bundles with a label head, aelib.scoring.label_head) 1 - the head's largest class
             probability, plus DOUBT_FLOOR (log units): no class fits the code;
as the Euclidean length of the error's and the code's excess over the test images' median (their
positive parts: two independent warnings add up, as in a chi distance), plus the fill's excess
beyond FILL_OFFSET, plus SET_ASIDE units per share of the upload's marks the pipeline set aside,
plus CLUTTER units per share of the upload (away from the digit) as bright as its strokes
(aelib.preprocess.ink.clutter: a photograph of a scene, where a stroke-like sliver was kept),
plus DOUBT x the doubt's positive units.
Measured (benchmarks/results/upload_verdict.txt): the length ranks Fashion-MNIST 0.981 -> 0.994
over the largest part alone, at the same AUROC on flipped digits; the clutter ranks
photographs 0.986 -> 0.994 and costs nothing on digits (0 on every MNIST test digit). The doubt
ranks Fashion-MNIST 0.981 -> 0.994 and flipped digits 0.912 -> 0.948 on a second sample (seed 1,
300 of each) where the score without it fell short of 0.99 (sandals and trousers drawn as strokes).
For face models only the error counts (a new person is far from every test code, so the code
cannot tell a face from a cup), and the detector's answer decides "no face found".

On top of the model's scores, what the upload pipeline set aside (`evidence` from
aelib.preprocess.uploads.prepare_digit): when it kept only a small share of the marks it found, the
verdict judges the upload, not the part it kept.
"""

from __future__ import annotations

import numpy as np

from ..io.bundle import Bundle

TYPICAL_QUANTILE = 0.95  # typical: up to the test images' own 95th percentile of the score
UNLIKE_MARGIN = 3.0  # unlike: this many robust units beyond the typical limit
NEAR = 0.5  # "near the boundary": within this many robust units of a limit
KEPT_UNUSUAL, KEPT_UNLIKE = 0.6, 0.3  # share of the marks found that the pipeline kept as the digit
SET_ASIDE = 10.0  # robust units added per share of the upload's marks set aside (0.1 set aside: +1)
CLUTTER = 50.0  # robust units per share of the upload as bright as the strokes (1%: +0.5)
FILL_OFFSET = 1.0  # fill counts only beyond one robust unit (MNIST's own fills vary widely)
THIN_PERCENTILE = 5  # marks thinner than this percentile of the test images' are strokes, not a fill
EMPTY = 0.3  # total intensity below this share of a typical test image's: almost empty
SHRINK = 0.05  # covariance shrinkage towards a multiple of the identity
DOUBT = 0.5  # weight of the label head's doubt (its robust units; measured: 0.3-0.7 rank alike)
DOUBT_FLOOR = 1e-4  # a doubt below 1 in 10,000 is no doubt (the log of 0 is not a unit)


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


def knn_distance(codes: np.ndarray, code: np.ndarray, k: int = 5) -> float:
    """Mean distance from `code` (D,) to its k nearest rows of `codes` (N, D)."""
    return float(np.sort(np.linalg.norm(codes - code, axis=1))[:k].mean())


def _shape(image: np.ndarray) -> dict:
    """fill and thickness of an (H, W) image's marks (aelib.preprocess.uploads.shape_of of image > 0.3)."""
    from ..preprocess.uploads import shape_of

    return shape_of(np.asarray(image) > 0.3)


def _fill(shape: dict, reference: dict) -> float:
    """The fill that counts: a filled shape is thick as well as full. Marks thinner than nearly all
    the test images' (their THIN_PERCENTILE-th percentile of thickness, relative to their size) are
    strokes however much of their box they fill: a straight drawn 1 fills all of it (fill 1.0,
    thickness 0.1 against MNIST's 5th percentile 0.2) and was called "a filled shape" (reported
    by a new user, 2026-12-03). At the median instead, Fashion's AUROC fell 0.997 -> 0.995."""
    thickness = reference.get("thickness")
    if thickness is not None and shape["thickness"] < thickness:
        return min(shape["fill"], reference["fill"][0])
    return shape["fill"]


def _linear(values: np.ndarray) -> tuple[float, float]:
    """(median, 1.4826 x MAD) of raw values, for parts that are not log-normal (shares)."""
    median = float(np.median(values))
    return median, max(1.4826 * float(np.median(np.abs(values - median))), 1e-6)


def verdict_reference(bundle: Bundle, k: int = 5) -> dict:
    """What `grade` compares an input with, once per bundle: the test codes (for the k-NN
    distance), the robust centre and scale of each part on the test images, and for each way of
    scoring (all parts, or the error alone for faces) the test images' sorted scores and the
    limits: typical up to their TYPICAL_QUANTILE, unlike beyond that plus UNLIKE_MARGIN."""
    codes = np.asarray(bundle.codes, np.float64)
    squared = (codes**2).sum(1)
    distances = np.sqrt(np.maximum(squared[:, None] + squared[None] - 2 * codes @ codes.T, 0))
    np.fill_diagonal(distances, np.inf)  # a test code's neighbours are the other test codes
    knn = np.sort(distances, axis=1)[:, : min(k, max(len(codes) - 1, 1))].mean(1)
    values = {"error": np.asarray(bundle.score, np.float64), "code": knn}
    reference = {"codes": codes, "k": k, "error": _robust(values["error"]), "code": _robust(knn)}
    if bundle.label_head is not None:  # the label head: how unsure it is of each test code
        reference["head"] = bundle.label_head
        values["doubt"] = reference["head"].doubt(codes) + DOUBT_FLOOR
        reference["doubt"] = _robust(values["doubt"])
    images = bundle.images
    if images is not None and images.ndim == 4 and images.shape[1] == 1:  # grey images: their marks' shape
        shapes = [_shape(image[0] / 255.0) for image in images]
        reference["fill"] = _linear(np.array([s["fill"] for s in shapes]))
        reference["thickness"] = float(np.percentile([s["thickness"] for s in shapes], THIN_PERCENTILE))
        values["fill"] = np.array([_fill(s, reference) for s in shapes])
    for use_all in (True, False):
        rows = [{name: v[i] for name, v in values.items()} for i in range(len(codes))]
        scores = np.sort([combined(row, reference, use_all)[0] for row in rows])
        typical = float(np.quantile(scores, TYPICAL_QUANTILE))
        reference[use_all] = {"scores": scores, "typical": typical, "unlike": typical + UNLIKE_MARGIN}
    return reference


def combined(values: dict, reference: dict, use_all: bool = True) -> tuple[float, str]:
    """(score, the part that drove it). values: raw error (MSE), code (k-NN distance), fill,
    kept (the share of the upload's marks kept as the digit), clutter (aelib.preprocess.ink.clutter)
    and doubt (the label head's, plus DOUBT_FLOOR). The
    score is the Euclidean length of the error's and the code's positive robust units, plus the
    fill's units beyond FILL_OFFSET, plus DOUBT x the doubt's positive units, plus SET_ASIDE x the
    share set aside and CLUTTER x the clutter; with use_all=False (faces) the error alone.
    The part that drove it is the largest. benchmarks/upload_verdict.py measured the
    alternatives: the largest part alone ranked clothes worse (0.981 vs 0.994), the plain sum of
    error and code ranked photographs and flipped digits worse; fill without the offset, or the
    thickness, cost more on flipped digits than they gained on clothes."""
    parts = {"error": (np.log(max(values["error"], 1e-12)) - reference["error"][0]) / reference["error"][1]}
    if not use_all:
        return float(parts["error"]), "error"
    parts["code"] = (np.log(max(values["code"], 1e-12)) - reference["code"][0]) / reference["code"][1]
    if "fill" in reference and "fill" in values:
        parts["fill"] = (values["fill"] - reference["fill"][0]) / reference["fill"][1] - FILL_OFFSET
    if "doubt" in reference and "doubt" in values:
        parts["doubt"] = DOUBT * (np.log(values["doubt"]) - reference["doubt"][0]) / reference["doubt"][1]
    name = max(parts, key=parts.get)
    score = float(np.hypot(max(parts["error"], 0.0), max(parts["code"], 0.0))) + max(parts.get("fill", 0.0), 0.0)
    score += max(parts.get("doubt", 0.0), 0.0)
    return score + SET_ASIDE * (1 - values.get("kept", 1.0)) + CLUTTER * values.get("clutter", 0.0), name


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


def grade(
    code: np.ndarray, mse: float, ink_ratio: float, reference: dict, evidence: dict | None = None, image=None
) -> dict:
    """The verdict on one input. code (D,), mse its reconstruction error, image the (H, W) model
    input (for the shape of its marks; None leaves that part out), ink_ratio its total
    intensity over a typical test image's, reference from `verdict_reference`, evidence what the
    upload pipeline reported (aelib.preprocess.uploads.Prepared.evidence; {"face": ...} on a face model).

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
    values = {"error": mse, "code": knn_distance(reference["codes"], np.asarray(code, np.float64), reference["k"])}
    if image is not None and np.ndim(image) == 2 and "fill" in reference:
        values["fill"] = _fill(_shape(image), reference)
    if evidence.get("kept_share") is not None:
        values["kept"] = float(evidence["kept_share"])
    values["clutter"] = float(evidence.get("clutter", 0.0))
    if "head" in reference:
        values["doubt"] = float(reference["head"].doubt(np.asarray(code, np.float64))) + DOUBT_FLOOR
    score, part = combined(values, reference, use_code)
    limits = reference[use_code]
    # ties (many test images score 0: nothing in excess) count half, as in a mid-rank
    ranks = np.searchsorted(limits["scores"], score, "left") + np.searchsorted(limits["scores"], score, "right")
    percentile = float(ranks / 2 / len(limits["scores"]) * 100)
    severity, reasons = 0, []
    if score > limits["typical"]:
        severity = 2 if score > limits["unlike"] else 1
        # The percentile is the combined score's (error, code, fill, clutter together), so it is said of
        # the whole, not of the part that weighs most: a user compares it with the error's own percentile.
        what = {
            "error": "the model cannot redraw it well (its reconstruction error is what stands out most)",
            "code": "its code lies far from the test images' codes",
            "fill": "its marks are a filled shape rather than pen strokes",
            "doubt": "its code fits none of the classes well (the label reader is unsure what it is)",
        }[part]
        share = "all the" if percentile >= 99.95 else f"{percentile:.1f}% of the"
        reasons.append(f"{what}; taken together, it lies farther out than {share} test images")
        if CLUTTER * values["clutter"] >= 1:
            reasons.append(
                f"marks as bright as its strokes cover {values['clutter']:.0%} of the rest of the upload: "
                "a photograph of a scene rather than a page with one digit"
            )
    if ink_ratio < EMPTY:
        severity = 2
        reasons.append(f"it is almost empty: {ink_ratio:.0%} of a typical test image's ink")
    kept = evidence.get("kept_share")
    if kept is not None and (kept < KEPT_UNUSUAL or (severity and kept < 0.9)):
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
        text = f"{titles[word]}: its reconstruction error and its code lie within the test images' range"
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
