"""Named directions in latent space ("thicker strokes", "3 towards 8", your own selection) and how far
to trust them (Latent Space Cartography, Liu et al. 2019; plat's attribute vectors, White 2016).

A direction is estimated four ways: the difference of two class means (from_classes), the same for
two selections of codes (from_selections), a ridge regression of a measured property on the codes
(from_property, with aelib.explore.attributes' measures), or a vector typed in (from_vector). Its trust has
three parts: the spread of the direction over bootstrap resamples (angle in degrees), how well the
projection on it predicts the attribute on held-out codes (balanced accuracy or R^2), and a decode
check (decode_check): the property measured on images decoded along the direction against the step,
whether it rises monotonically, and what else changes (the class a probe reads, by the labels of its
nearest codes, and the other measures). Numpy only (see aelib.explore.attributes).

Shapes: codes (N, D) float32, labels (N,) int, values (N,) float, a direction's vector (D,) unit.
A slider reads `position`, in std of the codes along the direction from their mean, and `move` sets
it (as aelib.explore.latent.PrincipalAxes.set_principal does for a principal direction); `shift` adds steps (an edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io.bundle import Bundle
from . import attributes

DIRECTION_RANGE = 3.0  # sliders run over +-3 standard deviations of the codes along the direction
STEPS = np.linspace(-DIRECTION_RANGE, DIRECTION_RANGE, 7)


@dataclass
class DecodeCheck:
    """The property measured on images decoded along a direction, over the slider's range."""

    measure: str
    steps: np.ndarray  # (S,) slider positions, std along the direction
    values: np.ndarray  # (S,) the property's mean over the probe codes at each step
    monotonic: bool  # values never fall from one step to the next, and end higher than they start
    rank_correlation: float  # Spearman's rho of step against the property, over every probe image
    class_kept: np.ndarray | None = None  # (S,) share of probes still read as their own class
    changes: dict[str, float] = field(default_factory=dict)  # measure -> (last - first step) / its spread


@dataclass
class Trust:
    """angle_median / angle_90: median and 90th percentile angle (degrees) between the direction and
    its bootstrap re-estimates; heldout: balanced accuracy (classes, chance 0.5) or R^2 (property,
    chance 0) of the projection on held-out codes; None where it cannot be measured (a typed vector)."""

    angle_median: float | None = None
    angle_90: float | None = None
    heldout: float | None = None
    heldout_kind: str = ""  # "accuracy" or "R^2"
    decode: DecodeCheck | None = None

    @property
    def level(self) -> str:
        """'high', 'medium' or 'low' (or 'unknown' with nothing measured), the weakest part deciding."""
        good = {"accuracy": (0.9, 0.65), "R^2": (0.5, 0.15)}.get(self.heldout_kind, (0, 0))
        parts = [] if self.angle_90 is None else [2 if self.angle_90 <= 10 else 1 if self.angle_90 <= 30 else 0]
        if self.heldout_kind:  # too few codes to hold some out: low
            held = -1.0 if self.heldout is None else self.heldout
            parts.append(2 if held >= good[0] else 1 if held >= good[1] else 0)
        if self.decode is not None:
            parts.append(2 if self.decode.monotonic else 1 if self.decode.rank_correlation >= 0.5 else 0)
        return "unknown" if not parts else ("low", "medium", "high")[min(parts)]


@dataclass
class Direction:
    """A unit vector (D,) in latent space with its reading: `scale` is the standard deviation of the
    codes' projections on it, `mean` (D,) their mean code, so a slider at 0 sits at the mean."""

    name: str
    vector: np.ndarray
    mean: np.ndarray
    scale: float
    method: str  # "class means", "selections", "ridge" or "typed"
    description: str = ""
    unit: str = ""  # the measured property's unit, for a property's direction
    trust: Trust | None = None

    def position(self, codes: np.ndarray) -> np.ndarray:
        """(N, D) or (D,) codes -> where they sit along the direction, in std: (N,) or ()."""
        return (np.asarray(codes, np.float32) - self.mean) @ self.vector / max(self.scale, 1e-8)

    def shift(self, codes: np.ndarray, steps) -> np.ndarray:
        """Codes (N, D) or (D,) moved by `steps` std along the direction (broadcast): an edit of a code."""
        step = np.multiply.outer(np.asarray(steps, np.float32) * self.scale, self.vector)
        return (np.asarray(codes, np.float32) + step).astype(np.float32)

    def move(self, codes: np.ndarray, steps) -> np.ndarray:
        """Codes (N, D) or (D,) moved along the direction until they read `steps` (broadcast)."""
        return self.shift(codes, np.asarray(steps, np.float32) - self.position(codes))


