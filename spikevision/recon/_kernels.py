"""Compiled CPU kernels (numba) working straight from canonical packed bytes.

Packed frames are read 64 pixels at a time as uint64 words (rows padded to 8
bytes). TFP counts with SWAR (SIMD within a register): plane j adds
``(word >> j) & 0x0101..01``, so one 64-bit add updates 8 byte-wide per-pixel
counters (pixel 64 q + 8 i + j is byte i of plane j, word q). TFI keeps its
per-pixel interval values bit-sliced (bit plane k holds bit k of 64 pixels), so
recording "a spike here at distance d" is one and/or per plane per 64 pixels.
Loops over words vectorise; threads split the frame into 4096-pixel chunks.
The adaptive ("best") method keeps frames per pixel instead (64 frames per uint64
word, bit-transposed once as they arrive by :func:`history_store`); its kernels
are in :mod:`spikevision.recon._adaptive_kernels`.

Emission windows are positions in ``work`` (consecutive packed frames). The
NumPy functions of this package are the reference these kernels are tested against.
"""

from __future__ import annotations

import sys

import numba
import numpy as np

from .. import _bits

__all__ = ["LUT_ONE", "LOWBIT", "copy_rows", "stp_run", "tfp_window", "tfp_running", "tfi_window",
           "history_store"]

if sys.byteorder != "little":  # pragma: no cover - every supported platform is little-endian
    raise ImportError("spikevision.recon kernels need a little-endian CPU")

#: LUT_ONE[v]: lane i = bit i of v (0/1), the unpacking table of :mod:`spikevision._bits`.
LUT_ONE = _bits.LUT64
#: LOWBIT[v]: index of the lowest set bit of v (v > 0).
LOWBIT = np.array([(v & -v).bit_length() - 1 if v else 0 for v in range(256)], dtype=np.int64)


@numba.njit(parallel=True, cache=True, nogil=True)
def copy_rows(src, dst, p0):
    """dst[p0 + i, :F] = src[i] for packed frames src (n, F), in parallel over frames."""
    n, fb = src.shape
    for i in numba.prange(n):
        for j in range(fb):
            dst[p0 + i, j] = src[i, j]


@numba.njit(cache=True, nogil=True, inline="always")
def _write_planes(acc, q0, qp, nq, pix64, s, out, e, npix):
    """Write byte-lane counts stored as 8 planes (plane j, lane i of word q = pixel 64 q + 8 i + j)
    as ``min(1, count * s)`` for accumulator words q0..q0+nq, frame words qp..qp+nq.

    An 8x8 byte transpose per word (three SWAR swap stages) puts the counts in pixel order
    in ``pix64`` (>= 8 * nq words), so the conversion to float32 is one contiguous,
    vectorisable loop."""
    m32 = np.uint64(0x00000000FFFFFFFF)
    h32 = np.uint64(0xFFFFFFFF00000000)
    m16 = np.uint64(0x0000FFFF0000FFFF)
    h16 = np.uint64(0xFFFF0000FFFF0000)
    m8 = np.uint64(0x00FF00FF00FF00FF)
    h8 = np.uint64(0xFF00FF00FF00FF00)
    s32 = np.uint64(32)
    s16 = np.uint64(16)
    s8 = np.uint64(8)
    for q in range(nq):
        r0 = acc[0, q0 + q]
        r1 = acc[1, q0 + q]
        r2 = acc[2, q0 + q]
        r3 = acc[3, q0 + q]
        r4 = acc[4, q0 + q]
        r5 = acc[5, q0 + q]
        r6 = acc[6, q0 + q]
        r7 = acc[7, q0 + q]
        r0, r4 = (r0 & m32) | (r4 << s32), (r0 >> s32) | (r4 & h32)
        r1, r5 = (r1 & m32) | (r5 << s32), (r1 >> s32) | (r5 & h32)
        r2, r6 = (r2 & m32) | (r6 << s32), (r2 >> s32) | (r6 & h32)
        r3, r7 = (r3 & m32) | (r7 << s32), (r3 >> s32) | (r7 & h32)
        r0, r2 = (r0 & m16) | ((r2 & m16) << s16), ((r0 >> s16) & m16) | (r2 & h16)
        r1, r3 = (r1 & m16) | ((r3 & m16) << s16), ((r1 >> s16) & m16) | (r3 & h16)
        r4, r6 = (r4 & m16) | ((r6 & m16) << s16), ((r4 >> s16) & m16) | (r6 & h16)
        r5, r7 = (r5 & m16) | ((r7 & m16) << s16), ((r5 >> s16) & m16) | (r7 & h16)
        r0, r1 = (r0 & m8) | ((r1 & m8) << s8), ((r0 >> s8) & m8) | (r1 & h8)
        r2, r3 = (r2 & m8) | ((r3 & m8) << s8), ((r2 >> s8) & m8) | (r3 & h8)
        r4, r5 = (r4 & m8) | ((r5 & m8) << s8), ((r4 >> s8) & m8) | (r5 & h8)
        r6, r7 = (r6 & m8) | ((r7 & m8) << s8), ((r6 >> s8) & m8) | (r7 & h8)
        b = 8 * q
        pix64[b] = r0
        pix64[b + 1] = r1
        pix64[b + 2] = r2
        pix64[b + 3] = r3
        pix64[b + 4] = r4
        pix64[b + 5] = r5
        pix64[b + 6] = r6
        pix64[b + 7] = r7
    pix8 = pix64.view(np.uint8)
    k0 = qp * 64
    n = min(npix, k0 + nq * 64) - k0
    one = np.float32(1.0)
    dst = out[e, k0 : k0 + n]
    for k in range(n):
        dst[k] = min(np.float32(pix8[k]) * s, one)


