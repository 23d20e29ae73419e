"""Small simulated stereo inputs shared by the stereo tests."""

from __future__ import annotations

import numpy as np

from spikevision.sim import simulate
from spikevision.sim.texture import natural_texture


def shifted_texture_pair(d: int, h: int = 32, w: int = 64, frames: int = 300, seed: int = 0, noise=None):
    """(left, right) SpikeStreams of one natural texture; the right camera sees every point d px to the left."""
    tex = natural_texture((h, w + d), seed=seed)
    rad = 0.05 + 0.95 * tex
    left = simulate(np.ascontiguousarray(rad[:, :w]), n_frames=frames, seed=seed, noise=noise)
    right = simulate(np.ascontiguousarray(rad[:, d: d + w]), n_frames=frames, seed=seed + 1000, noise=noise)
    return left, right


def random_pair(t: int = 60, h: int = 12, w: int = 24, seed: int = 0):
    """Random-rate (T, H, W) uint8 spike arrays (left = right rolled by 2 px)."""
    rng = np.random.default_rng(seed)
    rate = rng.random((1, h, w)) * 0.6
    right = (rng.random((t, h, w)) < rate).astype(np.uint8)
    left = np.roll(right, 2, axis=2) ^ (rng.random((t, h, w)) < 0.02).astype(np.uint8)
    return left, right
