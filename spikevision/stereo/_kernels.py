"""Compiled CPU kernels (numba) of the spike-timing stereo matcher.

Every kernel here has a NumPy twin in :mod:`spikevision.stereo._reference` that
the tests compare it against bit for bit (all arithmetic is integer).

- :func:`ring_update`: per-pixel ring of the last K spike times, from canonical packed frames.
- :func:`interval_features`: log2 mean inter-spike interval of the recent spikes (64 steps per octave).
- :func:`box_mean`: a small box mean of the interval map (fixed-pattern noise differs between the cameras).
- :func:`census`: census words of the interval map.
- :func:`cost_volume`: Hamming distance of census words + truncated L1 of the interval features.
- :func:`sgm`: semi-global matching along 4 paths (Hirschmuller 2008).
- :func:`select`: winner-take-all, sub-pixel parabola, left-right check and confidence.
- :func:`sgm_select`: both at once in three integer passes (uint16 path costs), the one the matcher runs.
"""

from __future__ import annotations

import numba
import numpy as np

from .._intrinsics import ctz64 as _ctz64
from .._intrinsics import popcount64

__all__ = ["ring_update", "interval_features", "box_mean", "census", "cost_volume", "sgm", "select", "sgm_select",
           "agg_dtype", "popcount64", "log2_table", "QSCALE"]

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
                v = np.uint64(packed[i, b])
                while v != 0:   # the set bits, lowest first: one trailing-zero count per spike, no per-bit branch
                    p = b * 8 + _ctz64(v)
                    v &= v - np.uint64(1)
                    if p < npix:
                        hd = head[p]
                        ring[p, hd] = t
                        head[p] = hd + 1 if hd + 1 < k else 0
                        if count[p] < k:
                            count[p] += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def interval_features(ring, head, count, t, window, lut, out, adapt=0):  # pragma: no cover - compiled
    """``out[p]`` = QSCALE log2 of pixel p's mean inter-spike interval at frame ``t``.

    Uses the spikes of the ring within the last ``window`` frames ``(t - window, t]``, newest first:
    s_1 > s_2 > ...; the run stops at the first older interval that departs from the mean of the newer
    ones by more than ``adapt`` % of it plus one tick (the light changed: a moving edge; ``adapt = 0``
    keeps them all). With n >= 2 spikes kept, ``lut[s_1 - s_n] - lut[n - 1]``, raised to ``lut[t - s_1]``
    when the interval still open at ``t`` is longer (the pixel went darker); with fewer, ``lut[window]``."""
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
            elif adapt > 0 and n >= 2:
                span = s1 - sn       # n - 1 intervals kept so far
                dev = (sn - s) * (n - 1) - span
                if dev < 0:
                    dev = -dev
                if 100 * dev > adapt * span + 100 * (n - 1):
                    break
            sn = s
            n += 1
        if n >= 2:
            q = lut[s1 - sn] - lut[n - 1]
            opened = lut[t - s1]
            out[p] = q if q >= opened else opened
        else:
            out[p] = lut[window]


@numba.njit(parallel=True, cache=True, nogil=True)
def box_mean(q, radius, out):  # pragma: no cover - compiled
    """``out`` = floor mean of ``q`` (H, W) int32 over (2r+1)^2 windows, borders clamped (edge-replicated)."""
    h, w = q.shape
    n = (2 * radius + 1) * (2 * radius + 1)
    for y in numba.prange(h):
        acc = np.zeros(w, np.int64)
        for j in range(-radius, radius + 1):
            yy = min(max(y + j, 0), h - 1)
            for i in range(-radius, radius + 1):
                for x in range(w):
                    acc[x] += q[yy, min(max(x + i, 0), w - 1)]
        for x in range(w):
            out[y, x] = acc[x] // n


@numba.njit(parallel=True, cache=True, nogil=True)
def census(q, radius, out):  # pragma: no cover - compiled
    """Census words of the (H, W) int32 map ``q``: bit i set where neighbour i (row-major over the
    (2r+1)^2 window, centre skipped, borders clamped) is below the centre."""
    h, w = q.shape
    wp = w + 2 * radius
    for y in numba.prange(h):
        pad = np.empty((2 * radius + 1, wp), np.int32)   # the window's rows, edge-padded
        for j in range(2 * radius + 1):
            yy = min(max(y + j - radius, 0), h - 1)
            for x in range(wp):
                pad[j, x] = q[yy, min(max(x - radius, 0), w - 1)]
        row = out[y]
        centre = q[y]
        for x in range(w):
            row[x] = 0
        bit = 0
        for j in range(2 * radius + 1):
            pj = pad[j]
            for i in range(2 * radius + 1):
                if j == radius and i == radius:
                    continue
                b = np.uint64(bit)
                for x in range(w):
                    row[x] |= np.uint64(pj[x + i] < centre[x]) << b
                bit += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def cost_volume(cl, cr, ql, qr, ad_shift, ad_max, border, out):  # pragma: no cover - compiled
    """``out[y, x, d]`` = popcount(cl[y, x] ^ cr[y, x - d]) + min(|ql[y, x] - qr[y, x - d]| >> ad_shift, ad_max);
    ``border`` where x - d < 0. ``out`` is int16 or int32."""
    h, w, nd = out.shape
    for y in numba.prange(h):
        # the right row reversed, so that x - d for d = 0, 1, ... is read forwards: index w - 1 - x + d
        rc = cr[y, ::-1].copy()
        rq = qr[y, ::-1].copy()
        for x in range(w):
            a = cl[y, x]
            qa = ql[y, x]
            cell = out[y, x]
            top = min(nd, x + 1)
            base = w - 1 - x
            for d in range(top):
                diff = abs(qa - rq[base + d]) >> ad_shift
                cell[d] = popcount64(a ^ rc[base + d]) + min(diff, ad_max)
            for d in range(top, nd):
                cell[d] = border


