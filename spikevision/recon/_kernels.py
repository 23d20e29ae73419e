"""Compiled CPU kernels (numba) working straight from canonical packed bytes.

A packed byte holds 8 pixels (bit i = pixel 8*b + i). Table look-ups turn it
into one uint64 with one byte lane per pixel (SWAR: SIMD within a register),
so one 64-bit add updates 8 per-pixel counters and one and/or pair selects 8
per-pixel interval values. On a little-endian machine lane i of word b is byte
8*b + i of the word array, so a uint8 view of the accumulators is the per-pixel
result in pixel order. Work is split into byte chunks across threads.

``work`` is always a (n, F) uint8 array of consecutive packed frames; emission
windows are given as positions in it. The NumPy functions in this package are
the reference these kernels are tested against.
"""

from __future__ import annotations

import sys

import numba
import numpy as np

__all__ = ["LUT_ONE", "LUT_FF", "tfp_window", "tfp_running", "tfi_window", "adaptive_window", "CHUNK"]

if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
    raise ImportError("spikevision.recon kernels need a little-endian CPU")

#: LUT_ONE[v]: lane i = bit i of v (0/1); LUT_FF[v]: lane i = 0xFF where bit i of v is set.
LUT_ONE = np.zeros(256, dtype=np.uint64)
LUT_FF = np.zeros(256, dtype=np.uint64)
for _v in range(256):
    for _i in range(8):
        if (_v >> _i) & 1:
            LUT_ONE[_v] |= np.uint64(1 << (8 * _i))
            LUT_FF[_v] |= np.uint64(0xFF << (8 * _i))
del _v, _i

ONES = np.uint64(0x0101010101010101)
#: bytes per thread work item (512 B = 4096 pixels; 4 KB of accumulators stay in L1)
CHUNK = 512


@numba.njit(parallel=True, cache=True, nogil=True)
def tfp_window(work, starts, stops, scales, out, npix, lut):
    """out[e, k] = min(1, count of frames [starts[e], stops[e]) at pixel k * scales[e])."""
    n_e = starts.shape[0]
    fb = work.shape[1]
    nch = (fb + 511) // 512
    for ch in numba.prange(nch):
        b0 = ch * 512
        nb = min(fb, b0 + 512) - b0
        acc = np.empty(512, dtype=np.uint64)
        acc8 = acc.view(np.uint8)
        k0 = b0 * 8
        nk = min(npix, k0 + nb * 8) - k0
        for e in range(n_e):
            for j in range(nb):
                acc[j] = 0
            for f in range(starts[e], stops[e]):
                row = work[f]
                for j in range(nb):
                    acc[j] += lut[row[b0 + j]]
            s = scales[e]
            for j in range(nk):
                out[e, k0 + j] = min(np.float32(acc8[j]) * s, np.float32(1.0))


@numba.njit(parallel=True, cache=True, nogil=True)
def tfp_running(work, p0, p1, window, first_abs, acc, emit_pos, scales, out, npix, lut):
    """Running-sum TFP: add frames p0..p1-1 of ``work`` to ``acc`` (dropping the frame ``window``
    positions earlier when it exists) and write an image after each position in ``emit_pos``."""
    n_e = emit_pos.shape[0]
    fb = work.shape[1]
    nch = (fb + 511) // 512
    acc8 = acc.view(np.uint8)
    for ch in numba.prange(nch):
        b0 = ch * 512
        nb = min(fb, b0 + 512) - b0
        k0 = b0 * 8
        nk = min(npix, k0 + nb * 8) - k0
        e = 0
        for p in range(p0, p1):
            row = work[p]
            if first_abs + p - window >= 0:
                old = work[p - window]
                for j in range(nb):
                    acc[b0 + j] = acc[b0 + j] - lut[old[b0 + j]] + lut[row[b0 + j]]
            else:
                for j in range(nb):
                    acc[b0 + j] += lut[row[b0 + j]]
            while e < n_e and emit_pos[e] == p:
                s = scales[e]
                for j in range(nk):
                    out[e, k0 + j] = min(np.float32(acc8[k0 + j]) * s, np.float32(1.0))
                e += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def tfi_window(work, centers, los, his, table, out, npix, lut_ff):
    """Bounded TFI: per pixel, ISI = (c - last spike in [lo, c], or lo - 1) + (first spike in (c, hi],
    or hi + 1, - c); out[e, k] = table[ISI] (ISI <= 255)."""
    n_e = centers.shape[0]
    fb = work.shape[1]
    nch = (fb + 511) // 512
    ones = np.uint64(0x0101010101010101)
    for ch in numba.prange(nch):
        b0 = ch * 512
        nb = min(fb, b0 + 512) - b0
        la = np.empty(512, dtype=np.uint64)
        na = np.empty(512, dtype=np.uint64)
        la8 = la.view(np.uint8)
        k0 = b0 * 8
        nk = min(npix, k0 + nb * 8) - k0
        for e in range(n_e):
            c = centers[e]
            lo = los[e]
            hi = his[e]
            init = np.uint64(c - lo + 1) * ones
            for j in range(nb):
                la[j] = init
            for f in range(lo, c + 1):           # oldest first: the latest spike wins
                age = np.uint64(c - f) * ones
                row = work[f]
                for j in range(nb):
                    m = lut_ff[row[b0 + j]]
                    la[j] = (la[j] & ~m) | (m & age)
            init = np.uint64(hi - c + 1) * ones
            for j in range(nb):
                na[j] = init
            for f in range(hi, c, -1):           # newest first: the earliest spike wins
                d = np.uint64(f - c) * ones
                row = work[f]
                for j in range(nb):
                    m = lut_ff[row[b0 + j]]
                    na[j] = (na[j] & ~m) | (m & d)
            for j in range(nb):
                la[j] += na[j]
            for j in range(nk):
                out[e, k0 + j] = table[la8[j]]


