"""Hand-made spike trains for the reconstruction tests (no simulator needed)."""

from __future__ import annotations

import numpy as np


def integrate_and_fire(radiance, frames: int, theta: float = 1.0, start=None) -> np.ndarray:
    """A tiny noise-free integrate-and-fire pixel array with subtract reset.

    Args:
        radiance: (H, W) constant charge per tick, or a function t -> (H, W).
        frames: ticks to simulate.
        theta: threshold.
        start: initial charge (H, W) (default 0).
    """
    const = None if callable(radiance) else np.asarray(radiance, float)
    rad = radiance if callable(radiance) else (lambda t: const)
    r0 = np.asarray(rad(0), float)
    acc = np.zeros(r0.shape) if start is None else np.array(start, float)
    out = np.zeros((frames,) + r0.shape, np.uint8)
    for t in range(frames):
        acc += rad(t)
        fired = acc >= theta
        acc[fired] -= theta
        out[t] = fired
    return out


def train(length: int, times) -> np.ndarray:
    """A (length, 1, 1) spike train with spikes at ``times``."""
    s = np.zeros((length, 1, 1), np.uint8)
    s[list(times), 0, 0] = 1
    return s


def random_spikes(seed: int, t: int, h: int, w: int, p: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.0, p * 2, size=(h, w))
    return (rng.random((t, h, w)) < rates).astype(np.uint8)
