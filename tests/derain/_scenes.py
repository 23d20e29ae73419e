"""Small simulated rain scenes with ground truth, shared by the deraining tests."""

from __future__ import annotations

import functools

import numpy as np

from spikevision.sim import RainScene, TextureMotion, expected_rate, simulate


@functools.lru_cache(maxsize=4)
def rain_case(kind: str, h: int = 48, w: int = 64, t: int = 800):
    """(spikes (T, H, W) uint8, scene), clean sensor: "static" (slow drift), "bright" (bright drops) or "pan"
    (a panning camera)."""
    density = 60 * h * w / 1e5 * 3
    if kind == "pan":
        bg = TextureMotion(h, w, t, seed=7, velocity=(0.05, 0.02), low=0.05, high=0.7)
        sc = RainScene(h, w, t, seed=7, density=density, background=bg)
    elif kind == "bright":  # drops lit well above the scene (street lights): strong contrast
        sc = RainScene(h, w, t, seed=9, density=density, brightness=3.0)
    else:
        sc = RainScene(h, w, t, seed=5, density=density)
    return simulate(sc).unpack(), sc


def truth(scene, at: int) -> np.ndarray:
    """The rain-free intensity to recover at frame ``at`` (spikes per tick)."""
    return expected_rate(scene.clean(float(at)), 2.0)


def drop_spikes(t: int = 480, h: int = 12, w: int = 16, period: int = 4):
    """A static scene firing every ``period`` ticks, with a bright drop (every tick) on rows 3-5, columns 4-7,
    frames 220-259 (40 frames, the duration of the drop)."""
    s = np.zeros((t, h, w), np.uint8)
    s[::period] = 1
    s[220:260, 3:6, 4:8] = 1
    truth_mask = np.zeros((h, w), bool)
    truth_mask[3:6, 4:8] = True
    return s, truth_mask
