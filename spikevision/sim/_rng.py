"""Counter-based random numbers shared by the NumPy reference and the numba kernels.

Every per-tick random draw of the simulator is a pure function of
``(seed, tick, pixel)``, so the NumPy and the compiled kernels produce
bit-identical streams, blocks can be generated in any order, and a noisy
stream and its clean twin share the initial accumulator.

The hash is the SplitMix64 finaliser (Steele, Lea, Flood, *Fast splittable
pseudorandom number generators*, OOPSLA 2014) of ``tick_key ^ pixel_key``
with Weyl-sequence pixel keys. One 64-bit word per pixel and tick gives two
16-bit pairs: each pair's Irwin-Hall sum, centred and scaled, is a unit
variance variate (triangular, support +-2.45 sigma). The per-tick noise
terms (photon shot noise, threshold jitter) enter the spike decision only
through sums over many ticks, which are Gaussian by the central limit
theorem; their variance is exact. Fixed patterns, drawn once, use NumPy's
exact normal generator instead (:mod:`spikevision.sim.noise`).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["splitmix64", "pixel_keys", "tick_key", "words", "normal_pair", "uniform_init", "STREAM_INIT",
           "STREAM_NOISE", "PAIR_SCALE"]

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)

STREAM_INIT = 1
STREAM_NOISE = 2

#: 1 / std of the sum of two uniform integers in [0, 65535] (mean 65535)
PAIR_SCALE = np.float32(1.0 / np.sqrt(2.0 * (65536.0**2 - 1.0) / 12.0))


@numba.njit(cache=True, inline="always")
def _sm64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True)
def _tick_key(seed, stream, tick):
    return _sm64(_sm64(seed ^ (stream * np.uint64(0x9E3779B97F4A7C15))) ^ _sm64(tick + np.uint64(1)))


def splitmix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    z = np.array(z, dtype=np.uint64, ndmin=1)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _C1
        z = (z ^ (z >> np.uint64(27))) * _C2
    return z ^ (z >> np.uint64(31))


def tick_key(seed: int, stream: int, tick: int) -> np.uint64:
    """The 64-bit key of one tick of one random stream (NumPy form of the kernels' key)."""
    s = np.uint64(int(seed) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        sk = splitmix64(np.array([s ^ (np.uint64(stream) * _GOLD)], dtype=np.uint64))
        tk = splitmix64(np.array([np.uint64(tick) + np.uint64(1)], dtype=np.uint64))
    return splitmix64(sk ^ tk)[0]


def pixel_keys(n: int) -> np.ndarray:
    """Weyl-sequence keys ``(k + 1) * 0x9E3779B97F4A7C15`` of pixels 0..n-1 (canonical order)."""
    with np.errstate(over="ignore"):
        return (np.arange(1, n + 1, dtype=np.uint64) * _GOLD).astype(np.uint64)


def words(key: np.uint64, keys: np.ndarray) -> np.ndarray:
    """One 64-bit random word per pixel for a tick key."""
    return splitmix64(np.uint64(key) ^ keys)


def normal_pair(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit-variance variates (float32) from each 64-bit word: low and high 32-bit halves."""
    m16 = np.uint64(0xFFFF)
    lo = ((h & m16) + ((h >> np.uint64(16)) & m16)).astype(np.int64)
    hi = (((h >> np.uint64(32)) & m16) + (h >> np.uint64(48))).astype(np.int64)
    return ((lo - 65535).astype(np.float32) * PAIR_SCALE, (hi - 65535).astype(np.float32) * PAIR_SCALE)


def uniform_init(seed: int, n: int) -> np.ndarray:
    """n uniform float32 values in [0, 1) from the initial-accumulator stream (24-bit resolution)."""
    h = words(tick_key(seed, STREAM_INIT, 0), pixel_keys(n))
    return (h >> np.uint64(40)).astype(np.float32) * np.float32(2.0**-24)
