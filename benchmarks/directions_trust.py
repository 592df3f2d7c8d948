"""Trust numbers of every built-in attribute direction (aelib.explore.directions) on every shipped image model.

    python benchmarks/directions_trust.py [--checkpoints DIR] [--seed 0]

Per model and direction: the bootstrap spread of the direction (median and 90th percentile angle,
degrees, 50 resamples), the held-out R^2 of the property from the projection on it (30 % of the
bundle's codes), the property measured on images decoded at slider steps -3..3 std (16 probe codes;
monotonic?, Spearman's rho), the share of probes still read as their own class at the ends of the
range (the majority label of its 5 nearest bundle codes; '-' without labels or for a conditional
model), the largest change of another measure over the range (in standard deviations of that
measure on the bundle's images), the trust level and the seconds taken. Last line JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aelib.explore.directions import checkpoint_directions
from aelib.io.checkpoint import open_checkpoint
from aelib.io.zoo import list_checkpoints


def row(model_id: str, direction, seconds: float) -> dict:
    trust, check = direction.trust, direction.trust.decode
    others = {k: v for k, v in check.changes.items() if k != direction.name}
    worst = max(others, key=lambda k: abs(others[k]), default=None)
    return {
        "model": model_id,
        "direction": direction.name,
        "angle_median": round(trust.angle_median, 2),
        "angle_90": round(trust.angle_90, 2),
        "heldout_r2": round(trust.heldout, 3),
        "decoded": [round(float(v), 3) for v in check.values],
        "monotonic": check.monotonic,
        "rho": round(check.rank_correlation, 3),
        "change_std": round(check.changes[direction.name], 2),
        "class_kept_ends": None
        if check.class_kept is None
        else [round(float(check.class_kept[i]), 2) for i in (0, -1)],
        "other_change": None if worst is None else [worst, round(others[worst], 2)],
        "level": trust.level,
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoints", default=str(ROOT / "checkpoints"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    entries, _ = list_checkpoints(args.checkpoints)
    rows = []
    head = (
        f"{'model':26} {'direction':10} {'angle med/90':>13} {'R^2':>6} {'decoded at -3 .. +3 std':>24} "
        f"{'mono':>5} {'rho':>5} {'chg':>5} {'class kept':>10} {'largest other change':>22} {'trust':>6} {'s':>5}"
    )
    print(head)
    for entry in entries:
        if entry.kind != "image":
            continue
        start = time.perf_counter()
        checkpoint = open_checkpoint(entry.path)
        directions = checkpoint_directions(checkpoint, random_state=args.seed)
        seconds = (time.perf_counter() - start) / max(len(directions), 1)
        for direction in directions:
            r = row(entry.id, direction, seconds)
            rows.append(r)
            ends = f"{r['decoded'][0]:.3g} .. {r['decoded'][-1]:.3g}"
            kept = "-" if r["class_kept_ends"] is None else "{:.2f}/{:.2f}".format(*r["class_kept_ends"])
            other = "-" if r["other_change"] is None else f"{r['other_change'][0]} {r['other_change'][1]:+.2f}"
            print(
                f"{r['model']:26} {r['direction']:10} {r['angle_median']:6.2f}/{r['angle_90']:<6.2f} "
                f"{r['heldout_r2']:6.3f} {ends:>24} {'yes' if r['monotonic'] else 'no':>5} {r['rho']:5.2f} "
                f"{r['change_std']:+5.2f} {kept:>10} {other:>22} {r['level']:>6} {r['seconds']:5.1f}"
            )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
