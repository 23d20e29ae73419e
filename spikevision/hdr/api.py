"""``unwrap``: modulo counter readings in, unwrapped fire counts and linear HDR radiance out.

Follows "High-Speed Full-Color HDR Imaging via Unwrapping Modulo-Encoded Spike Streams"
(2026) and docs/algorithms.md (HDR by modulo unwrapping). Readings ``y`` (S, H, W) of a
free-running B-bit counter taken at ``ticks`` (S,) are unwrapped to ``counts`` relative to the
first read. Methods:

- ``"temporal"``: ``n = (y[s] - y[s-1]) mod L``: exact while fewer than L fires fall between reads.
- ``"hierarchical"``: fold selection by prediction from the nested windows of the schedule:
  ``k = round((prediction - d) / L)`` with the prediction from the rate over the longest window
  (at most ``window`` ticks, default the schedule's period) ending at the previous read; exact
  while ``|prediction error| < L/2``. Pixels where the prediction from the previous interval
  alone picks another fold are flagged (the rate changed: motion).
- ``"spatial"``: least squares on LAR-wrapped spatial gradients of each interval's increment,
  solved by a 2-D DCT, then the congruence step (:mod:`.spatial`); per CFA plane for colour.
- ``"best"`` (default): hierarchical where flagged pixels take the previous-interval prediction
  (the current rate), with a look-ahead check in the same pass: once read s is unwrapped, an
  interval s - 1 whose fold the new interval's rate contradicts is re-chosen from the mean of the
  previous and next rates and flagged (offline: it needs the next read). Chosen on
  the HDR benchmark scenes (benchmarks/bench_hdr_quality.py); spatial unwrapping of the flagged
  pixels did worse there (steep lamp edges break Itoh's condition), so "best" does not use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..backend import get_namespace, to_numpy
from ..errors import SpikevisionError
from . import _kernels, _reference

__all__ = ["unwrap", "HDRResult", "HDRInputError", "METHODS", "BEST", "default_window"]

METHODS = ("temporal", "hierarchical", "spatial", "best")
BEST = "best"


class HDRInputError(SpikevisionError, ValueError):
    """Bad input to the HDR functions (shapes, ranges, ticks)."""


@dataclass
class HDRResult:
    """Unwrapped counter readings.

    Attributes:
        counts: (S, H, W) int64 fires relative to the first read (``counts[0] == 0``).
        ticks: (S,) int64 read ticks.
        bits: counter width (L = 2**bits).
        flags: (S, H, W) bool, True where the fold choice was ambiguous.
        method: the method used.
        response, dark: calibration: fires per tick per unit radiance and dark fires per tick (scalars or (H, W)).
        cfa: Bayer pattern of the counters, or None.
    """

    counts: Any
    ticks: np.ndarray
    bits: int
    flags: Any
    method: str
    response: Any = 1.0
    dark: Any = 0.0
    cfa: str | None = None
    params: dict = field(default_factory=dict)

    def _window(self, j: int, k: int) -> tuple[int, int]:
        S = len(self.ticks)
        j, k = (j + S if j < 0 else j), (k + S if k < 0 else k)
        if not (0 <= j < k < S):
            raise HDRInputError(f"window ({j}, {k}) needs 0 <= j < k < {S} (read indices); pick two reads")
        return j, k

    def rate(self, j: int = 0, k: int = -1) -> Any:
        """(H, W) float32 fires per tick between reads ``j`` and ``k``."""
        j, k = self._window(j, k)
        xp = get_namespace(self.counts)
        dt = float(self.ticks[k] - self.ticks[j])
        return ((self.counts[k] - self.counts[j]).astype(xp.float64) / dt).astype(xp.float32)

    def radiance(self, j: int = 0, k: int = -1, calibration: Any = None, *, demosaic: bool = True) -> Any:
        """Linear radiance over reads ``j``..``k``: ``(rate - dark) / response`` (>= 0), float32.

        Args:
            j, k: read indices of the window.
            calibration: a ModuloRecord or a dict with ``response`` and ``dark`` (scalars or (H, W)); default:
                the calibration given to :func:`unwrap` (from the record), else response 1, dark 0.
            demosaic: for CFA counters, return (H, W, 3) linear RGB (bilinear, :func:`spikevision.color.demosaic`),
                else the mosaic.
        """
        xp = get_namespace(self.counts)
        resp, dark = self.response, self.dark
        if calibration is not None:
            resp, dark = _calibration(calibration)
        resp = xp.asarray(resp, dtype=xp.float64) if not np.isscalar(resp) else resp
        dark = xp.asarray(dark, dtype=xp.float64) if not np.isscalar(dark) else dark
        img = xp.maximum((self.rate(j, k).astype(xp.float64) - dark) / resp, 0).astype(xp.float32)
        if self.cfa is not None and demosaic:
            from ..color import demosaic as _demosaic

            return _demosaic(img, self.cfa)  # bilinear, linear float: radiance spans many decades
        return img

    @property
    def fold_flags(self) -> Any:
        """(H, W) bool: pixels flagged at any read."""
        return self.flags.any(axis=0)


def _calibration(cal: Any) -> tuple[Any, Any]:
    if hasattr(cal, "response"):
        resp = cal.response if cal.response is not None else cal.gain / cal.theta
        return resp, (cal.dark if getattr(cal, "dark", None) is not None else 0.0)
    if isinstance(cal, dict):
        return cal.get("response", 1.0), cal.get("dark", 0.0)
    raise HDRInputError("calibration must be a ModuloRecord or a dict with 'response' and 'dark'")


def default_window(ticks: np.ndarray, schedule: str | None = None) -> int:
    """The long prediction window: the schedule's period, else four times the median read spacing."""
    if schedule and "/" in str(schedule):
        return int(str(schedule).split("/")[1])
    if len(ticks) < 2:
        return 1
    return int(max(1, 4 * np.median(np.diff(ticks))))


