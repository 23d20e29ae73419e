"""numba kernels of the unwrapping hot loops (twins of :mod:`._reference`, compared bit for bit in tests).

Pixels are processed in blocks (one block per task, reads in order inside it, pixels innermost) so the
inner loop is contiguous and vectorises; ``L`` is a power of two (a mask replaces the modulo).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["temporal", "hierarchical", "lookahead", "best", "BLOCK"]

BLOCK = 1024


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


@numba.njit(cache=True, nogil=True)
def _look_block(y, L, counts, flags, fnext, fprev, p0, p1):  # pragma: no cover - compiled
    S = y.shape[0]
    if S < 4:
        return
    mask = L - 1
    shift = np.int64(0)
    while (np.int64(1) << shift) < L:
        shift += 1
    inv = 1.0 / L
    n = p1 - p0
    prev = np.empty(n, np.int64)  # the (possibly re-chosen) increment of interval i - 1
    orig = np.empty(n, np.int64)  # the first pass's count at read i - 1
    run = np.empty(n, np.int64)  # the re-chosen count at read i - 1
    for p in range(p0, p1):
        prev[p - p0] = counts[1, p] - counts[0, p]
        orig[p - p0] = counts[1, p]
        run[p - p0] = counts[1, p]
    for i in range(2, S - 1):
        fn = fnext[i]
        fp = fprev[i]
        for p in range(p0, p1):
            j = p - p0
            o1 = counts[i, p]
            inc = o1 - orig[j]
            nxt = np.float64(counts[i + 1, p] - o1)
            d = (np.int64(y[i, p]) - np.int64(y[i - 1, p])) & mask
            ka = np.int64(max(np.floor((nxt * fn - d) * inv + 0.5), 0.0))
            if ka != ((inc - d) >> shift):
                pm = 0.5 * (nxt * fn + np.float64(prev[j]) * fp)
                inc = d + np.int64(max(np.floor((pm - d) * inv + 0.5), 0.0)) * L
                flags[i, p] = True
            run[j] += inc
            counts[i, p] = run[j]
            prev[j] = inc
            orig[j] = o1
    for p in range(p0, p1):
        counts[S - 1, p] = run[p - p0] + (counts[S - 1, p] - orig[p - p0])


@numba.njit(parallel=True, cache=True, nogil=True)
def hierarchical(y, L, counts, flags, s0, rlong, rshort, flong, fshort, use_short):  # pragma: no cover
    N = y.shape[1]
    for b in numba.prange((N + BLOCK - 1) // BLOCK):
        _hier_block(y, L, counts, flags, s0, rlong, rshort, flong, fshort, use_short, b * BLOCK,
                    min(N, b * BLOCK + BLOCK))


@numba.njit(parallel=True, cache=True, nogil=True)
def lookahead(y, L, counts, flags, fnext, fprev):  # pragma: no cover - compiled
    N = y.shape[1]
    for b in numba.prange((N + BLOCK - 1) // BLOCK):
        _look_block(y, L, counts, flags, fnext, fprev, b * BLOCK, min(N, b * BLOCK + BLOCK))


@numba.njit(parallel=True, cache=True, nogil=True)
def best(y, L, counts, flags, rlong, rshort, flong, fshort, fnext, fprev):  # pragma: no cover - compiled
    """hierarchical (with the previous-interval fallback) then the look-ahead pass, block by block (in cache)."""
    N = y.shape[1]
    for b in numba.prange((N + BLOCK - 1) // BLOCK):
        p0 = b * BLOCK
        p1 = min(N, p0 + BLOCK)
        _hier_block(y, L, counts, flags, 1, rlong, rshort, flong, fshort, True, p0, p1)
        _look_block(y, L, counts, flags, fnext, fprev, p0, p1)