def angle(u: np.ndarray, v: np.ndarray) -> float:
    """Angle in degrees between two vectors (D,), 0 to 180."""
    cos = float(u @ v / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-12))
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def _unit(vector: np.ndarray) -> np.ndarray:  # (D,) / its length; ValueError for a zero vector
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm < 1e-12:
        raise ValueError("the direction is zero: the two groups have the same mean, or the vector is all zeros")
    return (np.asarray(vector, np.float64) / norm).astype(np.float32)


def _fit(codes: np.ndarray, target: np.ndarray, kind: str, alpha: float) -> np.ndarray:
    """The unit direction from codes (N, D): kind "binary" (target bool, True = group B) takes the
    difference of the group means; "regression" the gradient of a ridge fit of the target on them."""
    if kind == "binary":
        return _unit(codes[target].mean(0) - codes[~target].mean(0))
    x, y = codes - codes.mean(0), target - target.mean()  # ridge with an intercept, in closed form
    return _unit(np.linalg.solve(x.T @ x + alpha * np.eye(x.shape[1]), x.T @ y))


def _heldout(codes, target, kind, alpha, random_state) -> float | None:
    """Balanced accuracy (binary: threshold halfway between the projected training means) or R^2
    (regression: a line fitted to the training projections) on a held-out 30 % of each group's codes."""
    if kind == "binary" and min(target.sum(), (~target).sum()) < 4 or len(codes) < 10:
        return None
    rng = np.random.default_rng(random_state)
    groups = [np.flatnonzero(target), np.flatnonzero(~target)] if kind == "binary" else [np.arange(len(codes))]
    test = np.concatenate([rng.permutation(g)[: round(0.3 * len(g))] for g in groups])
    train = np.setdiff1d(np.arange(len(codes)), test)
    vector = _fit(codes[train], target[train], kind, alpha)
    p_train, p_test = codes[train] @ vector, codes[test] @ vector
    if kind == "binary":
        cut = (p_train[target[train]].mean() + p_train[~target[train]].mean()) / 2
        hit = (p_test > cut) == target[test]
        return float((hit[target[test]].mean() + hit[~target[test]].mean()) / 2)
    slope, intercept = np.polyfit(p_train, target[train], 1)
    y = target[test]
    return float(1 - ((y - slope * p_test - intercept) ** 2).sum() / max(((y - y.mean()) ** 2).sum(), 1e-12))


def estimate(
    codes, target, kind: str, name: str, method: str, *, alpha=1.0, n_bootstrap=50, random_state=0, **about
) -> Direction:
    """The direction (see _fit) with its bootstrap spread and held-out score; about: description, unit."""
    codes = np.asarray(codes, np.float64)
    target = np.asarray(target, bool if kind == "binary" else np.float64)
    vector = _fit(codes, target, kind, alpha)
    rng = np.random.default_rng(random_state)
    angles = []
    for _ in range(n_bootstrap):
        rows = rng.integers(0, len(codes), len(codes))
        if kind == "binary" and (target[rows].all() or not target[rows].any()):
            continue
        try:
            angles.append(angle(vector, _fit(codes[rows], target[rows], kind, alpha)))
        except ValueError:
            angles.append(180.0)
    spread = (float(np.median(angles)), float(np.percentile(angles, 90))) if angles else (None, None)
    heldout = _heldout(codes, target, kind, alpha, random_state)
    trust = Trust(*spread, heldout, "accuracy" if kind == "binary" else "R^2")
    return _direction(name, vector, codes, method, trust=trust, **about)


def _direction(name, vector, codes, method, **about) -> Direction:
    mean = np.asarray(codes, np.float64).mean(0)
    scale = float(np.std((np.asarray(codes, np.float64) - mean) @ vector)) or 1.0
    return Direction(name, np.asarray(vector, np.float32), mean.astype(np.float32), scale, method, **about)


def from_classes(codes, labels, a: int, b: int, name: str | None = None, **options) -> Direction:
    """From class a towards class b: the difference of their mean codes (codes of other classes are
    left out). options: n_bootstrap, random_state, description."""
    labels, codes = np.asarray(labels), np.asarray(codes)
    counts = ((labels == a).sum(), (labels == b).sum())
    if min(counts) == 0 or a == b:
        raise ValueError(f"two classes with codes are needed: class {a} has {counts[0]}, class {b} {counts[1]}")
    keep = (labels == a) | (labels == b)
    return estimate(codes[keep], labels[keep] == b, "binary", name or f"{a} → {b}", "class means", **options)


