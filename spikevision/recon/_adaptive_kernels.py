"""Compiled kernels (numba) of the adaptive ("best") method, from the pixel-major spike history.

The history holds 64 frames per uint64 word per pixel (``hist[slot, px]``, bit r = frame
64 ci + r of chunk ci in slot ``slot_of[ci - ci0]``; :func:`spikevision.recon._kernels.history_store`).
Every range of the rule (:mod:`spikevision.recon.adaptive`) is the same for all pixels, so its masks
are computed once and the loops over pixels are branch-free (selects) and vectorise: spike counts are
POPCNTs, first and last spikes trailing/leading-zero counts of the masked words. Operations and their
order are those of the NumPy reference (float32 window arithmetic), so the images are bit-identical.
Threads take interleaved blocks of ``B`` pixels, each with its scratch allocated once.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from .._intrinsics import popcount64

__all__ = ["isi_sample", "adaptive_hist", "clamp_hot_hist"]

B = 128                     # pixels per block
NONE_P = np.float32(-(1 << 30))   # "no spike at or before the frame" (ticks relative to the frame)
NONE_Q = np.float32(1 << 30)     # "no spike after the frame"
FULL = np.uint64(0xFFFFFFFFFFFFFFFF)


@numba.njit(cache=True, nogil=True, inline="always")
def _gather_back(hist, slot_of, ci0, px, c, lo, kmax, tt, base):
    """Up to ``kmax`` spikes of pixel ``px`` in [lo, c], nearest first, into tt[base - 1], tt[base - 2], ...;
    returns their number."""
    one = np.uint64(1)
    nb = 0
    ci = c >> 6
    x = hist[slot_of[ci - ci0], px] & (FULL >> np.uint64(63 - (c & 63)))
    while True:
        while x and nb < kmax:
            b = 63 - np.int64(leading_zeros(x))
            t = ci * 64 + b
            if t < lo:
                break
            nb += 1
            tt[base - nb] = t
            x ^= one << np.uint64(b)
        if nb >= kmax or ci * 64 <= lo:
            return nb
        ci -= 1
        x = hist[slot_of[ci - ci0], px]


@numba.njit(cache=True, nogil=True, inline="always")
def _gather_fwd(hist, slot_of, ci0, px, c, hi, kmax, tt, base):
    """Up to ``kmax`` spikes of pixel ``px`` in (c, hi], nearest first, into tt[base], tt[base + 1], ...;
    returns their number."""
    one = np.uint64(1)
    nf = 0
    ci = c >> 6
    x = hist[slot_of[ci - ci0], px] & ~(FULL >> np.uint64(63 - (c & 63)))
    while True:
        while x and nf < kmax:
            b = np.int64(trailing_zeros(x))
            t = ci * 64 + b
            if t > hi:
                break
            tt[base + nf] = t
            nf += 1
            x &= x - one
        if nf >= kmax or ci * 64 + 63 >= hi:
            return nf
        ci += 1
        x = hist[slot_of[ci - ci0], px]


@numba.njit(cache=True, nogil=True)
def _scatter_pixel(hist, slot_of, ci0, px, c, lo, hi, k, tt):
    """:func:`spikevision.recon.adaptive.isi_scatter` of one pixel: (scatter, spikes, ticks)."""
    k2 = 2 * k
    nb = _gather_back(hist, slot_of, ci0, px, c, lo, k, tt, k2)
    nf = _gather_fwd(hist, slot_of, ci0, px, c, hi, k, tt, k2)
    if nf < k and nb == k:
        nb = _gather_back(hist, slot_of, ci0, px, c, lo, k2 - nf, tt, k2)
    elif nb < k and nf == k:
        nf = _gather_fwd(hist, slot_of, ci0, px, c, hi, k2 - nb, tt, k2)
    first = k2 - nb
    last = k2 - 1 + nf
    dsum = 0
    d1 = 0
    d2 = 0
    for j in range(first, last - 2):
        d = max(abs((tt[j + 1] - tt[j]) - 2 * (tt[j + 2] - tt[j + 1]) + (tt[j + 3] - tt[j + 2])) - 1, 0)
        dsum += d
        d2 = max(d2, min(d, d1))
        d1 = max(d1, d)
    nd = max(last - first - 2, 0)
    scatter = np.float64(dsum - d1 - d2) / (nd - 2) if nd >= 3 else 0.0
    ticks = tt[last] - tt[first] if last > first else 0
    return scatter, nb + nf, ticks


@numba.njit(parallel=True, cache=True, nogil=True)
def isi_sample(hist, slot_of, ci0, centers, los, his, k, step, scatter, n_spikes, ticks):
    """ISI scatter of every ``step``-th pixel for each frame ``centers[e]`` (reach [los[e], his[e]])."""
    n_e = centers.shape[0]
    ns = scatter.shape[1]
    for job in numba.prange(n_e):
        tt = np.empty(4 * k, dtype=np.int64)
        for s in range(ns):
            sc, n, tk = _scatter_pixel(hist, slot_of, ci0, s * step, centers[job], los[job], his[job], k, tt)
            scatter[job, s] = sc
            n_spikes[job, s] = n
            ticks[job, s] = tk


@numba.njit(cache=True, nogil=True, inline="always")
def _segments(hist, slot_of, ci0, p0, n, c, lo, hi, nseg, back, fwd):
    """64-tick words of B pixels aligned on frame ``c``: ``back[k]`` bit r = tick c - 64 k - 63 + r (bit 63 is
    c - 64 k), ``fwd[k]`` bit r = tick c + 1 + 64 k + r; ticks outside [lo, hi] cleared."""
    o = c & 63
    wc = c >> 6
    for k in range(nseg):
        t0 = c - 64 * k - 63                   # tick of bit 0 of back[k]
        keep_b = FULL
        if t0 < lo:
            keep_b = (FULL << np.uint64(min(lo - t0, 63))) if lo - t0 < 64 else np.uint64(0)
        t1 = c + 1 + 64 * k                    # tick of bit 0 of fwd[k]
        keep_f = FULL
        if t1 + 63 > hi:
            keep_f = (FULL >> np.uint64(min(t1 + 63 - hi, 63))) if t1 + 63 - hi < 64 else np.uint64(0)
        top = ci0 + slot_of.shape[0] - 1        # words wc - k - 1, wc - k hold back[k]; wc + k, wc + k + 1 fwd[k]
        wb0 = min(max(wc - k, ci0), top)        # (words outside the table only hold cleared ticks)
        wb1 = min(max(wc - k - 1, ci0), top)
        wf0 = min(max(wc + k, ci0), top)
        wf1 = min(max(wc + k + 1, ci0), top)
        rb0 = hist[slot_of[wb0 - ci0]]
        rb1 = hist[slot_of[wb1 - ci0]]
        rf0 = hist[slot_of[wf0 - ci0]]
        rf1 = hist[slot_of[wf1 - ci0]]
        if o == 63:
            for x in range(n):
                back[k, x] = rb0[p0 + x] & keep_b
                fwd[k, x] = rf1[p0 + x] & keep_f
        else:
            sl = np.uint64(63 - o)
            sr = np.uint64(o + 1)
            for x in range(n):
                back[k, x] = ((rb0[p0 + x] << sl) | (rb1[p0 + x] >> sr)) & keep_b
                fwd[k, x] = ((rf0[p0 + x] >> sr) | (rf1[p0 + x] << sl)) & keep_f


@numba.njit(cache=True, nogil=True, inline="always")
def _ladder_stats(sb, sf_, nseg, lad, n, cb, eb, cf, lf, cfull_b, cfull_f, efull, lfull, pp, qq):
    """Per ladder distance d (rows of cb/eb/cf/lf): spikes in (c - d, c] and the earliest, spikes in (c, c + d]
    and the latest; pp / qq the last spike at or before c and the first after it (ticks relative to c)."""
    nl = lad.shape[0]
    for x in range(B):
        pp[x] = NONE_P
        qq[x] = NONE_Q
        cfull_b[x] = 0
        cfull_f[x] = 0
        efull[x] = 0
        lfull[x] = 0
    i = 0
    for k in range(nseg):              # ladder entries in segment k: d in (64 k, 64 (k + 1)]
        off = 64 * k
        while i < nl and lad[i] <= off + 64:
            dd = lad[i] - off
            mb = FULL << np.uint64(64 - dd)
            mf_ = FULL >> np.uint64(64 - dd)
            for x in range(n):
                yb = sb[k, x] & mb
                yf = sf_[k, x] & mf_
                cb[i, x] = cfull_b[x] + np.float32(popcount64(yb))
                cf[i, x] = cfull_f[x] + np.float32(popcount64(yf))
                eb[i, x] = np.float32(np.int64(trailing_zeros(yb)) - 63 - off) if yb != 0 else efull[x]
                lf[i, x] = np.float32(64 - np.int64(leading_zeros(yf)) + off) if yf != 0 else lfull[x]
            i += 1
        for x in range(n):
            yb = sb[k, x]
            yf = sf_[k, x]
            cfull_b[x] += np.float32(popcount64(yb))
            cfull_f[x] += np.float32(popcount64(yf))
            efull[x] = np.float32(np.int64(trailing_zeros(yb)) - 63 - off) if yb != 0 else efull[x]
            lfull[x] = np.float32(64 - np.int64(leading_zeros(yf)) + off) if yf != 0 else lfull[x]
            new_p = np.float32(-(np.int64(leading_zeros(yb)) + off))
            pp[x] = new_p if (pp[x] == NONE_P) & (yb != 0) else pp[x]
            new_q = np.float32(np.int64(trailing_zeros(yf)) + 1 + off)
            qq[x] = new_q if (qq[x] == NONE_Q) & (yf != 0) else qq[x]


@numba.njit(cache=True, nogil=True, inline="always")
def _with_fallbacks(nl, n, cb, eb, cf, lf, pp, qq):
    """A side with no spike within distance d counts its nearest spike (p or q) instead; a side with none at
    all takes the other side's nearest as its end spike."""
    one32 = np.float32(1.0)
    zero32 = np.float32(0.0)
    for i in range(nl):
        for x in range(n):
            p = pp[x]
            q = qq[x]
            has_p = p != NONE_P
            has_q = q != NONE_Q
            b_in = cb[i, x] > zero32
            f_in = cf[i, x] > zero32
            eb[i, x] = eb[i, x] if b_in else (p if has_p else q)
            cb[i, x] = cb[i, x] if b_in else (one32 if has_p else zero32)
            lf[i, x] = lf[i, x] if f_in else (q if has_q else p)
            cf[i, x] = cf[i, x] if f_in else (one32 if has_q else zero32)


