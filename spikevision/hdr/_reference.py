"""NumPy references of the unwrapping kernels (slow, obvious; the compiled kernels must match them bit for bit).

Conventions (docs/algorithms.md, HDR by modulo unwrapping): readings ``y`` (S, N) of a free-running
counter modulo ``L`` (a power of two); the wrapped increment of interval ``s`` is
``d = (y[s] - y[s-1]) mod L`` and the unwrapped one ``n = d + k L`` with fold count ``k >= 0``.
Rounding is ``floor(x + 0.5)`` everywhere.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lar", "wrapped_increments", "temporal_ref", "hierarchical_ref", "history_index", "best_ref",
           "lookahead_factors"]


def lar(v: np.ndarray, L: int) -> np.ndarray:
    """Least absolute remainder R_L(v) = v - L * round(v / L), in [-L/2, L/2)."""
    v = np.asarray(v)
    if np.issubdtype(v.dtype, np.integer):
        return v - L * np.floor_divide(v + L // 2, L)
    return v - L * np.floor(v / L + 0.5)


def wrapped_increments(y: np.ndarray, L: int) -> np.ndarray:
    """(S-1, N) int64 wrapped increments ``(y[s] - y[s-1]) mod L``."""
    y = y.astype(np.int64)
    return np.mod(y[1:] - y[:-1], L)


def temporal_ref(y: np.ndarray, L: int) -> np.ndarray:
    """Temporal unwrapping: counts (S, N) int64 with counts[0] = 0 (exact while fewer than L fires per interval)."""
    out = np.zeros(y.shape, np.int64)
    np.cumsum(wrapped_increments(y, L), axis=0, out=out[1:])
    return out


def history_index(ticks: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The prediction plan of every interval s (1..S-1), from the ticks alone.

    Returns ``(rlong, rshort, flong, fshort)``: ``rlong[s]`` is the read opening the longest window
    ``(t_r, t_{s-1}]`` of at most ``window`` ticks (the long prediction), ``rshort[s] = s - 2`` (the previous
    interval); -1 where none exists. ``f*[s] = (t_s - t_{s-1}) / (t_{s-1} - t_r)`` scales the window's count
    to the interval: the prediction is ``(c[s-1] - c[r]) * f``.
    """
    t = np.asarray(ticks, np.int64)
    S = len(t)
    rlong = np.full(S, -1, np.int64)
    rshort = np.full(S, -1, np.int64)
    flong = np.zeros(S, np.float64)
    fshort = np.zeros(S, np.float64)
    for s in range(2, S):
        end = t[s - 1]
        r = min(int(np.searchsorted(t, end - window, side="left")), s - 2)
        rlong[s], rshort[s] = r, s - 2
        g = float(t[s] - t[s - 1])
        flong[s] = g / float(end - t[r])
        fshort[s] = g / float(end - t[s - 2])
    return rlong, rshort, flong, fshort


