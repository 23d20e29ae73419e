"""Compiled denoising kernels (numba), the fast twins of :mod:`._reference`.

Both kernels work straight from canonical packed frames (n, F) uint8: pixel
``k = 8 * b + i`` is bit ``i`` of byte ``b``. Work is split over chunks of
bytes (parallel, nogil); each chunk runs all ticks of the block for its pixels,
so per-pixel state stays in cache. The re-emission keeps its state in the
bit-plane layout of :mod:`spikevision.sim._kernels` (see :func:`to_planes`). The arithmetic (float32, same operation
order, no fused multiply-add) is that of the NumPy reference, so both give
bit-identical spikes.
"""

from __future__ import annotations

import numba
import numpy as np

from ._reference import AGE_CAP, CAP, DEV, FIRE, FLOOR, PH_CAP

__all__ = ["accumulate", "accumulate_sparse", "accumulate_auto", "reemit", "repair", "to_planes", "from_planes",
           "CHUNK", "PCHUNK"]


def accumulate_auto(packed, tick0, count, first, last, sumsq) -> None:
    """:func:`accumulate` or :func:`accumulate_sparse`, whichever suits the block's density (same results)."""
    probe = packed[:: max(1, len(packed) // 8)]
    dense = probe.size and np.count_nonzero(probe) > DENSE_BYTES * probe.size
    if not dense:
        accumulate_sparse(packed, tick0, count, first, last, sumsq)
        return
    for a in range(0, len(packed), DENSE_CALL):
        accumulate(packed[a: a + DENSE_CALL], tick0 + a, count, first, last, sumsq)


def to_planes(flat: np.ndarray) -> np.ndarray:
    """Flat canonical per-pixel values (8 * F,) -> contiguous bit-plane layout (8, F)."""
    return np.ascontiguousarray(np.asarray(flat).reshape(-1, 8).T)


def from_planes(planes: np.ndarray) -> np.ndarray:
    """Bit-plane layout (8, F) -> flat canonical (8 * F,)."""
    return np.ascontiguousarray(planes.T).reshape(-1)

#: packed bytes per parallel work item of the calibration pass (dense / sparse kernel)
CHUNK = 256
SCHUNK = 64
#: the dense calibration kernel is used where more than this fraction of packed bytes is nonzero
DENSE_BYTES = 0.1
#: packed bytes per parallel work item of the re-emission (its state, 9 planes x 8 x PCHUNK float32, stays in L2)
PCHUNK = 512


@numba.njit(parallel=True, cache=True, nogil=True)
def accumulate(packed, tick0, count, first, last, sumsq):  # pragma: no cover - compiled
    """Calibration statistics of packed frames (ticks ``tick0 ..``): count, first, last, sum of squared ISIs.

    Per chunk of bytes the state is held in local bit-plane buffers (``[i, b]`` = pixel ``8 b + i``) and
    updated branch-free for every pixel and tick, which vectorises (a spike per event would not). The loop
    carries two int32 values per pixel and a uint8 counter:
    - ``S``, ticks since the last spike, starting at -2**30 (no spike yet in this call);
    - ``Q``, the sum of ``max(2 S + 1, 0)``: every tick after a spike adds ``2 S + 1``, so an interval of
      d ticks has added ``d**2`` when it ends (no multiply); the still-open interval (``S_end**2``) is
      taken back at the end, and the interval that began before the call is added whole;
    - the spike count, in uint8 planes flushed every 255 ticks.
    The first spike of each pixel is found afterwards by a scan that stops at it. Sums stay below ``n**2``
    (int32 for calls of up to :data:`DENSE_CALL` frames).
    """
    n, nb = packed.shape
    nch = (nb + CHUNK - 1) // CHUNK
    none = np.int32(-(2 ** 30))
    for ci in numba.prange(nch):
        b0 = ci * CHUNK
        m = min(nb, b0 + CHUNK) - b0
        S = np.empty((8, CHUNK), np.int32)
        Q = np.zeros((8, CHUNK), np.int32)
        C = np.zeros((8, CHUNK), np.int32)
        P = np.zeros((8, CHUNK), np.uint8)
        for i in range(8):
            for b in range(m):
                S[i, b] = none
        row = np.empty(CHUNK, np.uint8)
        for j0 in range(0, n, 255):
            for j in range(j0, min(n, j0 + 255)):
                for b in range(m):
                    row[b] = packed[j, b0 + b]
                for i in range(8):
                    for b in range(m):
                        s = (row[b] >> i) & 1
                        sv = S[i, b]
                        Q[i, b] += max(sv + sv + 1, 0)
                        S[i, b] = 0 if s else sv + 1
                        P[i, b] += np.uint8(s)
            for i in range(8):
                for b in range(m):
                    C[i, b] += P[i, b]
                    P[i, b] = 0
        for b in range(m):
            todo = 0
            for i in range(8):
                todo |= (1 << i) if C[i, b] > 0 else 0
            for j in range(n):   # the first spike of each pixel that fired: stop once all are found
                if todo == 0:
                    break
                v = packed[j, b0 + b] & todo
                if v:
                    todo &= ~v
                    for i in range(8):
                        if (v >> i) & 1:
                            k = 8 * (b0 + b) + i
                            se = np.int64(S[i, b])
                            q = np.float64(np.int64(Q[i, b]) - se * se)   # intervals closed inside this call
                            if count[k] == 0:                             # the first spike ever
                                first[k] = tick0 + j
                            else:                                         # the interval from the last spike
                                d0 = np.float64(tick0 + j - last[k])
                                q += d0 * d0
                            sumsq[k] += q
                            last[k] = tick0 + n - 1 - S[i, b]
                            count[k] += C[i, b]


#: frames per call of the dense calibration kernel (its int32 sums hold n**2)
DENSE_CALL = 32768


@numba.njit(parallel=True, cache=True, nogil=True)
def accumulate_sparse(packed, tick0, count, first, last, sumsq):  # pragma: no cover - compiled
    """:func:`accumulate` visiting set bits only: faster where few pixels fire (dark recordings)."""
    n, nb = packed.shape
    nch = (nb + SCHUNK - 1) // SCHUNK
    for ci in numba.prange(nch):
        b0 = ci * SCHUNK
        b1 = min(nb, b0 + SCHUNK)
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


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def reemit(packed, since, ph, rate, acc, dev, hsum, hn, dark, inv_gain, history, gate, sync, inv_lock,
           out):  # pragma: no cover - compiled
    """Re-emission over packed frames (formula: :mod:`._reference`).

    State and per-pixel inputs are float32 in the bit-plane layout (8, F): ``[i, b]`` is pixel ``8 * b + i``,
    so for a fixed bit ``i`` the loop over bytes is contiguous and branch-free (selects), and vectorises.
    """
    n, nb = packed.shape
    nch = (nb + PCHUNK - 1) // PCHUNK
    one = np.float32(1.0)
    zero = np.float32(0.0)
    fire_at = np.float32(FIRE)
    cap = np.float32(CAP)
    floor = np.float32(FLOOR)
    devmax = np.float32(DEV)
    phcap = np.float32(PH_CAP)
    agecap = np.float32(AGE_CAP)
    kf = np.float32(history)
    for ci in numba.prange(nch):
        b0 = ci * PCHUNK
        m = min(nb, b0 + PCHUNK) - b0
        # local copies of the chunk's state: fresh buffers do not alias, so the loops over b vectorise
        SI = np.empty((8, PCHUNK), np.float32)
        PH = np.empty((8, PCHUNK), np.float32)
        RA = np.empty((8, PCHUNK), np.float32)
        AC = np.empty((8, PCHUNK), np.float32)
        DV = np.empty((8, PCHUNK), np.float32)
        HS = np.empty((8, PCHUNK), np.float32)
        HN = np.empty((8, PCHUNK), np.float32)
        DK = np.empty((8, PCHUNK), np.float32)
        IG = np.empty((8, PCHUNK), np.float32)
        for i in range(8):
            for b in range(m):
                SI[i, b] = since[i, b0 + b]
                PH[i, b] = ph[i, b0 + b]
                RA[i, b] = rate[i, b0 + b]
                AC[i, b] = acc[i, b0 + b]
                DV[i, b] = dev[i, b0 + b]
                HS[i, b] = hsum[i, b0 + b]
                HN[i, b] = hn[i, b0 + b]
                DK[i, b] = dark[i, b0 + b]
                IG[i, b] = inv_gain[i, b0 + b]
        bits = np.empty(PCHUNK, np.uint8)
        row = np.empty(PCHUNK, np.uint8)
        for j in range(n):
            for b in range(m):
                bits[b] = 0
                row[b] = packed[j, b0 + b]
            for i in range(8):
                bit = np.uint8(1) << np.uint8(i)
                if sync:
                    for b in range(m):
                        s = (row[b] & bit) != 0
                        sv = SI[i, b]
                        known = sv >= zero
                        ended = s & known
                        ival = sv + one
                        mu = HS[i, b]
                        c = HN[i, b]
                        c = zero if ((c > zero) & (abs(ival - mu) > gate * mu + one)) else c
                        c = min(c + one, kf)
                        mu = mu + (ival - mu) / c
                        HN[i, b] = c if ended else HN[i, b]
                        HS[i, b] = mu if ended else HS[i, b]
                        ra = (one / mu) if ended else RA[i, b]
                        RA[i, b] = ra
                        quiet = (not s) & known & (ra > zero)
                        r = (one / ival) if (quiet & (ival * ra > one)) else ra
                        p = PH[i, b]
                        dq = max(min(r, phcap - p), zero)
                        dphi = (one - p) if ended else (dq if quiet else zero)
                        PH[i, b] = zero if s else ((p + dq) if quiet else p)
                        SI[i, b] = zero if s else (min(ival, agecap) if known else -one)
                        a = AC[i, b] + (dphi - DK[i, b]) * IG[i, b]
                        a = max(min(a, cap), floor)
                        f = a >= fire_at
                        AC[i, b] = (a - one) if f else a
                        bits[b] |= bit if f else np.uint8(0)
                else:
                    for b in range(m):
                        s = (row[b] & bit) != 0
                        sv = SI[i, b]
                        known = sv >= zero
                        ended = s & known
                        ival = sv + one
                        mu = HS[i, b]
                        c = HN[i, b]
                        c = zero if ((c > zero) & (abs(ival - mu) > gate * mu + one)) else c
                        c = min(c + one, kf)
                        mu = mu + (ival - mu) / c
                        HN[i, b] = c if ended else HN[i, b]
                        HS[i, b] = mu if ended else HS[i, b]
                        ra = (one / mu) if ended else RA[i, b]
                        RA[i, b] = ra
                        quiet = (not s) & known & (ra > zero)
                        r = (one / ival) if (quiet & (ival * ra > one)) else ra
                        p = PH[i, b]
                        step = ended | quiet
                        p2 = p + r
                        dv = DV[i, b]
                        dv = min(max(dv + (one - p2), -devmax), devmax) if ended else dv
                        cr = dv * r * inv_lock
                        PH[i, b] = zero if s else (p2 if step else p)
                        DV[i, b] = (dv - cr) if step else dv
                        dphi = (r + cr) if step else zero
                        SI[i, b] = zero if s else (min(ival, agecap) if known else -one)
                        a = AC[i, b] + (dphi - DK[i, b]) * IG[i, b]
                        a = max(min(a, cap), floor)
                        f = a >= fire_at
                        AC[i, b] = (a - one) if f else a
                        bits[b] |= bit if f else np.uint8(0)
            for b in range(m):
                out[j, b0 + b] = bits[b]
        for i in range(8):
            for b in range(m):
                since[i, b0 + b] = SI[i, b]
                ph[i, b0 + b] = PH[i, b]
                rate[i, b0 + b] = RA[i, b]
                acc[i, b0 + b] = AC[i, b]
                dev[i, b0 + b] = DV[i, b]
                hsum[i, b0 + b] = HS[i, b]
                hn[i, b0 + b] = HN[i, b]


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