def _check(y: Any, ticks: Any, bits: Any) -> tuple[Any, np.ndarray, int]:
    if bits is None or ticks is None:
        raise HDRInputError("unwrap(y, ticks, bits) needs the read ticks and the counter bits "
                            "(or pass a ModuloRecord alone)")
    if not 1 <= int(bits) <= 32:
        raise HDRInputError(f"bits must be in 1..32, got {bits}")
    xp = get_namespace(y)
    if y.ndim != 3:
        raise HDRInputError(f"readings must be (S, H, W); got shape {tuple(y.shape)}. Stack single reads with "
                            f"y[None] or np.stack")
    if not np.issubdtype(np.dtype(str(y.dtype)), np.integer):
        raise HDRInputError(f"readings must be integers (counter values), got {y.dtype}; round/cast them")
    t = np.asarray(to_numpy(ticks))
    if t.shape != (y.shape[0],):
        raise HDRInputError(f"ticks has shape {t.shape} but there are {y.shape[0]} reads; give one tick per read")
    if not np.issubdtype(t.dtype, np.integer):
        raise HDRInputError(f"ticks must be integers (readout ticks), got {t.dtype}")
    t = t.astype(np.int64)
    if len(t) > 1 and (np.diff(t) <= 0).any():
        i = int(np.argmax(np.diff(t) <= 0))
        raise HDRInputError(f"ticks must be strictly increasing: ticks[{i + 1}] = {t[i + 1]} after "
                            f"ticks[{i}] = {t[i]}; sort the reads and drop duplicates")
    L = 1 << int(bits)
    if y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= L:
            raise HDRInputError(f"readings span {lo}..{hi} but a {bits}-bit counter reads 0..{L - 1}; "
                                f"pass the right bits (>= {max(hi, 1).bit_length()})")
    return xp.asarray(y), t, int(bits)


