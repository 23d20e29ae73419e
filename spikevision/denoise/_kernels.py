"""Compiled denoising kernels (numba), the fast twins of :mod:`._reference`.

Both kernels work straight from canonical packed frames (n, F) uint8: pixel
``k = 8 * b + i`` is bit ``i`` of byte ``b``. Work is split over chunks of
bytes (parallel, nogil); each chunk runs all ticks of the block for its pixels,
so per-pixel state stays in cache. The arithmetic (float32, same operation
order, no fused multiply-add) is that of the NumPy reference, so both give
bit-identical spikes.
"""

from __future__ import annotations

import numba
import numpy as np

from ._reference import CAP, DEV, FIRE, FLOOR, PH_CAP

__all__ = ["accumulate", "reemit", "repair", "CHUNK"]

#: packed bytes per parallel work item
CHUNK = 64


@numba.njit(parallel=True, cache=True, nogil=True)
def accumulate(packed, tick0, count, first, last, sumsq):  # pragma: no cover - compiled
    """Calibration statistics of packed frames (ticks ``tick0 ..``): count, first, last, sum of squared ISIs."""
    n, nb = packed.shape
    nch = (nb + CHUNK - 1) // CHUNK
    for ci in numba.prange(nch):
        b0 = ci * CHUNK
        b1 = min(nb, b0 + CHUNK)
        for j in range(n):
            t = tick0 + j
            for b in range(b0, b1):
                v = packed[j, b]
                if v == 0:
                    continue
                for i in range(8):
                    if (v >> i) & 1:
                        k = 8 * b + i
                        if count[k] > 0:
                            d = np.float64(t - last[k])
                            sumsq[k] += d * d
                        else:
                            first[k] = t
                        last[k] = t
                        count[k] += 1


@numba.njit(parallel=True, cache=True, nogil=True)
def reemit(packed, tick0, last, ph, rate, acc, dev, hsum, hn, dark, inv_gain, history, gate, sync, inv_lock,
           out):  # pragma: no cover - compiled
    """Re-emission over packed frames (formula: :mod:`._reference`); state arrays are flat (8 * F,)."""
    n, nb = packed.shape
    nch = (nb + CHUNK - 1) // CHUNK
    one = np.float32(1.0)
    zero = np.float32(0.0)
    fire_at = np.float32(FIRE)
    cap = np.float32(CAP)
    floor = np.float32(FLOOR)
    devmax = np.float32(DEV)
    phcap = np.float32(PH_CAP)
    for ci in numba.prange(nch):
        b0 = ci * CHUNK
        b1 = min(nb, b0 + CHUNK)
        for j in range(n):
            t = tick0 + j
            for b in range(b0, b1):
                v = packed[j, b]
                o = np.uint8(0)
                for i in range(8):
                    k = 8 * b + i
                    s = (v >> i) & 1
                    dphi = zero
                    lk = last[k]
                    if lk >= 0:
                        ival = np.float32(t - lk)
                        r = zero
                        step = False
                        if s:
                            if history > 1:
                                m = hsum[k]
                                c = hn[k]
                                if c > 0 and abs(ival - m) > gate * m + one:
                                    c = 0
                                c = min(c + 1, history)
                                hn[k] = c
                                m = m + (ival - m) / np.float32(c)
                                hsum[k] = m
                                rate[k] = one / m
                            else:
                                rate[k] = one / ival
                            r = rate[k]
                            step = True
                            if sync:
                                dphi = one - ph[k]
                        elif rate[k] > zero:
                            r = rate[k]
                            if ival * r > one:
                                r = one / ival
                            step = True
                            if sync:
                                dphi = max(min(r, phcap - ph[k]), zero)
                                ph[k] = ph[k] + dphi
                        if step and not sync:
                            p = ph[k] + r
                            if s:
                                dv = dev[k] + (one - p)
                                dev[k] = min(max(dv, -devmax), devmax)
                                p = zero
                            ph[k] = p
                            cr = dev[k] * r * inv_lock
                            dev[k] = dev[k] - cr
                            dphi = r + cr
                    if s:
                        ph[k] = zero
                        last[k] = t
                    a = acc[k] + (dphi - dark[k]) * inv_gain[k]
                    a = max(min(a, cap), floor)
                    if a >= fire_at:
                        acc[k] = a - one
                        o |= np.uint8(1) << np.uint8(i)
                    else:
                        acc[k] = a
                out[j, b] = o


@numba.njit(cache=True, nogil=True)
def repair(src_packed, bad, good, out):  # pragma: no cover - compiled
    """For every bad pixel ``bad[m]``, copy the bit of pixel ``good[m]`` of ``src_packed`` into ``out`` (n, F)."""
    n = out.shape[0]
    for m in range(bad.shape[0]):
        kb, kg = bad[m], good[m]
        bb, ib = kb >> 3, np.uint8(kb & 7)
        bg, ig = kg >> 3, np.uint8(kg & 7)
        for j in range(n):
            bit = (src_packed[j, bg] >> ig) & np.uint8(1)
            out[j, bb] = (out[j, bb] & ~(np.uint8(1) << ib)) | (bit << ib)