@numba.njit(parallel=True, cache=True, nogil=True)
def tfp_window(work64, starts, stops, scales, out, npix):
    """out[e, k] = min(1, spikes of pixel k in frames [starts[e], stops[e]) * scales[e]).

    ``work64`` is the (n, words) uint64 view of packed frames padded to 8 bytes. Plane j of
    the accumulator adds bit j of every byte ((x >> j) & 0x0101..01), so one 64-bit add
    counts 8 pixels and the loop over words vectorises.
    """
    n_e = starts.shape[0]
    nw = work64.shape[1]
    nch = (nw + 63) // 64
    ones = np.uint64(0x0101010101010101)
    for ch in numba.prange(nch):
        w0 = ch * 64
        nwc = min(nw, w0 + 64) - w0
        acc = np.empty((8, 64), dtype=np.uint64)
        pix64 = np.empty(512, dtype=np.uint64)
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        a4, a5, a6, a7 = acc[4], acc[5], acc[6], acc[7]
        for e in range(n_e):
            acc[:, :] = 0
            for f in range(starts[e], stops[e]):
                row = work64[f, w0 : w0 + nwc]
                for q in range(nwc):
                    x = row[q]
                    a0[q] += x & ones
                    a1[q] += (x >> np.uint64(1)) & ones
                    a2[q] += (x >> np.uint64(2)) & ones
                    a3[q] += (x >> np.uint64(3)) & ones
                    a4[q] += (x >> np.uint64(4)) & ones
                    a5[q] += (x >> np.uint64(5)) & ones
                    a6[q] += (x >> np.uint64(6)) & ones
                    a7[q] += (x >> np.uint64(7)) & ones
            _write_planes(acc, 0, w0, nwc, pix64, scales[e], out, e, npix)