@numba.njit(cache=True, nogil=True, inline="always")
def _ici(wb, wf, n, cb, eb, cf, lf, tn, tol32, rel32, cap32, ici_lo, ici_hi, mw, sw):
    """The ICI over the nested windows (wb[w], wf[w]), B pixels in lockstep: ``mw``/``sw`` the intervals and
    ticks of each pixel's chosen window (0 for none); stops early once every pixel has stopped."""
    one32 = np.float32(1.0)
    inf32 = np.float32(np.inf)
    for x in range(B):
        ici_lo[x] = -np.inf
        ici_hi[x] = np.inf
        mw[x] = 0
        sw[x] = 0
    for wi in range(wb.shape[0]):
        nb_i = cb[wb[wi]]
        first_i = eb[wb[wi]]
        nf_j = cf[wf[wi]]
        last_j = lf[wf[wi]]
        going = 0
        for x in range(n):             # a stopped pixel has the empty bounds (inf, -inf)
            m = nb_i[x] + nf_j[x] - one32       # small integers: exact in float32
            m1 = m if m > one32 else one32
            inv = one32 / m1
            sf = last_j[x] - first_i[x]
            mu = sf * inv
            half = (tol32 + tn[x] * np.sqrt(m1) + rel32 * sf) * inv
            a = ici_lo[x]
            b = mu - half
            lo_w = a if a > b else b
            a = ici_hi[x]
            b = mu + half
            hi_w = a if a < b else b
            valid = m >= one32
            ok = valid & (m <= cap32) & (lo_w <= hi_w)
            ici_lo[x] = (lo_w if ok else inf32) if valid else ici_lo[x]
            ici_hi[x] = (hi_w if ok else -inf32) if valid else ici_hi[x]
            mw[x] = m if ok else mw[x]
            sw[x] = sf if ok else sw[x]
            going += np.int64(ici_lo[x] <= ici_hi[x])
        if going == 0:
            break


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def adaptive_hist(hist, slot_of, ci0, centers, los, his, lad, wb, wf, intervals, tol, tol_rel, noise, rate,
                  out, reach, npix, threads):  # pragma: no cover - compiled
    """Steps 1-3 and 5 of the rule (:mod:`spikevision.recon.adaptive`) for frames ``centers`` with reaches
    [los, his] (absolute frames): ``out[e]`` before the hot-pixel clamp and ``reach[e]`` the spike count over
    the reach as a rate. ``noise`` (float32 per frame) is the sensor noise times ``noise_z / 2``.
    ``threads``: numba's thread count (each thread takes every threads-th block)."""
    n_e = centers.shape[0]
    nblk = (npix + B - 1) // B
    nl = lad.shape[0]
    total = n_e * nblk
    n_thr = max(1, min(threads, total))
    tol32 = np.float32(tol)
    rel32 = np.float32(tol_rel)
    one32 = np.float32(1.0)
    cap32 = np.float32(intervals)
    for th in numba.prange(n_thr):
        cb = np.zeros((nl, B), dtype=np.float32)
        eb = np.zeros((nl, B), dtype=np.float32)
        cf = np.zeros((nl, B), dtype=np.float32)
        lf = np.zeros((nl, B), dtype=np.float32)
        nseg = (lad[nl - 1] + 63) // 64
        sb = np.zeros((nseg, B), dtype=np.uint64)
        sf_ = np.zeros((nseg, B), dtype=np.uint64)
        cfull_b = np.zeros(B, dtype=np.float32)
        cfull_f = np.zeros(B, dtype=np.float32)
        efull = np.zeros(B, dtype=np.float32)
        lfull = np.zeros(B, dtype=np.float32)
        pp = np.zeros(B, dtype=np.float32)
        qq = np.zeros(B, dtype=np.float32)
        ici_lo = np.zeros(B, dtype=np.float32)
        ici_hi = np.zeros(B, dtype=np.float32)
        mw = np.zeros(B, dtype=np.float32)
        n_reach = np.zeros(B, dtype=np.int64)
        tn = np.zeros(B, dtype=np.float32)
        sw = np.zeros(B, dtype=np.float32)
        for job in range(th, total, n_thr):
            e = job // nblk
            p0 = (job - e * nblk) * B
            n = min(npix, p0 + B) - p0
            c = centers[e]
            lo = los[e]
            hi = his[e]
            noise32 = noise[e]
            _segments(hist, slot_of, ci0, p0, n, c, lo, hi, nseg, sb, sf_)
            _ladder_stats(sb, sf_, nseg, lad, n, cb, eb, cf, lf, cfull_b, cfull_f, efull, lfull, pp, qq)
            r32 = np.float32(hi - lo + 1)
            for x in range(n):
                n_reach[x] = np.int64(cb[nl - 1, x]) + np.int64(cf[nl - 1, x])
                tn[x] = noise32 * (r32 / np.float32(max(n_reach[x], 1)))   # noise x the mean ISI over the reach
            _with_fallbacks(nl, n, cb, eb, cf, lf, pp, qq)
            _ici(wb, wf, n, cb, eb, cf, lf, tn, tol32, rel32, cap32, ici_lo, ici_hi, mw, sw)
            for x in range(n):
                p = np.int64(pp[x])
                q = np.int64(qq[x])
                m = np.int64(mw[x])
                s = np.int64(sw[x])
                has_p = pp[x] != NONE_P
                has_q = qq[x] != NONE_Q
                only_b = has_p & ~has_q
                only_f = has_q & ~has_p
                gap = (hi + 1 - (c + p)) if only_b else (c + q - lo + 1)
                mf = np.float32(max(m, 1))
                sf = np.float32(s)
                limit = (tol32 + tn[x] * np.sqrt(one32 + one32 / mf)) * mf + rel32 * sf
                changed = (only_b | only_f) & (m >= 1) & (np.float32(gap) * mf - sf > limit)
                count = np.float64(n_reach[x]) / (np.float64(hi - lo + 1) * rate)
                if changed:
                    est = 1.0 / (np.float64(gap) * rate)
                elif m >= 1:
                    est = np.float64(m) / (np.float64(s) * rate)
                else:
                    est = count
                out[e, p0 + x] = np.float32(min(est, 1.0))
                reach[e, p0 + x] = np.float32(min(count, 1.0))


