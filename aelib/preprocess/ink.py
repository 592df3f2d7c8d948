"""One handwritten digit's ink, found in a photo, scan or drawing: which way round the ink is,
the lighting flattened, the ink thresholded, and the digit told apart from ruled lines, page and
shadow edges, neighbours and show-through.

Issue #22: decide what the digit is before removing anything. A component that holds most of
the ink is the digit even when it touches or spans the frame (tight crops, 28x28 drawings,
canvas exports); a straight run is a ruled line only when it is much longer than the digit and
no thicker than its strokes; nothing removes all the ink. Images are (H, W) float32 in [0, 1],
masks (H, W) bool, all at the working resolution of aelib.preprocess.uploads.
"""

from __future__ import annotations

import numpy as np

from .imaging import shrink_to

# The faintest ink taken for a stroke, in grey levels above its paper: a 1-px ballpoint line,
# blurred, stays above it (0.1-0.2); paper texture, JPEG noise and the other side of the page
# showing through stay below it (0.02-0.05 in benchmarks/hard_uploads.py's photos).
MIN_INK = 0.06
# Otsu's threshold separates ink from paper when the variance between its two classes is at least
# this share of all the variance (Otsu 1979's effectiveness; about 0.64 when it splits one normal
# population, 0.9-1.0 for strokes on paper in benchmarks/real_uploads.py's drawings, crops and
# close-ups, 0.4-0.67 for a ballpoint photo whose ink is a fraction of a percent of the pixels).
SPLIT = 0.8


