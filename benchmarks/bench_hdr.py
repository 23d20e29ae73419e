"""HDR unwrapping speed: 8-bit modulo reads unwrapped per second ("best" and "hierarchical").

Cases: 250x400 (the vidar sensor) and 1000x1000, reads at offsets 0, 1, 5, 25 of every 50-tick
period (the benchmark schedule), per-pixel rates up to 60 fires per tick with Poisson counts.
Reference: the NumPy reference implementation of the same method (``engine="numpy"``, loops over
reads vectorised over pixels) in the same process. Target: >= 1,000 reads/s for "best" at 250x400
on 2 cores (the paper's 1000 FPS).
"""

from __future__ import annotations

import numpy as np
from _common import best_times

from spikevision.hdr import unwrap
from spikevision.sim.modulo import schedule_ticks


def reads(h: int, w: int, n_periods: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(S, h, w) uint8 readings of free-running counters and their ticks."""
    rng = np.random.default_rng(seed)
    ticks = schedule_ticks("0,1,5,25/50", 50 * n_periods - 1)
    rate = rng.uniform(0, 60, (h, w)) ** 2 / 60  # many dark pixels, some lamps
    gaps = np.diff(ticks, prepend=ticks[0])
    c = rng.integers(0, 256, (h, w), dtype=np.int64)
    y = np.empty((len(ticks), h, w), np.uint8)
    for s, g in enumerate(gaps):
        c += rng.poisson(rate * g)
        y[s] = c % 256
    return y, ticks


def run(quick: bool = False) -> list[dict]:
    rows = []
    for h, w, periods in [(250, 400, 25 if quick else 100), (1000, 1000, 4 if quick else 12)]:
        y, t = reads(h, w, periods)
        unwrap(y[:8], t[:8], 8)  # compile outside the timing
        for method in ("best", "hierarchical"):
            ours, ref = best_times([lambda m=method, y=y, t=t: unwrap(y, t, 8, method=m),
                                    lambda m=method, y=y, t=t: unwrap(y, t, 8, method=m, engine="numpy")], repeat=3)
            rows.append({"benchmark": "hdr unwrap", "case": f"{method} {h}x{w}, {len(t)} reads",
                         "ours": len(t) / ours, "reference": "NumPy reference (engine='numpy')", "ref": len(t) / ref,
                         "unit": "reads/s", "ratio": ref / ours,
                         "target": ">= 1,000 reads/s at 250x400" if (h, method) == (250, "best") else None})
    return rows


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
