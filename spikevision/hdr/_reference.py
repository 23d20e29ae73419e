"""NumPy references of the unwrapping kernels (slow, obvious; the compiled kernels must match them bit for bit).

Conventions (docs/algorithms.md, HDR by modulo unwrapping): readings ``y`` (S, N) of a free-running
counter modulo ``L`` (a power of two); the wrapped increment of interval ``s`` is
``d = (y[s] - y[s-1]) mod L`` and the unwrapped one ``n = d + k L`` with fold count ``k >= 0``.
Rounding is ``floor(x + 0.5)`` everywhere.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lar", "wrapped_increments", "temporal_ref", "hierarchical_ref", "history_index", "lookahead_ref",
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


def lookahead_ref(y: np.ndarray, L: int, counts: np.ndarray, flags: np.ndarray, fnext: np.ndarray,
                  fprev: np.ndarray) -> None:
    """Second, non-causal pass of "best" (in place): re-check each interval against the next one.

    Interval i (reads i-1 -> i) is predicted from the next interval's count scaled by ``fnext[i]``; where
    that picks another fold than the one chosen (the rate changed inside the interval), the fold is re-chosen
    from the mean of the previous (``fprev``) and next predictions and the read is flagged.
    """
    S = len(counts)
    if S < 4:
        return
    inv = 1.0 / L
    yy = y.astype(np.int64)
    inc = np.diff(counts, axis=0)  # inc[i - 1] is interval i
    for i in range(2, S - 1):
        d = (yy[i] - yy[i - 1]) & (L - 1)
        prev = inc[i - 2].astype(np.float64)
        nxt = inc[i].astype(np.float64)
        k = (inc[i - 1] - d) >> (L.bit_length() - 1)
        bad = _fold(nxt * fnext[i], d, inv) != k
        km = _fold(0.5 * (nxt * fnext[i] + prev * fprev[i]), d, inv)
        inc[i - 1] = np.where(bad, d + km * L, inc[i - 1])
        flags[i] |= bad
    counts[1:] = counts[0] + np.cumsum(inc, axis=0)
