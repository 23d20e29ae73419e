"""numba kernels of the unwrapping hot loops (twins of :mod:`._reference`, compared bit for bit in tests).

Pixels are processed in blocks (one block per task, reads in order inside it, pixels innermost) so the
inner loop is contiguous and vectorises; ``L`` is a power of two (a mask replaces the modulo).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["temporal", "hierarchical", "best", "BLOCK"]

BLOCK = 256


@numba.njit(parallel=True, cache=True, nogil=True)
def temporal(y, L, out):  # pragma: no cover - compiled
    S, N = y.shape
    mask = L - 1
    nb = (N + BLOCK - 1) // BLOCK
    for b in numba.prange(nb):
        p0 = b * BLOCK
        p1 = min(N, p0 + BLOCK)
        for p in range(p0, p1):
            out[0, p] = 0
        for s in range(1, S):
            for p in range(p0, p1):
                out[s, p] = out[s - 1, p] + ((np.int64(y[s, p]) - np.int64(y[s - 1, p])) & mask)


@numba.njit(cache=True, nogil=True)
def _hier_block(y, L, counts, flags, s0, rlong, rshort, flong, fshort, use_short, p0, p1):  # pragma: no cover
    S = y.shape[0]
    mask = L - 1
    inv = 1.0 / L
    for s in range(s0, S):
        r = rlong[s]
        if r < 0:  # no history yet: temporal
            for p in range(p0, p1):
                counts[s, p] = counts[s - 1, p] + ((np.int64(y[s, p]) - np.int64(y[s - 1, p])) & mask)
                flags[s, p] = False
            continue
        q = rshort[s]
        fl = flong[s]
        fs = fshort[s]
        for p in range(p0, p1):
            d = (np.int64(y[s, p]) - np.int64(y[s - 1, p])) & mask
            c1 = counts[s - 1, p]
            k = np.int64(max(np.floor((np.float64(c1 - counts[r, p]) * fl - d) * inv + 0.5), 0.0))
            ks = np.int64(max(np.floor((np.float64(c1 - counts[q, p]) * fs - d) * inv + 0.5), 0.0))
            f = k != ks
            if f and use_short:
                k = ks
            counts[s, p] = c1 + d + k * L
            flags[s, p] = f


@numba.njit(parallel=True, cache=True, nogil=True)
def hierarchical(y, L, counts, flags, s0, rlong, rshort, flong, fshort, use_short):  # pragma: no cover
    N = y.shape[1]
    for b in numba.prange((N + BLOCK - 1) // BLOCK):
        _hier_block(y, L, counts, flags, s0, rlong, rshort, flong, fshort, use_short, b * BLOCK,
                    min(N, b * BLOCK + BLOCK))


@numba.njit(parallel=True, cache=True, nogil=True)
def best(y, L, counts, flags, rlong, rshort, flong, fshort, fnext, fprev, s0, prev, cur):  # pragma: no cover
    """Twin of :func:`._reference.best_ref`: one pass over the reads per block of pixels (state in place)."""
    S, N = y.shape
    mask = L - 1
    shift = np.int64(0)
    while (np.int64(1) << shift) < L:
        shift += 1
    inv = 1.0 / L
    for b in numba.prange((N + BLOCK - 1) // BLOCK):
        p0 = b * BLOCK
        p1 = min(N, p0 + BLOCK)
        for s in range(s0, S):
            r = rlong[s]
            q = rshort[s]
            fl = flong[s]
            fs = fshort[s]
            i = s - 1
            check = i >= 2
            fn = fnext[i] if check else 0.0
            fp = fprev[i] if check else 0.0
            for p in range(p0, p1):
                d = (np.int64(y[s, p]) - np.int64(y[s - 1, p])) & mask
                c1 = counts[s - 1, p]
                k = np.int64(0)
                f = False
                if r >= 0:
                    k = np.int64(max(np.floor((np.float64(c1 - counts[r, p]) * fl - d) * inv + 0.5), 0.0))
                    ks = np.int64(max(np.floor((np.float64(c1 - counts[q, p]) * fs - d) * inv + 0.5), 0.0))
                    f = k != ks
                    if f:
                        k = ks
                nxt = d + k * L
                cs = c1 + nxt
                flags[s, p] = f
                c = cur[p]
                if check:
                    di = (np.int64(y[i, p]) - np.int64(y[i - 1, p])) & mask
                    pn = np.float64(nxt) * fn
                    ka = np.int64(max(np.floor((pn - di) * inv + 0.5), 0.0))
                    if ka != ((c - di) >> shift):
                        pm = 0.5 * (pn + np.float64(prev[p]) * fp)
                        new = di + np.int64(max(np.floor((pm - di) * inv + 0.5), 0.0)) * L
                        delta = new - c
                        counts[i, p] = c1 + delta
                        cs += delta
                        flags[i, p] = True
                        c = new
                counts[s, p] = cs
                prev[p] = c
                cur[p] = nxt