def unwrap(y: Any, ticks: Any = None, bits: int | None = None, *, method: str = BEST, window: int | None = None,
           calibration: Any = None, cfa: str | None = None, engine: str = "auto") -> HDRResult:
    """Unwrap readings of a free-running B-bit counter (module docstring for the methods).

    Args:
        y: (S, H, W) integer readings on any backend, or a ModuloRecord (ticks, bits, calibration, CFA from it).
        ticks: (S,) strictly increasing read ticks (any spacing).
        bits: counter width B (L = 2**bits).
        method: "temporal", "hierarchical", "spatial" or "best" (default).
        window: longest prediction window in ticks (hierarchical/best; default: the schedule's period, else four
            read spacings).
        calibration: for :meth:`HDRResult.radiance`: dict with ``response`` and ``dark``.
        cfa: Bayer pattern of the counters (spatial unwrapping per plane, demosaiced radiance).
        engine: "auto" (numba on NumPy, CuPy kernels on CuPy), "numba" or "numpy" (the reference).

    Returns:
        An :class:`HDRResult` on the caller's backend.

    Example:
        >>> import numpy as np
        >>> from spikevision.hdr import unwrap
        >>> ticks = np.array([0, 1, 5, 15, 25, 35])                 # nested: a 1-tick read first
        >>> n = 30 * ticks[:, None, None] + np.zeros((1, 2, 2), int)  # 30 fires per tick
        >>> res = unwrap((n % 256).astype(np.uint8), ticks, 8, method="hierarchical")
        >>> int(res.counts[-1, 0, 0])    # temporal unwrapping alone loses the folds of the 10-tick gaps
        1050
    """
    schedule = None
    if hasattr(y, "y") and hasattr(y, "ticks") and hasattr(y, "bits"):
        rec = y
        y, ticks, bits, schedule = rec.y, rec.ticks, rec.bits, rec.schedule
        cfa = cfa if cfa is not None else rec.cfa
        if calibration is None and getattr(rec, "mode", "counter") == "counter":
            calibration = rec
    if method not in METHODS:
        raise HDRInputError(f"unknown unwrapping method {method!r}; choose one of {', '.join(METHODS)}")
    if engine not in ("auto", "numba", "numpy"):
        raise HDRInputError(f"engine must be 'auto', 'numba' or 'numpy', got {engine!r}")
    y, t, bits = _check(y, ticks, bits)
    xp = get_namespace(y)
    L = 1 << bits
    S, H, W = y.shape
    win = int(window) if window is not None else default_window(t, schedule)
    if win < 1:
        raise HDRInputError(f"window must be >= 1 tick, got {window}")
    flat = y.reshape(S, H * W)
    counts = xp.zeros((S, H * W), xp.int64)
    flags = xp.zeros((S, H * W), bool)
    if S > 1:
        if method == "temporal":
            _run_temporal(flat, L, counts, xp, engine)
        elif method == "spatial":
            counts = _spatial(y, L, cfa).reshape(S, H * W)
        else:
            plan = _reference.history_index(t, win)
            if method == "best":
                _run_best(flat, L, counts, flags, plan, _reference.lookahead_factors(t), xp, engine)
            else:
                _run_hier(flat, L, counts, flags, plan, False, xp, engine)
    resp, dark = _calibration(calibration) if calibration is not None else (1.0, 0.0)
    return HDRResult(counts.reshape(S, H, W), t, bits, flags.reshape(S, H, W), method, resp, dark, cfa,
                     {"window": win})


def _run_temporal(flat, L, counts, xp, engine) -> None:
    if xp is not np:  # pragma: no cover - GPU
        from . import _cuda

        _cuda.temporal(flat, L, counts)
    elif engine == "numpy":
        counts[...] = _reference.temporal_ref(flat, L)
    else:
        _kernels.temporal(np.ascontiguousarray(flat), np.int64(L), counts)


def _run_hier(flat, L, counts, flags, plan, use_short, xp, engine, s0: int = 1) -> None:
    if xp is not np:  # pragma: no cover - GPU
        from . import _cuda

        _cuda.hierarchical(flat, L, counts, flags, s0, plan, use_short)
    elif engine == "numpy":
        _reference.hierarchical_ref(flat, L, counts, flags, s0, *plan, use_short)
    else:
        _kernels.hierarchical(np.ascontiguousarray(flat), np.int64(L), counts, flags, np.int64(s0), *plan,
                              bool(use_short))


def _run_best(flat, L, counts, flags, plan, factors, xp, engine, s0: int = 1, state=None) -> None:
    """The best kernel from read ``s0``; ``state`` = (prev, cur) per pixel, updated in place (streaming)."""
    if state is None:
        state = (xp.zeros(flat.shape[1], xp.int64), xp.zeros(flat.shape[1], xp.int64))
    if xp is not np:  # pragma: no cover - GPU
        from . import _cuda

        _cuda.best(flat, L, counts, flags, plan, factors, s0, state)
    elif engine == "numpy":
        _reference.best_ref(flat, L, counts, flags, *plan, *factors, s0, *state)
    else:
        _kernels.best(np.ascontiguousarray(flat), np.int64(L), counts, flags, *plan, *factors, np.int64(s0), *state)


def _spatial(y, L: int, cfa: str | None):
    """Spatial unwrapping of every interval's increment (per 2x2 CFA plane when ``cfa`` is set)."""
    from .spatial import spatial_unwrap

    xp = get_namespace(y)
    S, H, W = y.shape
    yy = y.astype(xp.int64)
    inc = xp.zeros((S, H, W), xp.int64)
    for s in range(1, S):
        d = xp.mod(yy[s] - yy[s - 1], L)
        if cfa is None:
            inc[s] = spatial_unwrap(d, L)
        else:
            for a in (0, 1):
                for b in (0, 1):
                    if d[a::2, b::2].size:
                        inc[s, a::2, b::2] = spatial_unwrap(d[a::2, b::2], L)
    return xp.cumsum(inc, axis=0)