@numba.njit(parallel=True, cache=True, nogil=True)
def tfp_running(work64, p0, p1, window, first_abs, acc, emit_pos, scales, out, npix):
    """Running-sum TFP: add frames p0..p1-1 of ``work64`` to the plane counters ``acc`` (8, words)
    uint64, dropping the frame ``window`` positions earlier when it exists, and write an image
    after each position in ``emit_pos``. Whole-word add/subtract is exact: every final byte
    lane is a count <= 255, so carries between lanes cancel."""
    n_e = emit_pos.shape[0]
    nw = work64.shape[1]
    nch = (nw + 63) // 64
    ones = np.uint64(0x0101010101010101)
    for ch in numba.prange(nch):
        w0 = ch * 64
        nwc = min(nw, w0 + 64) - w0
        pix64 = np.empty(512, dtype=np.uint64)
        a0, a1, a2, a3 = acc[0, w0 : w0 + nwc], acc[1, w0 : w0 + nwc], acc[2, w0 : w0 + nwc], acc[3, w0 : w0 + nwc]
        a4, a5, a6, a7 = acc[4, w0 : w0 + nwc], acc[5, w0 : w0 + nwc], acc[6, w0 : w0 + nwc], acc[7, w0 : w0 + nwc]
        e = 0
        for p in range(p0, p1):
            row = work64[p, w0 : w0 + nwc]
            if first_abs + p - window >= 0:
                old = work64[p - window, w0 : w0 + nwc]
                for q in range(nwc):
                    x = row[q]
                    o = old[q]
                    a0[q] += (x & ones) - (o & ones)
                    a1[q] += ((x >> np.uint64(1)) & ones) - ((o >> np.uint64(1)) & ones)
                    a2[q] += ((x >> np.uint64(2)) & ones) - ((o >> np.uint64(2)) & ones)
                    a3[q] += ((x >> np.uint64(3)) & ones) - ((o >> np.uint64(3)) & ones)
                    a4[q] += ((x >> np.uint64(4)) & ones) - ((o >> np.uint64(4)) & ones)
                    a5[q] += ((x >> np.uint64(5)) & ones) - ((o >> np.uint64(5)) & ones)
                    a6[q] += ((x >> np.uint64(6)) & ones) - ((o >> np.uint64(6)) & ones)
                    a7[q] += ((x >> np.uint64(7)) & ones) - ((o >> np.uint64(7)) & ones)
            else:
                for q in range(nwc):
                    x = row[q]
                    a0[q] += x & ones
                    a1[q] += (x >> np.uint64(1)) & ones
                    a2[q] += (x >> np.uint64(2)) & ones
                    a3[q] += (x >> np.uint64(3)) & ones
                    a4[q] += (x >> np.uint64(4)) & ones
                    a5[q] += (x >> np.uint64(5)) & ones
                    a6[q] += (x >> np.uint64(6)) & ones
                    a7[q] += (x >> np.uint64(7)) & ones
            while e < n_e and emit_pos[e] == p:
                _write_planes(acc, w0, w0, nwc, pix64, scales[e], out, e, npix)
                e += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def tfi_window(work64, centers, los, his, nbits, table, out, npix, lut_one):
    """Bounded TFI with bit-sliced per-pixel values (one bit plane per bit of 64 pixels).

    L = c - (last spike in [lo, c], or lo - 1) and N = (first spike in (c, hi], or hi + 1) - c
    are set by overwriting their planes where a frame has spikes (oldest/newest first, so the
    nearest spike wins): one and/or per plane per 64 pixels per frame. ISI = L + N by a
    bit-sliced ripple add, transposed to one byte per pixel with the LUT_ONE table;
    out[e, k] = table[ISI]. ``nbits`` holds hi - lo + 2 (<= 8 bits for windows <= 253).
    """
    n_e = centers.shape[0]
    nw = work64.shape[1]
    nch = (nw + 63) // 64
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    zero = np.uint64(0)
    for ch in numba.prange(nch):
        w0 = ch * 64
        nwc = min(nw, w0 + 64) - w0
        lp = np.zeros((8, 64), dtype=np.uint64)
        np_ = np.zeros((8, 64), dtype=np.uint64)
        sp = np.zeros(9, dtype=np.uint64)
        pix64 = np.zeros(512, dtype=np.uint64)
        pix8 = pix64.view(np.uint8)
        for e in range(n_e):
            c = centers[e]
            lo = los[e]
            hi = his[e]
            for k in range(8):
                vl = full if ((c - lo + 1) >> k) & 1 else zero
                vn = full if ((hi - c + 1) >> k) & 1 else zero
                for q in range(nwc):
                    lp[k, q] = vl
                    np_[k, q] = vn
            for f in range(lo, c + 1):
                age = c - f
                row = work64[f, w0 : w0 + nwc]
                for k in range(nbits):
                    pk = lp[k]
                    if (age >> k) & 1:
                        for q in range(nwc):
                            pk[q] |= row[q]
                    else:
                        for q in range(nwc):
                            pk[q] &= ~row[q]
            for f in range(hi, c, -1):
                d = f - c
                row = work64[f, w0 : w0 + nwc]
                for k in range(nbits):
                    pk = np_[k]
                    if (d >> k) & 1:
                        for q in range(nwc):
                            pk[q] |= row[q]
                    else:
                        for q in range(nwc):
                            pk[q] &= ~row[q]
            for q in range(nwc):
                carry = zero
                for k in range(nbits + 1):
                    a = lp[k, q]
                    b = np_[k, q]
                    sp[k] = a ^ b ^ carry
                    carry = (a & b) | (carry & (a ^ b))
                for i in range(8):
                    v = zero
                    sh = np.uint64(8 * i)
                    for k in range(nbits + 1):
                        v |= lut_one[(sp[k] >> sh) & np.uint64(0xFF)] << np.uint64(k)
                    pix64[8 * q + i] = v         # ISI of pixels 64 q + 8 i + lane, in pixel order
            k0 = w0 * 64
            n = min(npix, k0 + nwc * 64) - k0
            dst = out[e, k0 : k0 + n]
            for k in range(n):
                dst[k] = table[pix8[k]]


