"""Compiled integrate-and-fire kernels (numba), the fast twins of :mod:`._reference`.

State and per-pixel inputs are kept in a *bit-plane* layout ``(8, nbytes)``:
element ``[i, b]`` is canonical pixel ``k = 8*b + i``. For a fixed ``i`` the loop
over ``b`` is contiguous and vectorises, and the spike of pixel ``8b+i`` goes
straight into bit ``i`` of output byte ``b``, so the kernels write canonical
packed frames (see :mod:`spikevision._bits`) without an unpacked pass. Each
parallel work item copies the state of its chunk of pixels into local buffers
(no aliasing, so the loops vectorise), runs all ticks, and copies it back.

The arithmetic (float32, same operation order, no fused multiply-add) and the
counter-based random numbers (:mod:`._rng`) are those of the NumPy reference,
so both produce bit-identical spikes.
"""

from __future__ import annotations

import numba
import numpy as np

from ._rng import PAIR_SCALE, _sm64, _tick_key

__all__ = ["to_planes", "from_planes", "run_clean", "run_noisy", "CHUNK"]

#: output bytes per parallel work item (8 * CHUNK pixels; the state of a chunk stays in L1/L2)
CHUNK = 256


def to_planes(a: np.ndarray, fill: float = 0.0, dtype=np.float32, out: np.ndarray | None = None) -> np.ndarray:
    """(H, W) or flat per-pixel values -> contiguous (8, nbytes) bit-plane layout (padding = ``fill``).

    With ``out`` (an (8, nbytes) array, e.g. a keyframe slot) the planes are written there, without a copy.
    """
    flat = np.asarray(a, dtype=dtype).reshape(-1)
    nb = (flat.size + 7) // 8
    if flat.size != nb * 8:
        flat = np.concatenate([flat, np.full(nb * 8 - flat.size, fill, dtype=dtype)])
    if out is None:
        return np.ascontiguousarray(flat.reshape(nb, 8).T)
    out[...] = flat.reshape(nb, 8).T
    return out


def from_planes(p: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`to_planes`: the first ``n`` pixels as a flat array."""
    return np.ascontiguousarray(p.T).reshape(-1)[:n]


@numba.njit(parallel=True, cache=True, nogil=True)
def run_clean(acc, charges, k0, k1, w, theta, full_well, zero_reset, out):  # pragma: no cover - compiled
    """Noise-free ticks: ``c0, c1 = charges[k0[t]], charges[k1[t]]``; ``a = min(acc + (c0 + w[t]*(c1 - c0)),
    full_well)``; fire at ``a >= theta``. ``charges`` is (K, 8, nbytes) keyframe charge per tick."""
    nb = acc.shape[1]
    n = w.shape[0]
    nch = (nb + CHUNK - 1) // CHUNK
    zero = np.float32(0.0)
    for ci in numba.prange(nch):
        b0 = ci * CHUNK
        m = min(nb, b0 + CHUNK) - b0
        A = np.zeros((8, CHUNK), np.float32)
        for i in range(8):
            for b in range(m):
                A[i, b] = acc[i, b0 + b]
        bits = np.empty(CHUNK, np.uint8)
        for t in range(n):
            wt = w[t]
            for b in range(CHUNK):
                bits[b] = 0
            for i in range(8):
                bit = np.uint8(1) << np.uint8(i)
                c0 = charges[k0[t], i, b0 : b0 + m]
                c1 = charges[k1[t], i, b0 : b0 + m]
                for b in range(m):
                    a = min(A[i, b] + (c0[b] + wt * (c1[b] - c0[b])), full_well)
                    s = a >= theta
                    A[i, b] = ((zero if zero_reset else a - theta) if s else a)
                    bits[b] |= bit if s else np.uint8(0)
            row = out[t]
            for b in range(m):
                row[b0 + b] = bits[b]
        for i in range(8):
            for b in range(m):
                acc[i, b0 + b] = A[i, b]


@numba.njit(parallel=True, cache=True, nogil=True)
def run_noisy(acc, last, charges, k0, k1, w, dark, thr, jit, tick0, seed, shot_scale, dead_factor, full_well,
              zero_reset, use_shot, use_jitter, use_dead, out):  # pragma: no cover - compiled
    """Ticks with the circuit noise model (formula: :mod:`._reference`)."""
    nb = acc.shape[1]
    n = w.shape[0]
    nch = (nb + CHUNK - 1) // CHUNK
    zero = np.float32(0.0)
    m16 = np.uint64(0xFFFF)
    gold = np.uint64(0x9E3779B97F4A7C15)
    rand = use_shot or use_jitter
    for ci in numba.prange(nch):
        b0 = ci * CHUNK
        m = min(nb, b0 + CHUNK) - b0
        A = np.zeros((8, CHUNK), np.float32)
        DK = np.zeros((8, CHUNK), np.float32)
        TH = np.full((8, CHUNK), np.inf, np.float32)
        JS = np.zeros((8, CHUNK), np.float32)
        L = np.zeros((8, CHUNK), np.uint8)
        KB = np.zeros((8, CHUNK), np.uint64)
        for i in range(8):
            for b in range(m):
                A[i, b] = acc[i, b0 + b]
                DK[i, b] = dark[i, b0 + b]
                TH[i, b] = thr[i, b0 + b]
                JS[i, b] = jit[i, b0 + b]
                L[i, b] = last[i, b0 + b]
                KB[i, b] = np.uint64(8 * (b0 + b) + i + 1) * gold
        Z1 = np.zeros(CHUNK, np.float32)
        Z2 = np.zeros(CHUNK, np.float32)
        bits = np.empty(CHUNK, np.uint8)
        for t in range(n):
            key = _tick_key(seed, np.uint64(2), np.uint64(tick0 + t))
            wt = w[t]
            for b in range(CHUNK):
                bits[b] = 0
            for i in range(8):
                if rand:
                    for b in range(CHUNK):
                        h = _sm64(key ^ KB[i, b])
                        lo = np.int64((h & m16) + ((h >> np.uint64(16)) & m16))
                        hi = np.int64(((h >> np.uint64(32)) & m16) + (h >> np.uint64(48)))
                        Z1[b] = np.float32(lo - 65535) * PAIR_SCALE
                        Z2[b] = np.float32(hi - 65535) * PAIR_SCALE
                bit = np.uint8(1) << np.uint8(i)
                c0 = charges[k0[t], i, b0 : b0 + m]
                c1 = charges[k1[t], i, b0 : b0 + m]
                for b in range(m):
                    mu = (c0[b] + wt * (c1[b] - c0[b])) + DK[i, b]
                    inc = mu
                    if use_shot:
                        inc = max(mu + np.sqrt(mu * shot_scale) * Z1[b], zero)
                    if use_dead:
                        inc = inc * dead_factor if L[i, b] else inc
                    a = min(A[i, b] + inc, full_well)
                    th = TH[i, b]
                    if use_jitter:
                        th = th + JS[i, b] * Z2[b]
                    s = a >= th
                    A[i, b] = ((zero if zero_reset else a - th) if s else a)
                    L[i, b] = np.uint8(s)
                    bits[b] |= bit if s else np.uint8(0)
            row = out[t]
            for b in range(m):
                row[b0 + b] = bits[b]
        for i in range(8):
            for b in range(m):
                acc[i, b0 + b] = A[i, b]
                last[i, b0 + b] = L[i, b]