def dark_ink(gray: np.ndarray) -> bool:
    """True when the ink is darker than the paper.

    A border that is light (over 0.5) for a quarter of its length or more is paper: the usual
    photo, scan or drawing, a page half in shadow, a tight crop whose strokes cover much of the
    frame's edge (a chalkboard's or MNIST's border is dark all round). Otherwise (grey paper
    under a phone's vignetting, a chalkboard, MNIST's own format) the paper is the local median
    (scipy.ndimage.median_filter over a square an eighth of a 128-px copy wide, over twice a
    marker's stroke: it keeps a shadow's straight edge where it is, so the edge does not vote),
    and the ink is the side where pixels stray farther from it (0.3rd and 99.7th percentiles of
    the difference, away from the border). Small images (up to 64 px) use their histogram: the
    median is the paper, and the ink the tail reaching farther from it."""
    from scipy import ndimage

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.quantile(border, 0.75) > 0.5:
        return True
    if max(gray.shape) <= 64:
        low, paper, high = np.percentile(gray, [0.3, 50, 99.7])
        return bool(paper - low > high - paper)
    small = shrink_to(gray, 128)
    side = max(5, max(small.shape) // 8) | 1
    residue = (small - ndimage.median_filter(small, size=side, mode="nearest"))[side:-side, side:-side]
    low, high = np.percentile(residue, [0.3, 99.7])
    return bool(-low > high)


def flatten_lighting(ink: np.ndarray, side: int | None = None) -> tuple[np.ndarray, float]:
    """Subtract the slowly varying background (shadows, gradients, paper tint) from a light-on-
    dark image. The background is a grey opening (a running minimum, then maximum:
    scipy.ndimage.grey_opening, separable for a square, so linear in the pixels) with a square
    `side` px wide (default a fifth of the image): wider than the strokes and their junctions
    (see find_ink for when it is widened), so the ink is not taken for background; and unlike a
    blur (or a reduced copy, which aliases), an opening reproduces any linear ramp, so a hard
    shadow's edge, blurred or diagonal, leaves no band of false ink. Returns (the residue scaled
    so its 99.9th percentile is 1, that percentile in grey levels)."""
    from scipy import ndimage

    side = side or max(3, int(np.ceil(max(ink.shape) / 5)))
    background = ndimage.grey_opening(ink, size=(side, side), mode="nearest")
    flat = np.clip(ink - background, 0, None)
    scale = float(np.percentile(flat, 99.9))
    return (flat / max(scale, 1e-6)).astype(np.float32), scale


def find_ink(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Light-on-dark (H, W) -> (flattened image, the digit's mask, evidence).

    The background's square is tried at a fortieth of the image (wider than a pen's stroke) and
    2.5, 6.25, ... times that, up to the whole image. The smaller it is, the closer the background
    follows a shadow's corner, where a large square leaves a wedge of false ink; but a stroke
    wider than the square is taken for background (a marker, a bold close-up, a tight crop), and
    only parts of it are found. So the smallest square wins unless a larger one finds the same
    digit (over half of it, give or take 2 px) 15% fuller or more, or in fewer pieces (a clean
    drawn 0's straight sides, as wide as the square, were cut out: two arcs 11% short), drawn
    with one pen: its thickest part at most 4x its median stroke width (a shadow's wedge joined to
    a thin digit is far thicker than its strokes). What a smaller square found counts only if it is more than
    specks (as many pixels as a 1-px line across a tenth of the image); if not, a larger square's
    digit replaces it only when it holds more ink (a larger square that finds nothing once
    replaced a faint ballpoint digit's fragments, and the upload was refused as blank)."""
    from scipy import ndimage

    side, best = max(5, int(np.ceil(max(ink.shape) / 40))), None
    while True:
        flat, scale = flatten_lighting(ink, side)
        mask, evidence = find_digit(ink_mask(flat, MIN_INK / max(scale, 1e-6)), flat)
        same_digit = best is not None and (mask & ndimage.binary_dilation(best[1], iterations=2)).sum() >= (
            0.5 * best[1].sum()
        )
        if (
            best is None
            or (best[1].sum() < 0.1 * max(ink.shape) and mask.sum() > best[1].sum())
            or (
                same_digit
                and (mask.sum() >= 1.15 * best[1].sum() or _parts(mask) < _parts(best[1]) <= 4)
                and 2 * ndimage.distance_transform_edt(mask).max() <= 4 * max(stroke_width(mask), 1.0)
            )
        ):
            best = (flat, mask, evidence)
        if side >= max(ink.shape):
            best[2]["clutter"] = clutter(best[0], best[1])
            return best
        side = min(int(np.ceil(2.5 * side)), max(ink.shape))


def _parts(mask: np.ndarray) -> int:
    from scipy import ndimage

    return int(ndimage.label(mask)[1])


def clutter(flat: np.ndarray, digit: np.ndarray) -> float:
    """Share of the upload away from the digit (beyond a hundredth of the image from its strokes)
    where the flattened image is at least half as bright as the digit's median stroke: 0 on
    paper, whatever the lighting, texture or show-through (under 0.01 for 90% of every kind in
    benchmarks/real_uploads.py), 0.05 in a typical photograph of a scene, where the pipeline can
    still find a stroke-like sliver to keep. The verdict judges the upload by it."""
    from scipy import ndimage

    if digit.sum() < 3:
        return 0.0
    stroke = float(np.median(flat[digit]))
    near = ndimage.binary_dilation(digit, iterations=max(2, round(max(digit.shape) / 100)))
    return float(np.mean(flat[~near] > 0.5 * stroke)) if (~near).any() else 0.0


def ink_mask(flat: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Hysteresis thresholding (skimage.filters.apply_hysteresis_threshold; Canny 1986): pixels
    above Otsu's threshold, never below the paper's own noise (the median and spread of the
    paper) nor below `floor` (MIN_INK in flat's units), and the fainter pixels connected to them,
    down to half that. A faint, blurred ballpoint line stays in one piece; show-through and paper
    texture, which never reach the high threshold, stay out; a blank page yields nothing.

    The paper is the pixels under Otsu's threshold only when that threshold splits two
    populations (its between-class variance is most of the variance: ink against paper, where
    strokes may cover most of a tight crop); otherwise it is every pixel. A 1-px ballpoint line
    is 0.3% of a photo: Otsu's threshold then cuts the paper's own noise in half, and the half
    under it has half the spread, which put the noise threshold inside the paper's grain (the
    cause of the ballpoint kind's fall from 86% to 77% in benchmarks/real_uploads.py)."""
    from skimage.filters import apply_hysteresis_threshold, threshold_otsu

    otsu = float(threshold_otsu(flat)) if np.ptp(flat) > 0 else 1.0
    above = flat > otsu
    share = float(above.mean())
    split = (
        0 < share < 1 and share * (1 - share) * (flat[above].mean() - flat[~above].mean()) ** 2 >= SPLIT * flat.var()
    )
    paper = flat[~above] if split else flat
    median = float(np.median(paper))
    noise = max(median + 8 * float(np.median(np.abs(paper - median))) + 0.08, floor)
    high = max(otsu, noise)
    return apply_hysteresis_threshold(flat, max(noise, 0.5 * high), high)


def stroke_width(mask: np.ndarray) -> float:
    """Twice the median distance to the background along the skeleton: the stroke's width in px."""
    from scipy import ndimage
    from skimage.morphology import skeletonize

    skeleton = skeletonize(mask)
    if not skeleton.any():
        return 0.0
    return float(2 * np.median(ndimage.distance_transform_edt(mask)[skeleton]))


def straight_runs(mask: np.ndarray, fractions: tuple[float, float] = (0.9, 0.75)) -> np.ndarray:
    """Pixels of vertical and horizontal runs longer than these fractions of the image's height
    and width (ruled lines, margins, axes cross the whole page), with their anti-aliased fringe.
    Running means keep it linear in time."""
    from scipy import ndimage

    runs = np.zeros_like(mask)
    for axis, fraction in enumerate(fractions):
        length = max(3, int(fraction * mask.shape[axis]))
        full = ndimage.uniform_filter1d(mask.astype(np.float32), length, axis=axis) > 0.9
        runs |= ndimage.maximum_filter1d(full, length, axis=axis) & mask
    thick = max(1, round(max(mask.shape) / 300))
    return ndimage.binary_dilation(runs, iterations=thick) & mask


def _components(mask: np.ndarray, weight: np.ndarray):
    """Connected groups of strokes (a broken pen stroke bridged, two digits not): labels, boxes,
    ink mass and mean intensity of each."""
    from scipy import ndimage

    bridge = max(1, round(max(mask.shape) / 150))
    labels, n = ndimage.label(ndimage.binary_dilation(mask, iterations=bridge))
    labels = labels * mask
    index = np.arange(1, n + 1)
    mass = np.asarray(ndimage.sum(weight, labels, index=index), float)
    area = np.asarray(ndimage.sum(mask, labels, index=index), float)
    boxes = ndimage.find_objects(labels, max_label=n)
    return labels, boxes, mass, mass / np.maximum(area, 1)


def _frame_spanning(box, shape) -> bool:
    """Touches the border and spans over half the frame: a page or shadow edge, or a neighbour
    cut by the frame, unless it holds most of the ink."""
    h, w = shape
    at_border = box[0].start == 0 or box[1].start == 0 or box[0].stop == h or box[1].stop == w
    return at_border and (box[0].stop - box[0].start > 0.5 * h or box[1].stop - box[1].start > 0.5 * w)


def find_digit(mask: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, dict]:
    """The digit's strokes in an ink mask (weight: the flattened intensity). Returns (mask of the
    digit, evidence) where evidence says how much was set aside: kept_share (the digit's share of
    all ink that is not a ruled line), lines_share (ink taken for ruled lines) and n_parts (groups
    of strokes found): the verdict uses them to judge the upload, not only what was kept.

    Order: (1) the ink's heaviest group, if it holds at least half of the ink, is the digit,
    wherever it lies (a tight crop's digit spans the frame); else the heaviest group that does not
    span the frame from its border. (2) Straight runs are ruled lines only if they are at least
    1.5x longer than that digit along their direction and no thicker than 1.5x its strokes.
    (3) Groups close to the digit (within a quarter of its size) with at least 2% of its ink and
    at least half its intensity (the same pen, not show-through) join it."""
    from scipy import ndimage

    # specks (sensor noise, JPEG blocks, paper fibres) go first: bridged together they could
    # outweigh a thin pen line. A 1-px pen line 20 px long is no speck.
    specks, n = ndimage.label(mask, structure=np.ones((3, 3)))
    mask = mask & (np.bincount(specks.ravel(), minlength=n + 1) > max(1, (max(mask.shape) / 250) ** 2))[specks]
    weight = weight * mask
    runs = straight_runs(mask)
    if runs.any() and (mask & ~runs).sum() > 0.2 * mask.sum():  # never all the ink
        rest = mask & ~runs
        digit_box = _main_box(rest, weight * rest)
        lines, n = ndimage.label(runs)
        keep_line = np.zeros(n + 1, bool)
        if digit_box is not None:
            width = stroke_width(rest[digit_box])
            extent = (digit_box[0].stop - digit_box[0].start, digit_box[1].stop - digit_box[1].start)
            for i, box in enumerate(ndimage.find_objects(lines), start=1):
                along = int(np.argmax([box[0].stop - box[0].start, box[1].stop - box[1].start]))
                length = box[along].stop - box[along].start
                thickness = (lines[box] == i).sum() / max(length, 1)
                # a ruled line is far longer than the digit, no thicker than its strokes, and thin
                # for its length (a tight crop's straight stroke is 5-15% as thick as it is long)
                keep_line[i] = length < 1.5 * extent[along] or thickness > min(1.5 * max(width, 1.0), 0.04 * length)
        runs = runs & ~keep_line[lines]
    else:
        runs = np.zeros_like(mask)
    lines_share = float(weight[runs].sum() / max(weight.sum(), 1e-6))
    mask = mask & ~runs
    labels, boxes, mass, intensity = _components(mask, weight)
    evidence = {"kept_share": 0.0, "lines_share": lines_share, "n_parts": len(mass)}
    if len(mass) == 0 or mass.max() <= 0:
        return np.zeros_like(mask), evidence
    main = _choose(boxes, mass, mask.shape)
    (top, bottom), (left, right) = (
        (boxes[main][0].start, boxes[main][0].stop),
        (boxes[main][1].start, boxes[main][1].stop),
    )
    reach = 0.25 * max(bottom - top, right - left)
    keep = np.zeros(len(mass) + 1, bool)
    for i, box in enumerate(boxes):
        gap = max(0, box[0].start - bottom, top - box[0].stop, box[1].start - right, left - box[1].stop)
        same_pen = intensity[i] >= 0.5 * intensity[main]
        keep[i + 1] = i == main or (mass[i] > 0.02 * mass[main] and gap <= reach and same_pen)
    evidence["kept_share"] = float(mass[keep[1:]].sum() / mass.sum())
    return mask & keep[labels], evidence


def _choose(boxes, mass, shape) -> int:
    """Index of the digit's group: the heaviest if it holds half the ink or more; else the
    heaviest that keeps off the border (page and shadow edges, a shadow's corner, a neighbour
    cut by the frame all touch it), else the heaviest that does not span the frame."""
    order = np.argsort(-mass)
    if mass[order[0]] >= 0.5 * mass.sum():
        return int(order[0])
    h, w = shape
    inside = [
        i
        for i in order
        if boxes[i][0].start > 0 and boxes[i][1].start > 0 and boxes[i][0].stop < h and boxes[i][1].stop < w
    ]
    if inside and mass[inside[0]] > 0.1 * mass[order[0]]:
        return int(inside[0])
    inside = [i for i in order if not _frame_spanning(boxes[i], shape)]
    return int(inside[0]) if inside else int(order[0])


def _main_box(mask: np.ndarray, weight: np.ndarray):
    """The bounding box (slices) of the digit's group in `mask`, or None when it is empty."""
    labels, boxes, mass, _ = _components(mask, weight)
    if len(mass) == 0 or mass.max() <= 0:
        return None
    return boxes[_choose(boxes, mass, mask.shape)]