def sgm(cost, p1, p2, out):
    """Aggregated cost ``out`` (H, W, D) uint16 or int32: the sum of the path costs along +x, -x, +y and -y
    (Hirschmuller 2008), through :func:`sgm_select`."""
    h, w, _ = cost.shape
    sentinel = int(cost.max(initial=0)) + 2 * int(p2) + 1
    sgm_select(cost, p1, p2, 0, sentinel, out, np.empty((h, w), np.float32), np.empty((h, w), np.bool_),
               np.empty((h, w), np.float32), True)


@numba.njit(parallel=True, cache=True, nogil=True)
def select(agg, lr_tol, disp, valid, conf):  # pragma: no cover - compiled
    """Winner-take-all on ``agg`` (H, W, D) with a parabola through the neighbours of the minimum,
    a left-right check (the right view's winner at x - d within ``lr_tol`` of d) and a confidence
    ``(c2 - c1) / c2`` (c2: the best cost more than one disparity away from the winner c1)."""
    h, w, nd = agg.shape
    for y in numba.prange(h):
        rbest = np.full(w, 1 << 30, np.int64)
        right = np.zeros(w, np.int32)
        for x in range(w):   # right pixel xr = x - d sees d in increasing order: ties keep the smallest d
            cell = agg[y, x]
            for d in range(min(nd, x + 1)):
                v = cell[d]
                if v < rbest[x - d]:
                    rbest[x - d] = v
                    right[x - d] = d
        for x in range(w):
            cell = agg[y, x]
            best = cell[0]
            bd = 0
            for d in range(1, nd):
                if cell[d] < best:
                    best = cell[d]
                    bd = d
            second = -1
            for d in range(nd):
                if d < bd - 1 or d > bd + 1:
                    v = cell[d]
                    if second < 0 or v < second:
                        second = v
            sub = np.float32(bd)
            if 0 < bd < nd - 1:
                a = cell[bd - 1]
                c = cell[bd + 1]
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


def agg_dtype(border: int, p2: int):
    """Narrowest dtype of the aggregated SGM cost: each of the 4 path costs is at most ``border + p2``
    (L = C + min(...) - min L_prev <= C + P2), and the recurrence's sentinel needs ``border + 3 P2``."""
    return np.uint16 if 4 * (border + p2) + 3 * p2 < 65535 else np.int32


@numba.njit(cache=True, nogil=True, inline="always")
def _step(c, pv, cu, p1, p2, m, big):  # pragma: no cover - compiled
    """One SGM recurrence step: ``cu[1:nd+1] = c + min(pv[d], pv[d+-1] + P1, m + P2) - m`` (``pv``/``cu`` padded
    by a sentinel at 0 and nd + 1); returns min of the new values (the next step's ``m``). Written as
    selects in the buffers' own type so that LLVM vectorises it over disparities."""
    nd = c.shape[0]
    dt = cu.dtype.type
    jump = dt(m + p2)
    for d in range(nd):
        a = pv[d + 1]
        b = dt(pv[d] + p1)
        e = dt(pv[d + 2] + p1)
        v = a if a < b else b
        v = v if v < e else e
        v = v if v < jump else jump
        cu[d + 1] = dt(dt(c[d]) + v - m)
    nm = big
    for d in range(nd):
        nm = min(nm, cu[d + 1])
    return nm