@numba.njit(parallel=True, cache=True, nogil=True)
def stp_run(packed, cur0, R, u, prev, exp_d, exp_f, u0, f, one, npix, lowbit):
    """TFSTP synapse updates (see :mod:`spikevision.recon.tfstp`) for packed frames (n, F), frame i at
    relative tick ``cur0 + i``; state R, u (float64 or float32, one value per pixel) and prev (int64).
    exp_d[dt] = exp(-dt / D) and exp_f[dt] = exp(-dt / F) come from tables computed by NumPy
    (zero past their end, where the exponential underflows), so results equal the NumPy reference.
    The arithmetic runs in the dtype of R: ``one``, ``u0`` and ``f`` carry it."""
    n, fb = packed.shape
    n_ex = exp_d.shape[0]
    nch = (fb + 255) // 256
    zero = one - one
    for ch in numba.prange(nch):
        b0 = ch * 256
        b1 = min(fb, b0 + 256)
        for i in range(n):
            cur = cur0 + i
            for b in range(b0, b1):
                v = packed[i, b]
                while v:
                    k = lowbit[v]
                    v &= v - np.uint8(1)
                    px = 8 * b + k
                    if px >= npix:
                        continue
                    dt = cur - prev[px]
                    ed = exp_d[dt] if dt < n_ex else zero
                    ef = exp_f[dt] if dt < n_ex else zero
                    r = R[px]
                    uu = u[px]
                    R[px] = one - (one - r * (one - uu)) * ed
                    u[px] = u0 + (uu + f * (one - uu) - u0) * ef
                    prev[px] = cur


# --- the adaptive ("best") method from a pixel-major history ------------------------------------------------
# Frames are kept per pixel: ``hist[slot, px]`` holds 64 consecutive frames of pixel px (bit r = frame
# 64 * chunk + r, slot = chunk % R). Finding a pixel's spikes nearest a frame is then a few
# leading/trailing-zero counts on its own words, whatever the reach, instead of a scan of every frame.

_M64 = (np.uint64(0x00000000FFFFFFFF), np.uint64(0x0000FFFF0000FFFF), np.uint64(0x00FF00FF00FF00FF),
        np.uint64(0x0F0F0F0F0F0F0F0F), np.uint64(0x3333333333333333), np.uint64(0x5555555555555555))


@numba.njit(cache=True, nogil=True, inline="always")
def _transpose64(a, nq):
    """In place: 64x64 bit transposes of a (64, >= nq) uint64 block, column q by column q (vectorised
    over q): afterwards bit r of a[i, q] is bit i of the original a[r, q]."""
    j = 32
    for s in range(6):
        m = _M64[s]
        sj = np.uint64(j)
        for k in range(64):
            if k & j:
                continue
            ak = a[k]
            bk = a[k + j]
            for q in range(nq):
                t = ((ak[q] >> sj) ^ bk[q]) & m
                bk[q] ^= t
                ak[q] ^= t << sj
        j >>= 1


@numba.njit(parallel=True, cache=True, nogil=True)
def history_store(work64, p0, n, hist, slot, npix):
    """hist[slot, px] = bits r < n: frame p0 + r of ``work64`` (packed rows), pixel px (zero above n)."""
    nw = work64.shape[1]
    nblk = (nw + 63) // 64
    zero = np.uint64(0)
    for bi in numba.prange(nblk):
        q0 = bi * 64
        nq = min(nw, q0 + 64) - q0
        a = np.empty((64, 64), dtype=np.uint64)
        for r in range(64):
            if r < n:
                for q in range(nq):
                    a[r, q] = work64[p0 + r, q0 + q]
            else:
                for q in range(nq):
                    a[r, q] = zero
        # a[r, q]: bit i = pixel 64 (q0 + q) + i at frame r; transposed, a[i, q]: bit r = that pixel at frame r
        _transpose64(a, nq)
        for i in range(64):
            base = (q0 * 64) + i
            for q in range(nq):
                px = base + 64 * q
                if px < npix:
                    hist[slot, px] = a[i, q]
