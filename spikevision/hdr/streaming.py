"""``StreamingUnwrapper``: unwrap counter readings as they arrive, equal to :func:`~.api.unwrap` offline.

Keeps the reads of the last prediction window (and the last two) as state; each pushed block is
unwrapped with the same kernels as the offline function, so the counts and flags match exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import _reference
from .api import HDRInputError, _check, _run_best, _run_hier, _run_temporal

__all__ = ["StreamingUnwrapper"]


class StreamingUnwrapper:
    """Unwrap a live sequence of modulo reads (temporal, hierarchical or best; NumPy/numba).

    Args:
        bits: counter width B.
        window: the long prediction window in ticks (as :func:`~.api.unwrap`; give the schedule's period).
        method: "best" (default), "hierarchical" or "temporal". "best" checks each interval against the
            next one, so a read is returned once the next read has arrived (a latency of one read);
            :meth:`flush` returns the last one.
        engine: "numba" (default) or "numpy".

    Example:
        >>> import numpy as np
        >>> ticks = np.array([0, 1, 5, 15, 25, 35, 45, 55])
        >>> n = 30 * ticks[:, None, None] + np.zeros((1, 2, 2), int)
        >>> su = StreamingUnwrapper(8, window=40)
        >>> c = [su.push((n[i:i + 4] % 256).astype(np.uint8), ticks[i:i + 4])[0] for i in (0, 4)]
        >>> int(c[1][-1, 0, 0]), int(su.flush()[0][-1, 0, 0])   # the last read comes with flush()
        (1350, 1650)
    """

    def __init__(self, bits: int, window: int, method: str = "best", engine: str = "numba"):
        if method not in ("temporal", "hierarchical", "best"):
            raise HDRInputError(f"streaming unwrapping supports temporal, hierarchical and best, not {method!r} "
                                f"(spatial needs whole frames: call unwrap)")
        if int(window) < 1:
            raise HDRInputError(f"window must be >= 1 tick, got {window}")
        self.bits, self.window, self.method, self.engine = int(bits), int(window), method, engine
        self.reset()

    @property
    def latency(self) -> int:
        """Reads held back until the next one arrives (1 for "best", else 0)."""
        return 1 if self.method == "best" else 0

    def reset(self) -> None:
        """Forget every read (the next one is read 0)."""
        self._y = self._t = self._c = self._f = None
        self._state = None
        self._pending = 0

    def push(self, y: np.ndarray, ticks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unwrap a block of reads (n, H, W) at ``ticks`` (n,); return (counts, flags) of the reads now final."""
        y, t, _ = _check(np.asarray(y), np.asarray(ticks), self.bits)
        if self._t is not None:
            if y.shape[1:] != self._y.shape[1:]:
                raise HDRInputError(f"reads are {y.shape[1:]}, earlier ones {self._y.shape[1:]}; one sensor per "
                                    f"stream (reset() to start another)")
            if len(t) and t[0] <= self._t[-1]:
                raise HDRInputError(f"tick {t[0]} does not follow the previous read at {self._t[-1]}; ticks must "
                                    f"keep increasing")
            ya, ta, s0 = np.concatenate([self._y, y]), np.concatenate([self._t, t]), len(self._t)
        else:
            ya, ta, s0 = y, t, 1
        S, H, W = ya.shape
        L = 1 << self.bits
        counts = np.zeros((S, H * W), np.int64)
        flags = np.zeros((S, H * W), bool)
        if self._c is not None:
            counts[:s0] = self._c
            flags[:s0] = self._f
        if self._state is None:
            self._state = (np.zeros(H * W, np.int64), np.zeros(H * W, np.int64))
        flat = ya.reshape(S, H * W)
        if S > s0:
            if self.method == "temporal":
                base = counts[s0 - 1].copy()
                part = np.zeros((S - s0 + 1, H * W), np.int64)
                _run_temporal(np.ascontiguousarray(flat[s0 - 1 :]), L, part, np, self.engine)
                counts[s0:] = part[1:] + base
            elif self.method == "hierarchical":
                _run_hier(flat, L, counts, flags, _reference.history_index(ta, self.window), False, np, self.engine,
                          s0)
            else:
                _run_best(flat, L, counts, flags, _reference.history_index(ta, self.window),
                          _reference.lookahead_factors(ta), np, self.engine, s0, self._state)
        first = s0 - self._pending if self._t is not None else 0
        last = S - self.latency
        out_c = counts[first:last].reshape(-1, H, W).copy()
        out_f = flags[first:last].reshape(-1, H, W).copy()
        self._pending = S - max(last, first)
        keep = max(0, min(S - 3, int(np.searchsorted(ta, ta[-1] - self.window, side="left"))))
        self._y, self._t = ya[keep:].copy(), ta[keep:].copy()
        self._c, self._f = counts[keep:].copy(), flags[keep:].copy()
        return out_c, out_f

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """The reads still held back ("best": the last one), as (counts, flags); the state stays."""
        if self._c is None or not self._pending:
            shape = (0,) + (self._y.shape[1:] if self._y is not None else (0, 0))
            return np.zeros(shape, np.int64), np.zeros(shape, bool)
        H, W = self._y.shape[1:]
        n = self._pending
        self._pending = 0
        return self._c[-n:].reshape(-1, H, W).copy(), self._f[-n:].reshape(-1, H, W).copy()

    def iter_reads(self, y: np.ndarray, ticks: np.ndarray, block: int = 64) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Push ``y``/``ticks`` in blocks of ``block`` reads, yielding (counts, flags) per block, then the flush."""
        for a in range(0, len(ticks), block):
            yield self.push(y[a : a + block], ticks[a : a + block])
        yield self.flush()
