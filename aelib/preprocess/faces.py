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


CONFIDENCE_LEVELS = (3, 5, 8)  # the cascade's min_neighbor_number: overlapping detections needed
FOUND_AT = 5  # a face is found when it survives this many neighbours: at 3, scikit-image's page,
# clock, retina and logo photographs, 4 of 40 Fashion-MNIST items and 1 of 40 MNIST digits (padded and
# enlarged like a small upload) yield a "face"; at 5 none do, and 38 of 40 Olivetti faces and the
# astronaut's face are still found (measured for issue #22).


def detect_faces(gray: np.ndarray, min_neighbors: int = FOUND_AT) -> list[tuple[int, int, int, int]]:
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
        min_neighbor_number=min_neighbors,
    )
    boxes = [
        (round(f["r"] / scale), round(f["c"] / scale), round(f["height"] / scale), round(f["width"] / scale))
        for f in found
    ]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def face_confidence(gray: np.ndarray) -> tuple[list, int]:
    """(faces found at the weakest level, the highest CONFIDENCE_LEVELS entry at which any face
    is still found, 0 for none): the cascade gives no score, so its agreement across overlapping
    windows stands for one."""
    faces, level = detect_faces(gray, CONFIDENCE_LEVELS[0]), 0
    for neighbours in CONFIDENCE_LEVELS:
        found = faces if neighbours == CONFIDENCE_LEVELS[0] else detect_faces(gray, neighbours)
        if not found:
            break
        level, best = neighbours, found
    return (best if level else []), level


def _enlarged(gray: np.ndarray) -> np.ndarray:
    """A small, already framed face padded by a quarter (edge pixels: the cascade needs some
    margin around a face; without it 9 of 40 Olivetti faces are found, with it 40) and enlarged
    to about 256 px (it needs faces of 24 px or more)."""
    padded = np.pad(gray, max(1, int(0.25 * max(gray.shape))), mode="edge")
    scale = max(1.0, 256 / max(padded.shape))
    return resize(padded, (round(padded.shape[0] * scale), round(padded.shape[1] * scale)))


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
    none was found (the centre is used, and the evidence says so: the verdict is then "no face
    found") or when several were (the largest is used). evidence: {"face": found, "confidence":
    the cascade's agreement level (face_confidence), "manual": a crop set by hand}."""
    work = working_copy(gray)
    notes = []
    if box is None and max(work.shape) <= 2 * max(size):
        # too small to search as it is: an already framed face, used whole if a face is found in it
        level = face_confidence(_enlarged(work))[1]
        found = level >= FOUND_AT
        notes.append("a small image: taken as an already framed face" if found else "no face found in this small image")
        image = _fit_whole(work, size)
        box = (0, 0, work.shape[0], work.shape[1])
        label = "face found" if found else "no face found"
        evidence = {"face": found, "confidence": level, "manual": False}
        return Prepared(
            image, [("grey", work), (label, work), ("model input", image)], notes, face_box=box, evidence=evidence
        )
    manual = box is not None
    level, found = 0, manual
    if box is None:
        faces, level = face_confidence(work)
        found = level >= FOUND_AT
        if not found:
            notes.append("no face found: the centre of the photo is used; set the crop by hand")
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
    label = "crop set by hand" if manual else ("face found" if found else "no face found: centre used")
    evidence = {"face": found, "confidence": level, "manual": manual}
    return Prepared(
        image, [("grey", work), (label, marked), ("model input", image)], notes, face_box=box, evidence=evidence
    )
