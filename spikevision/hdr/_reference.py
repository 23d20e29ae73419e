"""NumPy references of the unwrapping kernels (slow, obvious; the compiled kernels must match them bit for bit).

Conventions (docs/algorithms.md, HDR by modulo unwrapping): readings ``y`` (S, N) of a free-running counter
modulo ``L``; the wrapped increment of interval ``s`` is ``d = (y[s] - y[s-1]) mod L`` and the unwrapped one
``n = d + k L`` with fold count ``k >= 0``. Rounding is ``floor(x + 0.5)`` everywhere.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lar", "wrapped_increments", "temporal_ref", "hierarchical_ref", "history_index", "lookahead_ref"]


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


def history_index(ticks: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """For each interval s (1..S-1): the read ``r`` opening the longest window ``(t_r, t_{s-1}]`` of at most
    ``window`` ticks (the long prediction), and ``s - 2`` for the short one (the previous interval); -1 where
    none exists."""
    S = len(ticks)
    rlong = np.full(S, -1, np.int64)
    rshort = np.full(S, -1, np.int64)
    for s in range(2, S):
        end = ticks[s - 1]
        r = int(np.searchsorted(ticks, end - window, side="left"))
        rlong[s] = min(r, s - 2)
        rshort[s] = s - 2
    return rlong, rshort


def _fold(pred: np.ndarray, d: np.ndarray, L: int) -> np.ndarray:
    return np.maximum(np.floor((pred - d) / L + 0.5), 0).astype(np.int64)


def hierarchical_ref(y: np.ndarray, ticks: np.ndarray, L: int, counts: np.ndarray, flags: np.ndarray, s0: int,
                     rlong: np.ndarray, rshort: np.ndarray, use_short: bool) -> None:
    """Fold selection by prediction from the unwrapped history, in place on ``counts``/``flags`` from read s0.

    Interval s is predicted from the rate over the long window ``(t_rlong, t_{s-1}]`` and over the short one
    (the previous interval); ``k = round((prediction - d) / L)``. A pixel is flagged where the two predictions
    choose different folds (the rate changed: motion); ``use_short`` then takes the short one.
    """
    t = ticks.astype(np.int64)
    yy = y.astype(np.int64)
    for s in range(s0, len(t)):
        d = np.mod(yy[s] - yy[s - 1], L)
        g = float(t[s] - t[s - 1])
        k = np.zeros(d.shape, np.int64)
        ks = k
        has = rlong[s] >= 0
        if has:
            r = rlong[s]
            span = float(t[s - 1] - t[r])
            k = _fold((counts[s - 1] - counts[r]).astype(np.float64) * g / span, d, L)
            q = rshort[s]
            span_s = float(t[s - 1] - t[q])
            ks = _fold((counts[s - 1] - counts[q]).astype(np.float64) * g / span_s, d, L)
            f = k != ks
            if use_short:
                k = np.where(f, ks, k)
        else:
            f = np.zeros(d.shape, bool)
        counts[s] = counts[s - 1] + d + k * L
        flags[s] = f


def lookahead_ref(y: np.ndarray, ticks: np.ndarray, L: int, counts: np.ndarray, flags: np.ndarray) -> None:
    """Second, non-causal pass of "best" (in place): re-check each interval against the rate of the next one.

    Where the next interval's rate picks another fold than the chosen one (the rate changed inside the
    interval), the fold is re-chosen from the mean of the previous and next rates and the read is flagged.
    """
    S = len(ticks)
    if S < 4:
        return
    t = ticks.astype(np.int64)
    g = np.diff(t).astype(np.float64)
    inc = np.diff(counts, axis=0)  # inc[s - 1] is interval s
    d = np.mod(np.diff(y.astype(np.int64), axis=0), L)
    for i in range(1, S - 2):
        rb = inc[i - 1].astype(np.float64) / g[i - 1]
        ra = inc[i + 1].astype(np.float64) / g[i + 1]
        k = (inc[i] - d[i]) // L
        ka = _fold(ra * g[i], d[i], L)
        bad = ka != k
        km = _fold((ra + rb) / 2 * g[i], d[i], L)
        inc[i] = np.where(bad, d[i] + km * L, inc[i])
        flags[i + 1] |= bad
    counts[1:] = np.cumsum(inc, axis=0)
