"""Compiled CPU kernels (numba) of the spike-timing stereo matcher.

Every kernel here has a NumPy twin in :mod:`spikevision.stereo._reference` that
the tests compare it against bit for bit (all arithmetic is integer).

- :func:`ring_update`: per-pixel ring of the last K spike times, from canonical packed frames.
- :func:`interval_features`: log2 mean inter-spike interval of the recent spikes (64 steps per octave).
- :func:`census`: census words of the interval map.
- :func:`cost_volume`: Hamming distance of census words + truncated L1 of the interval features.
- :func:`sgm`: semi-global matching along 4 paths (Hirschmuller 2008).
- :func:`select`: winner-take-all, sub-pixel parabola, left-right check and confidence.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["ring_update", "interval_features", "census", "cost_volume", "sgm", "select", "popcount64",
           "log2_table", "QSCALE"]

#: interval features are round(QSCALE * log2(interval in ticks))
QSCALE = 64


def log2_table(n: int) -> np.ndarray:
    """``table[x] = round(QSCALE * log2(x))`` for x in [1, n] (``table[0] = 0``), int32."""
    x = np.arange(n + 1, dtype=np.float64)
    x[0] = 1.0
    return np.rint(QSCALE * np.log2(x)).astype(np.int32)


@numba.njit(parallel=True, cache=True, nogil=True)
def ring_update(packed, t0, npix, ring, head, count):  # pragma: no cover - compiled
    """Record the spikes of packed frames ``packed`` (n, F) at times ``t0, t0 + 1, ...``.

    ``ring`` (npix, K) int64 holds the last K spike times of each pixel, ``head`` (npix,) the slot
    the next one goes to, ``count`` (npix,) how many slots are filled (at most K)."""
    n, fb = packed.shape
    k = ring.shape[1]
    n_chunks = (fb + 511) // 512
    for c in numba.prange(n_chunks):
        b0 = c * 512
        b1 = min(fb, b0 + 512)
        for i in range(n):
            t = t0 + i
            for b in range(b0, b1):
                v = packed[i, b]
                if v == 0:
                    continue
                for j in range(8):
                    if (v >> j) & 1:
                        p = b * 8 + j
                        if p < npix:
                            hd = head[p]
                            ring[p, hd] = t
                            head[p] = hd + 1 if hd + 1 < k else 0
                            if count[p] < k:
                                count[p] += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def interval_features(ring, head, count, t, window, lut, out):  # pragma: no cover - compiled
    """``out[p]`` = QSCALE log2 of pixel p's mean inter-spike interval at frame ``t``.

    Uses the spikes of the ring within the last ``window`` frames ``(t - window, t]``: with n >= 2 of them,
    ``lut[s_1 - s_n] - lut[n - 1]`` (newest s_1, oldest s_n), raised to ``lut[t - s_1]`` when the interval
    still open at ``t`` is longer (the pixel went darker); with fewer, ``lut[window]``."""
    npix, k = ring.shape
    oldest = t - window + 1
    for p in numba.prange(npix):
        n = 0
        s1 = 0
        sn = 0
        hd = head[p]
        for j in range(count[p]):
            slot = hd - 1 - j
            if slot < 0:
                slot += k
            s = ring[p, slot]
            if s < oldest or s > t:
                if s > t:
                    continue
                break
            if n == 0:
                s1 = s
            sn = s
            n += 1
        if n >= 2:
            q = lut[s1 - sn] - lut[n - 1]
            opened = lut[t - s1]
            out[p] = q if q >= opened else opened
        else:
            out[p] = lut[window]


@numba.njit(parallel=True, cache=True, nogil=True)
def census(q, radius, out):  # pragma: no cover - compiled
    """Census words of the (H, W) int32 map ``q``: bit i set where neighbour i (row-major over the
    (2r+1)^2 window, centre skipped, borders clamped) is below the centre."""
    h, w = q.shape
    for y in numba.prange(h):
        for x in range(w):
            c = q[y, x]
            word = np.uint64(0)
            bit = 0
            for dy in range(-radius, radius + 1):
                yy = min(max(y + dy, 0), h - 1)
                for dx in range(-radius, radius + 1):
                    if dy == 0 and dx == 0:
                        continue
                    xx = min(max(x + dx, 0), w - 1)
                    if q[yy, xx] < c:
                        word |= np.uint64(1) << np.uint64(bit)
                    bit += 1
            out[y, x] = word


@numba.njit(cache=True, nogil=True, inline="always")
def popcount64(v):  # pragma: no cover - compiled
    """Number of set bits of a uint64 (SWAR)."""
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((v * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(parallel=True, cache=True, nogil=True)
def cost_volume(cl, cr, ql, qr, ad_div, ad_max, border, out):  # pragma: no cover - compiled
    """``out[y, x, d]`` = popcount(cl[y, x] ^ cr[y, x - d]) + min(|ql[y, x] - qr[y, x - d]| // ad_div, ad_max);
    ``border`` where x - d < 0."""
    h, w, nd = out.shape
    for y in numba.prange(h):
        for x in range(w):
            a = cl[y, x]
            qa = ql[y, x]
            for d in range(nd):
                xr = x - d
                if xr < 0:
                    out[y, x, d] = border
                else:
                    diff = qa - qr[y, xr]
                    if diff < 0:
                        diff = -diff
                    ad = diff // ad_div
                    if ad > ad_max:
                        ad = ad_max
                    out[y, x, d] = popcount64(a ^ cr[y, xr]) + ad


@numba.njit(cache=True, nogil=True, inline="always")
def _step(cost, prev, cur, nd, p1, p2):  # pragma: no cover - compiled
    """One SGM recurrence: cur[d] = C[d] + min(prev[d], prev[d+-1] + P1, min(prev) + P2) - min(prev).

    ``prev``/``cur`` hold nd + 2 entries, the first and last a large sentinel."""
    m = prev[1]
    for d in range(2, nd + 1):
        if prev[d] < m:
            m = prev[d]
    jump = m + p2
    for d in range(1, nd + 1):
        v = prev[d]
        a = prev[d - 1] + p1
        b = prev[d + 1] + p1
        if a < v:
            v = a
        if b < v:
            v = b
        if jump < v:
            v = jump
        cur[d] = cost[d - 1] + v - m


@numba.njit(parallel=True, cache=True, nogil=True)
def sgm(cost, p1, p2, out):  # pragma: no cover - compiled
    """Aggregated cost ``out`` (H, W, D) int32: the sum of the path costs along +x, -x, +y and -y."""
    h, w, nd = cost.shape
    big = 1 << 28
    for y in numba.prange(h):
        prev = np.full(nd + 2, big, np.int32)
        cur = np.full(nd + 2, big, np.int32)
        for x in range(w):
            if x == 0:
                for d in range(nd):
                    cur[d + 1] = cost[y, x, d]
            else:
                _step(cost[y, x], prev, cur, nd, p1, p2)
            for d in range(nd):
                out[y, x, d] = cur[d + 1]
            prev, cur = cur, prev
        for x in range(w - 1, -1, -1):
            if x == w - 1:
                for d in range(nd):
                    cur[d + 1] = cost[y, x, d]
            else:
                _step(cost[y, x], prev, cur, nd, p1, p2)
            for d in range(nd):
                out[y, x, d] += cur[d + 1]
            prev, cur = cur, prev
    for x in numba.prange(w):
        prev = np.full(nd + 2, big, np.int32)
        cur = np.full(nd + 2, big, np.int32)
        for y in range(h):
            if y == 0:
                for d in range(nd):
                    cur[d + 1] = cost[y, x, d]
            else:
                _step(cost[y, x], prev, cur, nd, p1, p2)
            for d in range(nd):
                out[y, x, d] += cur[d + 1]
            prev, cur = cur, prev
        for y in range(h - 1, -1, -1):
            if y == h - 1:
                for d in range(nd):
                    cur[d + 1] = cost[y, x, d]
            else:
                _step(cost[y, x], prev, cur, nd, p1, p2)
            for d in range(nd):
                out[y, x, d] += cur[d + 1]
            prev, cur = cur, prev


@numba.njit(parallel=True, cache=True, nogil=True)
def select(agg, lr_tol, disp, valid, conf):  # pragma: no cover - compiled
    """Winner-take-all on ``agg`` (H, W, D) with a parabola through the neighbours of the minimum,
    a left-right check (the right view's winner at x - d within ``lr_tol`` of d) and a confidence
    ``(c2 - c1) / c2`` (c2: the best cost more than one disparity away from the winner c1)."""
    h, w, nd = agg.shape
    for y in numba.prange(h):
        right = np.zeros(w, np.int32)
        for xr in range(w):
            best = agg[y, xr, 0]
            bd = 0
            for d in range(1, nd):
                if xr + d >= w:
                    break
                v = agg[y, xr + d, d]
                if v < best:
                    best = v
                    bd = d
            right[xr] = bd
        for x in range(w):
            best = agg[y, x, 0]
            bd = 0
            for d in range(1, nd):
                v = agg[y, x, d]
                if v < best:
                    best = v
                    bd = d
            second = -1
            for d in range(nd):
                if d < bd - 1 or d > bd + 1:
                    v = agg[y, x, d]
                    if second < 0 or v < second:
                        second = v
            sub = np.float32(bd)
            if 0 < bd < nd - 1:
                a = agg[y, x, bd - 1]
                c = agg[y, x, bd + 1]
                den = a - 2 * best + c
                if den > 0:
                    sub = np.float32(bd) + np.float32(a - c) / np.float32(2 * den)
            disp[y, x] = sub
            xr = x - bd
            ok = xr >= 0 and abs(right[xr] - bd) <= lr_tol
            valid[y, x] = ok
            if ok and second > 0:
                conf[y, x] = np.float32(second - best) / np.float32(second)
            else:
                conf[y, x] = np.float32(0.0)
