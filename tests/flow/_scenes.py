"""Small simulated flow scenes for the flow tests (noise-free and noisy spikes with exact ground truth)."""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def scene_spikes(kind: str = "translate", noisy: bool = False, h: int = 48, w: int = 64, frames: int = 260,
                 seed: int = 3):
    """(spikes (T, H, W) uint8, scene) of a small scene simulated at the benchmark's settings."""
    from spikevision.sim import MovingObjects, NoiseModel, Simulator, TextureMotion

    if kind == "translate":
        scene = TextureMotion(h, w, frames, seed=seed, velocity=(0.08, -0.03), texture_size=128)
    elif kind == "rotate_zoom":
        scene = TextureMotion(h, w, frames, seed=seed, velocity=(0.02, 0.01), rotation=1e-3, zoom=3e-4,
                              texture_size=128)
    elif kind == "static":
        scene = TextureMotion(h, w, frames, seed=seed, velocity=(0.0, 0.0), texture_size=128)
    elif kind == "shift":   # 0.1 px per frame: whole-pixel displacements for dt = 10, 20
        scene = TextureMotion(h, w, frames, seed=seed, velocity=(0.1, -0.05), texture_size=128)
    elif kind == "objects":
        scene = MovingObjects(h, w, frames, seed=seed, n_objects=2, speed=(0.03, 0.05))
    else:
        raise ValueError(kind)
    sim = Simulator(scene, n_frames=frames, theta=2.0, reset="subtract", init="uniform", full_well=2.0,
                    noise=NoiseModel() if noisy else None, seed=seed)
    spikes = sim.run().unpack()
    spikes.setflags(write=False)
    return spikes, scene


def interior(a: np.ndarray, margin: int = 6) -> np.ndarray:
    return a[margin:-margin, margin:-margin]
