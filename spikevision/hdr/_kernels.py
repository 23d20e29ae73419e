"""numba kernels of the unwrapping hot loops (twins of :mod:`._reference`, compared bit for bit in tests)."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["temporal", "hierarchical"]


@numba.njit(parallel=True, cache=True, nogil=True)
def temporal(y, L, out):  # pragma: no cover - compiled
    S, N = y.shape
    for p in numba.prange(N):
        c = np.int64(0)
        out[0, p] = 0
        for s in range(1, S):
            d = (np.int64(y[s, p]) - np.int64(y[s - 1, p])) % L
            c += d
            out[s, p] = c


@numba.njit(inline="always")
def _fold(pred, d, L):  # pragma: no cover - compiled
    k = np.floor((pred - d) / L + 0.5)
    return np.int64(k) if k > 0 else np.int64(0)


@numba.njit(parallel=True, cache=True, nogil=True)
def hierarchical(y, ticks, L, counts, flags, s0, rlong, rshort, use_short):  # pragma: no cover - compiled
    S, N = y.shape
    for p in numba.prange(N):
        for s in range(s0, S):
            d = (np.int64(y[s, p]) - np.int64(y[s - 1, p])) % L
            g = np.float64(ticks[s] - ticks[s - 1])
            k = np.int64(0)
            f = False
            r = rlong[s]
            if r >= 0:
                span = np.float64(ticks[s - 1] - ticks[r])
                k = _fold(np.float64(counts[s - 1, p] - counts[r, p]) * g / span, d, L)
                q = rshort[s]
                span_s = np.float64(ticks[s - 1] - ticks[q])
                ks = _fold(np.float64(counts[s - 1, p] - counts[q, p]) * g / span_s, d, L)
                f = k != ks
                if f and use_short:
                    k = ks
            counts[s, p] = counts[s - 1, p] + d + k * L
            flags[s, p] = f
