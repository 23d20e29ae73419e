"""Training and validation data straight from the simulator: no download.

Every training batch is a pure function of ``(seed, step)``: procedural textures (and moving objects) in
random affine motion, random exposure (gain 0.05-1.5 at theta = 2: 0.01-0.5 spikes per tick), the
calibrated circuit noise model or a clean or photon-starved sensor, a fresh sensor seed per scene, and
0.5 % hot pixels on some sensors. Ground truth is the scene's expected firing rate (spikes per tick).
Windows at the ends of a stream are mirrored in time, exactly as at inference (:func:`windows_at`).
"""

from __future__ import annotations

import numpy as np

from .net import WINDOW

__all__ = ["THETA", "windows_at", "training_batch", "make_sensor", "simulate_scene", "validation_scenes"]

THETA = 2.0


def window_indices(at: int, t_len: int, window: int = WINDOW) -> np.ndarray:
    """Frame indices of the ``window`` frames centred on ``at``, mirrored at the ends of a ``t_len`` stream."""
    idx = np.arange(at - window // 2, at + window // 2 + 1)
    if t_len == 1:
        return np.zeros_like(idx)
    period = 2 * (t_len - 1)
    idx = np.mod(idx, period)
    return np.where(idx >= t_len, period - idx, idx)


def windows_at(spikes: np.ndarray, frames: list[int] | np.ndarray, window: int = WINDOW) -> np.ndarray:
    """(N, window, H, W) uint8 windows of a (T, H, W) array around each frame of ``frames``."""
    t_len = spikes.shape[0]
    return np.stack([spikes[window_indices(int(t), t_len, window)] for t in frames]).astype(np.uint8, copy=False)


def make_sensor(kind: str):
    """The noise model of a sensor kind: "clean", "noisy" (calibrated) or "shot" (about 30 e- per threshold)."""
    from ..sim import NoiseModel

    if kind == "clean":
        return None
    if kind == "shot":
        return NoiseModel(cap_mean=4.348e-3, cap_std=1.28e-5, dark_mean=0.4442e-3, dark_std=0.1731e-3)
    return NoiseModel()


def add_hot_pixels(spikes: np.ndarray, seed: int, fraction: float = 0.005) -> np.ndarray:
    """``fraction`` of the pixels also fire at random (Bernoulli, 0.05-0.5 per tick)."""
    rng = np.random.default_rng([seed, 0xB07])
    t, h, w = spikes.shape
    hot = rng.random((h, w)) < fraction
    p = rng.uniform(0.05, 0.5, size=int(hot.sum()))
    out = spikes.copy()
    out[:, hot] |= (rng.random((t, p.size)) < p).astype(np.uint8)
    return out


def simulate_scene(scene, seed: int, gain: float, kind: str, frames: int, hot: bool = False) -> np.ndarray:
    """(T, H, W) uint8 spikes of ``scene`` (theta = 2, subtract reset, uniform initial charge)."""
    from ..sim import Simulator

    sim = Simulator(scene, n_frames=frames, theta=THETA, gain=gain, reset="subtract", init="uniform",
                    full_well=THETA, noise=make_sensor(kind), seed=seed)
    spikes = sim.run().unpack()
    return add_hot_pixels(spikes, seed) if hot else spikes


def _random_scene(rng: np.random.Generator, size: int, frames: int, seed: int):
    from ..sim import MovingObjects, TextureMotion

    if rng.random() < 0.25:
        return MovingObjects(size, size, frames, seed=seed, n_objects=int(rng.integers(1, 4)),
                             speed=(0.01, float(rng.uniform(0.03, 0.12))))
    speed = float(rng.choice([0.0, rng.uniform(0.0, 0.03), rng.uniform(0.03, 0.15)]))
    ang = rng.uniform(0, 2 * np.pi)
    return TextureMotion(size, size, frames, seed=seed, velocity=(speed * np.cos(ang), speed * np.sin(ang)),
                         rotation=float(rng.choice([0.0, rng.uniform(-5e-4, 5e-4)])),
                         zoom=float(rng.choice([0.0, rng.uniform(-2e-4, 2e-4)])),
                         low=float(rng.uniform(0.0, 0.3)), high=float(rng.uniform(0.6, 1.0)), texture_size=256)


def training_batch(seed: int, step: int, batch: int = 8, size: int = 48, scenes: int = 2,
                   frames: int = 96, window: int = WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """(batch, window, size, size) uint8 windows and (batch, size, size) float32 expected rates.

    A pure function of ``(seed, step)`` (deterministic; resumed training sees the same batches).
    """
    rng = np.random.default_rng([seed, step, 0x5EED])
    xs, ys = [], []
    per = -(-batch // scenes)
    for _ in range(scenes):
        sseed = int(rng.integers(0, 2**31 - 1))
        scene = _random_scene(rng, size, frames, sseed)
        gain = float(np.exp(rng.uniform(np.log(0.05), np.log(1.5))))
        kind = str(rng.choice(["clean", "noisy", "noisy", "shot"]))
        spikes = simulate_scene(scene, sseed, gain, kind, frames, hot=bool(rng.random() < 0.2))
        ts = rng.integers(0, frames, size=per)
        xs.append(windows_at(spikes, ts, window))
        ys.append(np.stack([scene.rate(float(t), theta=THETA, gain=gain) for t in ts]).astype(np.float32))
    return np.concatenate(xs)[:batch], np.concatenate(ys)[:batch]


def validation_scenes(height: int, width: int, frames: int, seed_offset: int = 0) -> list[tuple]:
    """(name, scene, seed, gain, data_range) of the benchmark's recon scenes (svbench-1 tasks "recon",
    "flow", "objects"), a static texture and a low-light drift (gain 0.1)."""
    from ..sim import TextureMotion
    from ..sim.benchmark import benchmark_entries

    o = seed_offset
    out = [("static", TextureMotion(height, width, frames, seed=11 + o, velocity=(0.0, 0.0)), 11 + o, 1.0)]
    out += [(e.id, e.scene, e.seed, 1.0) for e in benchmark_entries(height, width, frames, seed=o,
                                                                     tasks=("recon", "flow", "objects"))]
    out.append(("low drift", TextureMotion(height, width, frames, seed=22 + o, velocity=(0.01, 0.005), low=0.2),
                22 + o, 0.1))
    return [(n, s, seed, g, min(1.0, g / THETA)) for n, s, seed, g in out]