def from_selections(codes_a, codes_b, name: str = "A → B", **options) -> Direction:
    """From selection A (Na, D) towards selection B (Nb, D): the difference of their means."""
    codes = np.concatenate([np.atleast_2d(codes_a), np.atleast_2d(codes_b)])
    target = np.r_[np.zeros(len(np.atleast_2d(codes_a)), bool), np.ones(len(np.atleast_2d(codes_b)), bool)]
    return estimate(codes, target, "binary", name, "selections", **options)


def from_property(codes, values, name: str, unit: str = "", **options) -> Direction:
    """Towards more of a property (N,) measured on the codes' images: the gradient of a ridge
    regression (alpha, default 1) of the property on the codes."""
    return estimate(codes, values, "regression", name, "ridge", unit=unit, **options)


def from_vector(vector, codes, name: str = "typed") -> Direction:
    """A typed vector (D,), normalised; codes (N, D) give its reading (mean and scale). No trust
    numbers but the decode check's, which needs a measure: see decode_check."""
    vector = np.asarray(vector, np.float64).ravel()
    if vector.shape != (np.shape(codes)[1],) or not np.isfinite(vector).all():
        raise ValueError(f"the vector needs {np.shape(codes)[1]} finite numbers, got {vector.size}")
    return _direction(name, _unit(vector), codes, "typed", trust=Trust())


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho of two (N,) arrays (tied values share their mean rank); 0 if either is constant."""

    def ranks(v):
        _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
        return (np.cumsum(counts) - (counts - 1) / 2)[inverse]

    rx, ry = ranks(np.ravel(x)), ranks(np.ravel(y))
    return 0.0 if rx.std() == 0 or ry.std() == 0 else float(np.corrcoef(rx, ry)[0, 1])


def _read(what: str, images, model, direction: Direction, reader, condition) -> np.ndarray:
    """(N,) per decoded image: an aelib.explore.attributes measure; "class:K", 1 where the reader reads class
    K; or "position", the image encoded again and read along the direction (in std)."""
    from .inference import encode

    if what in attributes.MEASURES:
        return attributes.measure(what, images)
    code = encode(model, images, condition)
    if what.startswith("class:"):
        return (reader(code) == int(what[6:])).astype(np.float64)
    return direction.position(code).astype(np.float64)


def decode_check(
    model, direction: Direction, codes, measure: str, *, labels=None, reader=None, reference=None, others=(),
    steps=STEPS, n_probes: int = 16, random_state=0,
) -> DecodeCheck:  # fmt: skip
    """Decode n_probes codes (drawn from codes (N, D)) moved to each step along the direction, and
    read `measure` on the images (see _read). labels (N,): the probes' classes (a conditional model's
    condition; with reader, see attributes.class_reader, the share still read as their class). others: more
    attributes measures; `changes` scales each by its spread on reference images (M, ...)."""
    import torch

    from .inference import decode, encode

    rows = np.random.default_rng(random_state).choice(len(codes), min(n_probes, len(codes)), replace=False)
    probes, steps = np.asarray(codes, np.float32)[rows], np.asarray(steps, np.float32)
    moved = direction.move(probes[None], steps[:, None]).reshape(-1, probes.shape[1])  # (S * P, D)
    probe_labels = None if labels is None else np.asarray(labels)[rows]
    condition = np.tile(probe_labels, len(steps)) if model.is_conditional else None
    with torch.no_grad():
        images = decode(model, moved, condition)
    if measure.startswith("class:") and (reader is None or model.is_conditional):
        measure = "position"  # a conditional model's class is its condition, not read from the code
    read = {
        m: _read(m, images, model, direction, reader, condition).reshape(len(steps), -1) for m in {measure, *others}
    }
    values = read[measure].mean(1)
    rho = rank_correlation(np.repeat(steps, len(rows)), read[measure])
    kept = None
    if reader is not None and probe_labels is not None and not model.is_conditional:
        kept = (reader(encode(model, images)).reshape(len(steps), -1) == probe_labels).mean(1)
    changes = {}
    for m in [measure, *others] if reference is not None else []:
        spread = float(np.std(attributes.measure(m, reference))) if m in attributes.MEASURES else 1.0
        changes[m] = float((read[m][-1].mean() - read[m][0].mean()) / max(spread, 1e-12))
    rises = bool(np.all(np.diff(values) >= 0) and values[-1] > values[0])  # a share of classes may plateau
    return DecodeCheck(measure, steps, values, rises, rho, kept, changes)


def define(model, bundle: Bundle, dataset: str, *, classes=None, measure=None, selections=None, vector=None,
           name=None, random_state=0, n_bootstrap=50) -> Direction:  # fmt: skip
    """A direction with its full trust, on the codes of the bundle's images (aelib.io.bundle.map_points:
    the test sample and any training images it holds). Give one of: classes=(a, b) (class a towards
    b, checked by the share of decoded probes read as b); measure, an aelib.explore.attributes name (ridge on
    the measured property, checked by measuring it); selections=(rows_a, rows_b), indices into those
    points; vector (D,) typed (both checked by encoding the decoded images again: "position")."""
    from ..io.bundle import map_points

    points = map_points(bundle)
    codes, images, labels = points.codes, points.images, points.labels
    options = {"random_state": random_state, "n_bootstrap": n_bootstrap}
    if classes is not None:
        direction, read = from_classes(codes, labels, *classes, name, **options), f"class:{classes[1]}"
    elif measure is not None:
        unit = attributes.MEASURES[measure][1]
        about = f"towards more {measure} ({unit}), measured on the images (aelib.explore.attributes.{measure})"
        values = attributes.measure(measure, images)
        direction, read = from_property(codes, values, name or measure, unit, description=about, **options), measure
    elif selections is not None:
        a, b = (np.asarray(rows, int) for rows in selections)
        direction, read = from_selections(codes[a], codes[b], name or "A → B", **options), "position"
    elif vector is not None:
        direction, read = from_vector(vector, codes, name or "typed"), "position"
    else:
        raise ValueError("give classes, measure, selections or vector")
    if images is not None:  # a class direction's probes are codes of class a: do they become b's?
        many = labels is not None and len(np.unique(labels)) > 1
        probes = np.ones(len(codes), bool) if classes is None else labels == classes[0]
        direction.trust.decode = decode_check(
            model, direction, codes[probes], read, labels=None if labels is None else labels[probes],
            reader=attributes.class_reader(codes, labels) if many else None, reference=images,
            others=attributes.measures_for(dataset), random_state=random_state,
        )  # fmt: skip
    return direction


def builtin_directions(model, bundle: Bundle, dataset: str, random_state=0) -> list[Direction]:
    """The built-in directions of an image model (attributes.BUILTIN for its kind of images), each
    a ridge regression of the measured property on the codes, with its full trust (see define)."""
    if bundle.images is None:
        return []
    names = attributes.BUILTIN[attributes.image_kind(dataset)]
    return [define(model, bundle, dataset, measure=m, random_state=random_state) for m in names]


_CACHE: dict[tuple, list[Direction]] = {}


def checkpoint_directions(checkpoint, random_state=0) -> list[Direction]:
    """builtin_directions of an opened checkpoint (aelib.io.checkpoint.open_checkpoint), computed on first
    use and cached per file (path, size, modification time); [] for a series or table model."""
    header = checkpoint.header
    bundle = checkpoint.bundle
    if header["dataset"].get("kind", "image") != "image" or bundle is None or bundle.images is None:
        return []
    path = Path(checkpoint.path)
    stat = path.stat() if path.is_file() else None  # a model made in this session: no cache
    key = (str(path), stat.st_size, stat.st_mtime_ns, random_state) if stat else None
    if key not in _CACHE:
        found = builtin_directions(checkpoint.model, checkpoint.bundle, header["dataset"]["name"], random_state)
        _CACHE.update({key: found} if key else {})
        return found
    return _CACHE[key]


def trust_text(direction: Direction) -> str:
    """One line: 'high trust: bootstrap spread 3.7° (90 %), held-out R^2 0.69, decoding raises thickness'."""
    t, parts = direction.trust or Trust(), []
    if t.angle_90 is not None:
        parts.append(f"bootstrap spread {t.angle_90:.1f}° (90 %)")
    if t.heldout is not None:
        parts.append(f"held-out {t.heldout_kind} {t.heldout:.2f}")
    if t.decode is not None:
        parts.append(f"decoding {'raises' if t.decode.monotonic else 'does not steadily raise'} {t.decode.measure}")
    return f"{t.level} trust" + (": " + ", ".join(parts) if parts else "")


def slider_args(directions: list[Direction], reach: float = DIRECTION_RANGE) -> dict:
    """The live panel's attribute sliders (latent_control.live_generate), JSON-ready: range, and per
    direction its name, mean (D,), vector (D,), std (its scale) and trust {level, detail}. A slider
    reads and sets a code as Direction.position and .move do (maths.js: toPrincipal, setPrincipal)."""

    def one(d: Direction) -> dict:
        trust = {"level": (d.trust or Trust()).level, "detail": trust_text(d)}
        return {"name": d.name, "mean": d.mean.tolist(), "vector": d.vector.tolist(), "std": d.scale, "trust": trust}

    return {"range": reach, "list": [one(d) for d in directions]}
