"""NumPy reference of the denoising kernels: one tick at a time over all pixels, natural layout.

This is the slow, obvious form the compiled kernels (:mod:`._kernels`) are tested
against bit for bit. Pixels are the canonical flat index ``k = r * W + c`` padded
to a multiple of 8 (padding pixels never fire).

**Calibration statistics** (:func:`accumulate`): per pixel the spike count, the
ticks of the first and last spike and the sum of squared inter-spike intervals.

**Re-emission** (:func:`reemit`), per pixel and tick ``t`` with input spike ``s``
(float32 throughout, in this order)::

    if s and since >= 0:                # an interval I = since + 1 just ended
        if n > 0 and |I - m| > gate * m + 1: n = 0          # motion gate
        n = min(n + 1, K);  m += (I - m) / n;  rate = 1 / m
        (the running mean of the intervals since the gate last opened, then an exponential mean of
        weight 1 / K; K = history = 1: the last interval)
        dphi = 1 - ph   (sync: the input phase is exactly one more spike)   or   rate
    elif s:               dphi = 0 (first spike: the phase becomes known)
    elif rate > 0:        r = rate, or 1 / (since + 1) when the interval already outlasts 1 / rate
                          dphi = max(min(r, PH_CAP - ph), 0); ph += dphi   (sync: extrapolated phase, stopping
                          just short of the next spike)
    else:                 dphi = 0
    ph = 0 where s (sync)

Without sync (soft lock) the rate ``r`` of every tick after the first spike is integrated in ``ph``; at each
input spike the input phase has advanced by exactly one, so ``dev = clip(dev + 1 - ph, -DEV, DEV)`` and
``ph = 0``; every such tick emits ``dphi = r + c`` with ``c = dev * r * inv_lock`` and ``dev -= c``: the
phase error is paid back over about ``1 / inv_lock`` intervals (``inv_lock = 0``: no lock).
    acc  = clip(acc + (dphi - dark) * inv_gain, FLOOR, CAP)
    out  = acc >= FIRE;  acc -= 1 where out
"""

from __future__ import annotations

import numpy as np

__all__ = ["accumulate", "reemit", "FIRE", "CAP", "FLOOR", "DEV", "PH_CAP", "AGE_CAP"]

#: output fires when the corrected phase reaches this (1 less a rounding margin)
FIRE = np.float32(1.0 - 1e-4)
#: the corrected accumulator is kept within [FLOOR, CAP] (a full well; no debt below one spike)
CAP = np.float32(2.0)
FLOOR = np.float32(-1.0)
#: the extrapolated input phase (sync) stops short of the next spike, so the output never fires before it
PH_CAP = np.float32(1.0 - 1e-3)
#: ticks since the last spike are counted up to this (exact in float32)
AGE_CAP = np.float32(2 ** 24)
#: the soft lock's phase deviation is kept within [-DEV, DEV] spikes
DEV = np.float32(2.0)


def accumulate(frames: np.ndarray, tick0: int, count: np.ndarray, first: np.ndarray, last: np.ndarray,
               sumsq: np.ndarray) -> None:
    """Add unpacked frames (n, P) uint8 (ticks ``tick0 ..``) to the per-pixel statistics, in place."""
    for j in range(frames.shape[0]):
        t = tick0 + j
        k = np.flatnonzero(frames[j])
        seen = count[k] > 0
        d = (t - last[k[seen]]).astype(np.float64)
        sumsq[k[seen]] += d * d
        first[k[~seen]] = t
        last[k] = t
        count[k] += 1


def reemit(frames: np.ndarray, tick0: int, st: dict, dark: np.ndarray, inv_gain: np.ndarray, history: int,
           gate: np.float32, sync: bool, inv_lock: np.float32) -> np.ndarray:
    """Run the re-emission over unpacked frames (n, P) uint8; update the state dict ``st``; return (n, P) uint8.

    State (float32): ``since`` (ticks since the last spike, -1 before the first; capped at :data:`AGE_CAP`),
    ``ph``, ``rate``, ``acc``, ``dev``, ``hsum`` (the mean interval m), ``hn`` (intervals in it).
    """
    one, zero = np.float32(1.0), np.float32(0.0)
    gate = np.float32(gate)
    out = np.zeros_like(frames)
    since, ph, rate, acc, dev = st["since"], st["ph"], st["rate"], st["acc"], st["dev"]
    inv_lock = np.float32(inv_lock)
    hsum, hn = st["hsum"], st["hn"]
    for j in range(frames.shape[0]):
        s = frames[j] != 0
        known = since >= zero
        ended = s & known
        ival = since + one
        dphi = np.zeros(s.shape, np.float32)
        reset = ended & (hn > zero) & (np.abs(ival - hsum) > gate * hsum + one)
        hn[reset] = zero
        hn[ended] = np.minimum(hn[ended] + one, np.float32(history))
        hsum[ended] = hsum[ended] + (ival[ended] - hsum[ended]) / hn[ended]
        rate[ended] = one / hsum[ended]
        quiet = ~s & known & (rate > zero)
        r = rate.copy()
        late = quiet & (ival * r > one)
        r[late] = one / ival[late]
        if sync:
            dphi[ended] = one - ph[ended]
            dphi[quiet] = np.maximum(np.minimum(r[quiet], PH_CAP - ph[quiet]), zero)
            ph[quiet] = ph[quiet] + dphi[quiet]
            ph[s] = zero
        else:
            step = ended | quiet
            ph[step] = ph[step] + r[step]
            dev[ended] = np.minimum(np.maximum(dev[ended] + (one - ph[ended]), -DEV), DEV)
            ph[s] = zero
            c = dev[step] * r[step] * inv_lock
            dev[step] = dev[step] - c
            dphi[step] = r[step] + c
        since[:] = np.where(s, zero, np.where(known, np.minimum(ival, AGE_CAP), -one))
        a = acc + (dphi - dark) * inv_gain
        a = np.maximum(np.minimum(a, CAP), FLOOR)
        fire = a >= FIRE
        acc[:] = np.where(fire, a - one, a)
        out[j] = fire
    return out
