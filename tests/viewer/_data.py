"""Small deterministic spike recordings for the viewer tests."""

from __future__ import annotations

import numpy as np


def if_spikes(t: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """Integrate-and-fire spikes of a static scene (horizontal ramp x vertical bands) plus a moving bright bar."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    base = 0.05 + 0.6 * x / max(1, w - 1) * (0.6 + 0.4 * (np.sin(y / 3.0) > 0))
    acc = rng.random((h, w))
    out = np.empty((t, h, w), np.uint8)
    for k in range(t):
        light = base.copy()
        col = (k // 4) % w
        light[:, col] = 0.95
        acc += light
        fired = acc >= 1.0
        acc -= fired
        out[k] = fired
    return out
