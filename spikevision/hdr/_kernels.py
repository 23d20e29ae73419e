"""numba kernels of the unwrapping hot loops (twins of :mod:`._reference`, compared bit for bit in tests)."""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["temporal", "hierarchical", "lookahead"]


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


@numba.njit(parallel=True, cache=True, nogil=True)
def lookahead(y, ticks, L, counts, flags):  # pragma: no cover - compiled
    S, N = y.shape
    if S < 4:
        return
    for p in numba.prange(N):
        orig_prev = counts[1, p]
        c = counts[1, p]
        prev_inc = counts[1, p] - counts[0, p]
        for i in range(1, S - 2):
            o1 = counts[i + 1, p]
            o2 = counts[i + 2, p]
            inc = o1 - orig_prev
            gi = np.float64(ticks[i + 1] - ticks[i])
            d = (np.int64(y[i + 1, p]) - np.int64(y[i, p])) % L
            rb = np.float64(prev_inc) / np.float64(ticks[i] - ticks[i - 1])
            ra = np.float64(o2 - o1) / np.float64(ticks[i + 2] - ticks[i + 1])
            if _fold(ra * gi, d, L) != (inc - d) // L:
                inc = d + _fold((ra + rb) / 2 * gi, d, L) * L
                flags[i + 1, p] = True
            c += inc
            counts[i + 1, p] = c
            prev_inc = inc
            orig_prev = o1
        counts[S - 1, p] = c + (counts[S - 1, p] - orig_prev)