def lookahead_factors(ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``fnext[i] = g_i / g_{i+1}`` and ``fprev[i] = g_i / g_{i-1}`` for the intervals ``g_i = t_i - t_{i-1}``."""
    g = np.diff(np.asarray(ticks, np.int64), prepend=ticks[0]).astype(np.float64)
    fnext = np.zeros(len(g))
    fprev = np.zeros(len(g))
    fnext[1:-1] = g[1:-1] / g[2:]
    fprev[2:] = g[2:] / g[1:-1]
    return fnext, fprev


def _fold(pred: np.ndarray, d: np.ndarray, inv_l: float) -> np.ndarray:
    return np.maximum(np.floor((pred - d) * inv_l + 0.5), 0).astype(np.int64)


def hierarchical_ref(y: np.ndarray, L: int, counts: np.ndarray, flags: np.ndarray, s0: int, rlong: np.ndarray,
                     rshort: np.ndarray, flong: np.ndarray, fshort: np.ndarray, use_short: bool) -> None:
    """Fold selection by prediction from the unwrapped history, in place on ``counts``/``flags`` from read s0.

    Interval s is predicted from the count over the long window (``rlong``, scaled by ``flong``) and over the
    previous interval (``rshort``, ``fshort``); ``k = max(0, round((prediction - d) / L))``. A pixel is
    flagged where the two predictions choose different folds (the rate changed: motion); ``use_short`` then
    takes the previous interval's.
    """
    yy = y.astype(np.int64)
    inv = 1.0 / L
    for s in range(s0, len(rlong)):
        d = (yy[s] - yy[s - 1]) & (L - 1)
        if rlong[s] >= 0:
            k = _fold((counts[s - 1] - counts[rlong[s]]).astype(np.float64) * flong[s], d, inv)
            ks = _fold((counts[s - 1] - counts[rshort[s]]).astype(np.float64) * fshort[s], d, inv)
            f = k != ks
            if use_short:
                k = np.where(f, ks, k)
        else:
            k = np.zeros(d.shape, np.int64)
            f = np.zeros(d.shape, bool)
        counts[s] = counts[s - 1] + d + k * L
        flags[s] = f


def best_ref(y: np.ndarray, L: int, counts: np.ndarray, flags: np.ndarray, rlong: np.ndarray, rshort: np.ndarray,
             flong: np.ndarray, fshort: np.ndarray, fnext: np.ndarray, fprev: np.ndarray, s0: int = 1,
             prev: np.ndarray | None = None, cur: np.ndarray | None = None) -> None:
    """"best" in one pass over the reads (in place; ``counts[0]`` is the start).

    Read s: the hierarchical fold choice (the previous interval's prediction where the long and short
    windows disagree, flagged), then the look-ahead check of the interval before it: interval i = s - 1 is
    predicted from the new interval's count scaled by ``fnext[i]``; where that picks another fold than the
    one chosen (the rate changed inside interval i) its fold is re-chosen from the mean of the previous
    (``fprev``) and next predictions, the read is flagged, and both counts shift by the change.
    Streaming: start at read ``s0`` with the state ``prev`` (the final increment of interval s0 - 2) and
    ``cur`` (the unchecked increment of interval s0 - 1), both updated in place.
    """
    S = len(rlong)
    inv = 1.0 / L
    shift = L.bit_length() - 1
    yy = y.astype(np.int64)
    state = (prev, cur)
    prev = np.zeros(yy.shape[1], np.int64) if prev is None else prev.copy()  # final increment of interval s - 2
    cur = np.zeros(yy.shape[1], np.int64) if cur is None else cur.copy()  # increment of interval s - 1, unchecked
    for s in range(s0, S):
        d = (yy[s] - yy[s - 1]) & (L - 1)
        if rlong[s] >= 0:
            k = _fold((counts[s - 1] - counts[rlong[s]]).astype(np.float64) * flong[s], d, inv)
            ks = _fold((counts[s - 1] - counts[rshort[s]]).astype(np.float64) * fshort[s], d, inv)
            f = k != ks
            k = np.where(f, ks, k)
        else:
            k = np.zeros(d.shape, np.int64)
            f = np.zeros(d.shape, bool)
        nxt = d + k * L
        counts[s] = counts[s - 1] + nxt
        flags[s] = f
        i = s - 1
        if i >= 2:
            di = (yy[i] - yy[i - 1]) & (L - 1)
            pn = nxt.astype(np.float64) * fnext[i]
            bad = _fold(pn, di, inv) != ((cur - di) >> shift)
            new = di + _fold(0.5 * (pn + prev.astype(np.float64) * fprev[i]), di, inv) * L
            delta = np.where(bad, new - cur, 0)
            counts[i] += delta
            counts[s] += delta
            flags[i] |= bad
            cur = cur + delta
        prev, cur = cur, nxt
    if state[0] is not None:
        state[0][...] = prev
    if state[1] is not None:
        state[1][...] = cur
