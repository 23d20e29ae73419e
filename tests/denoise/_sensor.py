"""Small simulated sensors for the denoising tests: one seed, dark/flat/scene recordings and the true patterns."""

from __future__ import annotations

import functools

import numpy as np

from spikevision.sim import DarkScene, FlatScene, NoiseModel, Simulator, TextureMotion

THETA = 2.0
FLAT_LEVEL = 0.5   # radiance: the nominal pixel fires 0.25 spikes per tick


def run(scene, seed: int, noise, frames: int):
    return Simulator(scene, n_frames=frames, theta=THETA, reset="subtract", init="uniform", full_well=2.0,
                     noise=noise, seed=seed).run()


@functools.lru_cache(maxsize=8)
def sensor(h: int = 32, w: int = 48, seed: int = 3, frames: int = 2000, hot: float = 0.0, dead: float = 0.0):
    """(noise model, dark stream, flat stream, true D, true G) of one simulated sensor."""
    nm = NoiseModel(hot_fraction=hot, dead_fraction=dead)
    dark = run(DarkScene(h, w, frames), seed, nm, frames)
    flat = run(FlatScene(h, w, frames, level=FLAT_LEVEL), seed, nm, frames)
    fp = nm.draw(h, w, seed, THETA, 20000.0)
    d, g = fp.rates(THETA)
    return nm, dark, flat, d, g, fp


def scene_pair(h: int, w: int, frames: int, seed: int, velocity=(0.0, 0.0), noise=None):
    """(scene, clean twin, noisy stream) of a texture."""
    sc = TextureMotion(h, w, frames, seed=seed, velocity=velocity)
    return sc, run(sc, seed, None, frames), run(sc, seed, noise or NoiseModel(), frames)


def if_train(rates: np.ndarray, frames: int, phase=None) -> np.ndarray:
    """Noise-free integrate-and-fire spikes (frames, H, W) at constant ``rates`` (spikes per tick)."""
    acc = np.zeros(rates.shape) if phase is None else np.array(phase, float)
    out = np.zeros((frames,) + rates.shape, np.uint8)
    for t in range(frames):
        acc += rates
        f = acc >= 1
        acc[f] -= 1
        out[t] = f
    return out