@numba.njit(cache=True, nogil=True)
def _adaptive_pixel(tt, nb, nf, k, c, lo, hi, tol, tol_rel, rate, center):
    if nb >= 1 and nf >= 1:
        first = k - nb
        last = k - 1 + nf
        left = k - 1
        right = k
        for _ in range(2 * k - 2):
            m = np.float64(right - left)
            mean = (tt[right] - tt[left]) / m
            limit = tol + tol_rel * mean
            good_l = False
            good_r = False
            dl = 0.0
            dr = 0.0
            if left - 1 >= first:
                dl = abs(np.float64(tt[left] - tt[left - 1]) - mean)
                good_l = dl <= limit
            if right + 1 <= last:
                dr = abs(np.float64(tt[right + 1] - tt[right]) - mean)
                good_r = dr <= limit
            if center:
                pref_l = True
                if good_l and good_r:
                    pref_l = abs(tt[left - 1] + tt[right] - 2 * c) <= abs(tt[left] + tt[right + 1] - 2 * c)
            else:
                pref_l = dl <= dr
            if good_l and ((not good_r) or pref_l):
                left -= 1
            elif good_r:
                right += 1
            else:
                break
        est = np.float64(right - left) / (np.float64(tt[right] - tt[left]) * rate)
    else:
        lo_t = tt[k - 1] if nb >= 1 else lo - 1
        hi_t = tt[k] if nf >= 1 else hi + 1
        est = 1.0 / (np.float64(hi_t - lo_t) * rate)
    return np.float32(min(est, 1.0))


@numba.njit(parallel=True, cache=True, nogil=True)
def adaptive_window(work, centers, los, his, k, tol, tol_rel, rate, center, out, npix):
    """Spike-anchored adaptive windows (see :mod:`spikevision.recon.adaptive`), 8 pixels per byte."""
    n_e = centers.shape[0]
    fb = work.shape[1]
    nch = (fb + 63) // 64
    for ch in numba.prange(nch * n_e):
        e = ch // nch
        b0 = (ch - e * nch) * 64
        b1 = min(fb, b0 + 64)
        c = centers[e]
        lo = los[e]
        hi = his[e]
        bt = np.empty((8, k), dtype=np.int64)
        ft = np.empty((8, k), dtype=np.int64)
        tt = np.empty(2 * k, dtype=np.int64)
        nbk = np.zeros(8, dtype=np.int64)
        nfw = np.zeros(8, dtype=np.int64)
        for b in range(b0, b1):
            for i in range(8):
                nbk[i] = 0
                nfw[i] = 0
            need = np.uint8(0xFF)
            for f in range(c, lo - 1, -1):
                v = work[f, b] & need
                if v:
                    for i in range(8):
                        if (v >> i) & 1:
                            bt[i, nbk[i]] = f
                            nbk[i] += 1
                            if nbk[i] == k:
                                need &= np.uint8(~(1 << i) & 0xFF)
                    if need == 0:
                        break
            need = np.uint8(0xFF)
            for f in range(c + 1, hi + 1):
                v = work[f, b] & need
                if v:
                    for i in range(8):
                        if (v >> i) & 1:
                            ft[i, nfw[i]] = f
                            nfw[i] += 1
                            if nfw[i] == k:
                                need &= np.uint8(~(1 << i) & 0xFF)
                    if need == 0:
                        break
            for i in range(8):
                px = b * 8 + i
                if px >= npix:
                    break
                nb = nbk[i]
                nf = nfw[i]
                for j in range(nb):
                    tt[k - 1 - j] = bt[i, j]
                for j in range(nf):
                    tt[k + j] = ft[i, j]
                out[e, px] = _adaptive_pixel(tt, nb, nf, k, c, lo, hi, tol, tol_rel, rate, center)