@numba.njit(parallel=True, cache=True, nogil=True)
def sgm_select(cost, p1, p2, lr_tol, sentinel, agg, disp, valid, conf, store):  # pragma: no cover - compiled
    """SGM along 4 paths fused with the selection of :func:`select` (equal to ``select(sgm(cost))``).

    Pass 1 (column strips in parallel): the +y and -y path costs into ``agg``. Pass 2 (rows in parallel):
    the +x path of the row into a row buffer, then the -x path, which adds the four path costs of each
    pixel and takes its winner, sub-pixel parabola, runner-up and the right view's winner on the fly; a
    last sweep over the row does the left-right check. ``agg`` (H, W, D) uint16 or int32 holds the vertical
    sum only, unless ``store`` (then the full sum, as :func:`sgm`). ``sentinel`` >= border + 2 P2 pads the
    disparity ends of the recurrence."""
    h, w, nd = cost.shape
    dt = agg.dtype.type
    sp1 = dt(p1)
    sp2 = dt(p2)
    big = dt(sentinel)
    n_strips = (w + 31) // 32
    for s in numba.prange(n_strips):
        x0 = s * 32
        x1 = min(w, x0 + 32)
        prev = np.full((32, nd + 2), big, agg.dtype)
        cur = np.full((32, nd + 2), big, agg.dtype)
        ms = np.zeros(32, agg.dtype)
        for rev in range(2):
            for k in range(h):
                y = h - 1 - k if rev else k
                for x in range(x0, x1):
                    c = cost[y, x]
                    pv = prev[x - x0]
                    cu = cur[x - x0]
                    o = agg[y, x]
                    if k == 0:
                        mm = dt(c[0])
                        for d in range(nd):
                            cu[d + 1] = c[d]
                            mm = min(mm, cu[d + 1])
                    else:
                        mm = _step(c, pv, cu, sp1, sp2, ms[x - x0], big)
                    ms[x - x0] = mm
                    if rev:
                        for d in range(nd):
                            o[d] += cu[d + 1]
                    else:
                        for d in range(nd):
                            o[d] = cu[d + 1]
                prev, cur = cur, prev
    for y in numba.prange(h):
        lx = np.empty((w, nd + 2), agg.dtype)    # +x path costs of the row
        lx[0, 0] = big
        lx[0, nd + 1] = big
        c = cost[y, 0]
        m = dt(c[0])
        for d in range(nd):
            lx[0, d + 1] = c[d]
            m = min(m, lx[0, d + 1])
        for x in range(1, w):
            lx[x, 0] = big
            lx[x, nd + 1] = big
            m = _step(cost[y, x], lx[x - 1], lx[x], sp1, sp2, m, big)
        pv = np.full(nd + 2, big, agg.dtype)
        cu = np.full(nd + 2, big, agg.dtype)
        tot = np.empty(nd, np.int32)
        sv = np.full(nd, 1 << 30, np.int32)
        sd = np.zeros(nd, np.int32)
        right = np.zeros(w, np.int32)
        bds = np.empty(w, np.int32)
        m = dt(0)
        for k in range(w):
            x = w - 1 - k
            c = cost[y, x]
            if k == 0:
                m = dt(c[0])
                for d in range(nd):
                    cu[d + 1] = c[d]
                    m = min(m, cu[d + 1])
            else:
                m = _step(c, pv, cu, sp1, sp2, m, big)
            o = agg[y, x]
            lxx = lx[x]
            for d in range(nd):
                tot[d] = np.int32(o[d]) + np.int32(lxx[d + 1]) + np.int32(cu[d + 1])
            best = np.int32(1 << 30)
            for d in range(nd):
                best = min(best, tot[d])
            if store:
                for d in range(nd):
                    o[d] = tot[d]
            bd = 0
            while tot[bd] != best:
                bd += 1
            second = np.int32(1 << 30)
            for d in range(0, bd - 1):
                second = min(second, tot[d])
            for d in range(bd + 2, nd):
                second = min(second, tot[d])
            sub = np.float32(bd)
            if 0 < bd < nd - 1:
                a = tot[bd - 1]
                cc = tot[bd + 1]
                den = a - 2 * best + cc
                if den > 0:
                    sub = np.float32(bd) + np.float32(a - cc) / np.float32(2 * den)
            disp[y, x] = sub
            bds[x] = bd
            top = min(nd, x + 1)
            if second < (1 << 30) and second > 0:
                conf[y, x] = np.float32(second - best) / np.float32(second)
            else:
                conf[y, x] = np.float32(0.0)
            # the right view's winner of pixel j = x - d, kept in slot nd - 1 - (j mod nd) (increasing in d):
            # j is visited with d decreasing, so ``<=`` keeps the smallest d of a tie; j = x is then complete
            r = x % nd
            u = nd - 1 - r
            for d in range(min(r + 1, top)):
                k = u + d
                v = tot[d]
                take = v <= sv[k]
                sv[k] = v if take else sv[k]
                sd[k] = np.int32(d) if take else sd[k]
            for d in range(r + 1, top):
                k = d - r - 1
                v = tot[d]
                take = v <= sv[k]
                sv[k] = v if take else sv[k]
                sd[k] = np.int32(d) if take else sd[k]
            right[x] = sd[u]
            sv[u] = np.int32(1 << 30)
            pv, cu = cu, pv
        for x in range(w):
            bd = bds[x]
            xr = x - bd
            ok = xr >= 0 and abs(right[xr] - bd) <= lr_tol
            valid[y, x] = ok
            if not ok:
                conf[y, x] = np.float32(0.0)
