"""Faces in a user's photo, framed like the training faces before they are encoded.

Detection is scikit-image's multi-block LBP cascade with the frontal-face model it ships (trained
by OpenCV), so it works offline with no extra package. The crop around the detected face follows
each dataset's framing; when no face is found, or the user prefers, a manual crop is used.
"""

from __future__ import annotations

import numpy as np

from .imaging import resize, shrink_to
from .uploads import Prepared, working_copy

DETECT_SIDE = 400  # detection runs on a copy of this longest side: fast, and faces are large enough
# Crop around the detector's box: (crop width in box widths, shift of the crop's centre upwards in
# box heights). Calibrated by pasting 30 training faces of each dataset, enlarged 4-16x, into
# larger frames and detecting them: the medians of true crop / detected box (Olivetti 0.89 and
# 0.07 lower, 18 of 30 found; Frey 0.86 and 0.14 lower, 26 of 30 found).
FRAMING = {"olivetti": (0.89, -0.07), "frey": (0.86, -0.14)}
DEFAULT_FRAMING = (1.2, 0.0)


def detect_faces(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(top, left, height, width) of each frontal face in `gray`, largest first."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    small = shrink_to(gray, DETECT_SIDE)
    scale = small.shape[0] / gray.shape[0]
    detector = Cascade(lbp_frontal_face_cascade_filename())
    side = min(small.shape)
    found = detector.detect_multi_scale(
        small,
        scale_factor=1.15,
        step_ratio=1,
        min_size=(side // 8, side // 8),
        max_size=(side, side),
        min_neighbor_number=3,
    )
    boxes = [
        (round(f["r"] / scale), round(f["c"] / scale), round(f["height"] / scale), round(f["width"] / scale))
        for f in found
    ]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def frame_face(gray: np.ndarray, box: tuple[int, int, int, int], dataset: str, size: tuple[int, int]) -> np.ndarray:
    """Crop around a face box with the dataset's framing and the target aspect ratio, padding with
    the edge when the crop leaves the photo, and resize to `size` (H, W)."""
    top, left, h, w = box
    widths, shift = FRAMING.get(dataset, DEFAULT_FRAMING)
    crop_w = widths * w
    crop_h = crop_w * size[0] / size[1]
    cy, cx = top + h / 2 - shift * h, left + w / 2
    y0, x0 = int(round(cy - crop_h / 2)), int(round(cx - crop_w / 2))
    y1, x1 = y0 + int(round(crop_h)), x0 + int(round(crop_w))
    pad = max(0, -y0, -x0, y1 - gray.shape[0], x1 - gray.shape[1])
    padded = np.pad(gray, pad, mode="edge")
    crop = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    return resize(crop, size)


def _fit_whole(gray: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop to the target aspect ratio, then resize to `size`."""
    h, w = gray.shape
    if h / w > size[0] / size[1]:
        new_h = round(w * size[0] / size[1])
        gray = gray[(h - new_h) // 2 : (h - new_h) // 2 + new_h]
    else:
        new_w = round(h * size[1] / size[0])
        gray = gray[:, (w - new_w) // 2 : (w - new_w) // 2 + new_w]
    return resize(gray, size)


def manual_box(shape: tuple[int, int], centre: tuple[float, float], zoom: float) -> tuple[int, int, int, int]:
    """A face box from a user's crop control: centre (y, x) as fractions of the photo, zoom 1 =
    the face fills the shorter side."""
    side = min(shape) / max(zoom, 1e-3) / 1.4
    return (round(centre[0] * shape[0] - side / 2), round(centre[1] * shape[1] - side / 2), round(side), round(side))


def prepare_face(gray: np.ndarray, dataset: str, size: tuple[int, int], box=None) -> Prepared:
    """A portrait -> a face framed like `dataset`'s. box=None detects the face; a note says when
    none was found (the centre is used) or when several were (the largest is used)."""
    work = working_copy(gray)
    notes = []
    if box is None and max(work.shape) <= 2 * max(size):
        # too small to search (a detector needs ~24 px faces): already a face crop, used whole
        box = (0, 0, work.shape[0], work.shape[1])
        notes.append("a small image: taken as an already framed face")
        image = _fit_whole(work, size)
        return Prepared(image, [("grey", work), ("model input", image)], notes, face_box=box)
    if box is None:
        faces = detect_faces(work)
        if not faces:
            notes.append("no face found: the centre of the photo is used; set the crop by hand below")
            box = manual_box(work.shape, (0.5, 0.5), 1.0)
        else:
            if len(faces) > 1:
                notes.append(f"{len(faces)} faces found: the largest is used")
            box = faces[0]
    image = frame_face(work, box, dataset, size)
    marked = work.copy()
    top, left, h, w = box
    y0, x0 = max(0, top), max(0, left)
    y1, x1 = min(work.shape[0], top + h) - 1, min(work.shape[1], left + w) - 1
    thickness = max(1, max(work.shape) // 200)  # still visible in a thumbnail
    for value in (0.0, 1.0) * thickness:  # a two-tone frame shows on light and dark photos
        if y1 > y0 and x1 > x0:
            marked[y0 : y1 + 1, [x0, x1]] = value
            marked[[y0, y1], x0 : x1 + 1] = value
        y0, x0, y1, x1 = y0 + 1, x0 + 1, y1 - 1, x1 - 1
    return Prepared(image, [("grey", work), ("face found", marked), ("model input", image)], notes, face_box=box)