@numba.njit(parallel=True, cache=True, nogil=True)
def clamp_hot_hist(hist, slot_of, ci0, centers, los, his, k, raw, reach, threshold, margin, h, w,
                   out):  # pragma: no cover - compiled
    """Step 6 of the rule: ``out[e] = raw[e]``, where a pixel whose estimate or reach rate is above
    ``margin`` (``HOT_MARGIN``, an argument so that a cached kernel never keeps an old value) times all its
    neighbours' estimates and whose ISI scatter exceeds ``threshold[e]``
    (:func:`~spikevision.recon.adaptive.hot_threshold`) times its mean ISI takes their lower median."""
    n_e = centers.shape[0]
    margin = np.float32(margin)
    ninf = np.float32(-np.inf)
    for job in numba.prange(n_e * h):
        e = job // h
        y = job - e * h
        above = np.empty(w, dtype=np.float32)
        tt = np.empty(4 * k, dtype=np.int64)
        nb = np.empty(8, dtype=np.float32)
        img = raw[e]
        for x in range(w):
            above[x] = ninf
        for yy in range(max(0, y - 1), min(h, y + 2)):
            row = img[yy * w : (yy + 1) * w]
            if yy != y:
                for x in range(w):
                    v = row[x]
                    above[x] = v if v > above[x] else above[x]
            for x in range(1, w):
                v = row[x - 1]
                above[x] = v if v > above[x] else above[x]
            for x in range(w - 1):
                v = row[x + 1]
                above[x] = v if v > above[x] else above[x]
        for x in range(w):
            above[x] = above[x] * margin
        r0 = y * w
        for x in range(w):
            px = r0 + x
            v = img[px]
            if (v > above[x] or reach[e, px] > above[x]) and h * w > 1:
                sc, ns, tk = _scatter_pixel(hist, slot_of, ci0, px, centers[e], los[e], his[e], k, tt)
                if (ns >= 6) & (sc > 1.0) & (sc * np.float64(ns - 1) > threshold[e] * np.float64(tk)):
                    n = 0
                    for yy in range(max(0, y - 1), min(h, y + 2)):
                        for xx in range(max(0, x - 1), min(w, x + 2)):
                            if yy != y or xx != x:
                                nb[n] = img[yy * w + xx]
                                n += 1
                    v = np.sort(nb[:n])[(n - 1) // 2]
            out[e, px] = v
