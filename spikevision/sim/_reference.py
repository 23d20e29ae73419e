"""NumPy reference of the integrate-and-fire kernels: one tick at a time, natural (H*W) layout.

This is the slow, obvious form the compiled kernels (:mod:`._kernels`) are
tested against bit for bit. Per tick and pixel (float32, in this order)::

    mu  = (c0 + w * cd) + dark                      # charge of this tick (linear interpolation)
    inc = max(mu + sqrt(mu * shot_scale) * z1, 0)   # photon shot noise (variance = mean, in electrons)
    inc = inc * dead_factor   if the pixel fired on the previous tick   # reset dead time
    a   = min(acc + inc, full_well)
    th  = thr + jit * z2                            # threshold with per-tick jitter
    s   = a >= th;  acc = a - th (subtract) or 0 (zero) where s

The noise-free form is the same with ``dark = 0``, ``thr = theta`` and no
random terms. ``z1``, ``z2`` come from :mod:`._rng` keyed by (seed, tick, pixel).
"""

from __future__ import annotations

import numpy as np

from . import _rng

__all__ = ["step_clean", "step_noisy"]


def step_clean(acc: np.ndarray, charges: np.ndarray, k0: np.ndarray, k1: np.ndarray, w: np.ndarray,
               theta: np.float32, full_well: np.float32, zero_reset: bool) -> np.ndarray:
    """Run ``len(w)`` noise-free ticks in place on ``acc`` (flat float32); return (n, npix) uint8 spikes.

    Tick t interpolates keyframe charges ``charges[k0[t]]`` -> ``charges[k1[t]]`` (K, npix) at weight ``w[t]``.
    """
    out = np.empty((len(w), acc.size), dtype=np.uint8)
    for t, wt in enumerate(np.asarray(w, dtype=np.float32)):
        c0 = charges[k0[t]]
        cd = charges[k1[t]] - c0
        a = np.minimum(acc + (c0 + wt * cd), full_well)
        s = a >= theta
        acc[:] = np.where(s, np.float32(0.0) if zero_reset else a - theta, a)
        out[t] = s
    return out


def step_noisy(acc: np.ndarray, last: np.ndarray, charges: np.ndarray, k0: np.ndarray, k1: np.ndarray,
               w: np.ndarray, dark: np.ndarray, thr: np.ndarray, jit: np.ndarray, tick0: int, seed: int,
               shot_scale: np.float32,
               dead_factor: np.float32, full_well: np.float32, zero_reset: bool, use_shot: bool,
               use_jitter: bool, use_dead: bool) -> np.ndarray:
    """Run ``len(w)`` noisy ticks in place on ``acc``/``last``; return (n, npix) uint8 spikes."""
    keys = _rng.pixel_keys(acc.size)
    out = np.empty((len(w), acc.size), dtype=np.uint8)
    zero = np.float32(0.0)
    for t, wt in enumerate(np.asarray(w, dtype=np.float32)):
        z1, z2 = _rng.normal_pair(_rng.words(_rng.tick_key(seed, _rng.STREAM_NOISE, tick0 + t), keys))
        c0 = charges[k0[t]]
        cd = charges[k1[t]] - c0
        mu = (c0 + wt * cd) + dark
        inc = np.maximum(mu + np.sqrt(mu * shot_scale) * z1, zero) if use_shot else mu
        if use_dead:
            inc = np.where(last != 0, inc * dead_factor, inc)
        a = np.minimum(acc + inc, full_well)
        th = thr + jit * z2 if use_jitter else thr
        s = a >= th
        acc[:] = np.where(s, zero if zero_reset else a - th, a)
        last[:] = s
        out[t] = s
    return out
