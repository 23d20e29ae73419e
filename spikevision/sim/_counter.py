"""The in-pixel modulo counter: asynchronous integrate-and-fire with no one-per-tick cap, read on a schedule.

Model (docs/algorithms.md, HDR by modulo unwrapping): a pixel integrates charge
``gain * g_px * L(t) + dark_px`` per tick and fires each time the accumulator
reaches its threshold ``thr_px`` (subtract reset), as often as the charge allows
within a tick up to ``max_rate`` fires per tick (the counter clock). Each fire
advances a free-running B-bit counter that is never reset; reads sample it at
arbitrary ticks. Noise (the calibrated :class:`~.noise.NoiseModel`): photon
shot noise on the integrated charge (Poisson in its Gaussian form, variance
``shot_scale * charge``), per-pixel dark current, PRNU and threshold offsets,
and threshold jitter per fire (its sum over ``N`` fires has standard deviation
``sqrt(N) * jitter``). Between two reads the fire count is exact for the
integrated charge: ``N = floor(A / thr)``, ``A -= N * thr``.
"""

from __future__ import annotations

import re

import numpy as np

from .inputs import SceneInputError

__all__ = ["parse_schedule", "schedule_ticks", "interval_charges", "counter_step"]

_SCHED = re.compile(r"^\s*(\d+(\s*,\s*\d+)*)\s*/\s*(\d+)\s*$")


def parse_schedule(spec: str | tuple) -> tuple[tuple[int, ...], int]:
    """Parse a periodic read schedule ``"0,1,5,25/50"`` into ``((0, 1, 5, 25), 50)``.

    Offsets must be distinct and smaller than the period.
    """
    if isinstance(spec, tuple) and len(spec) == 2:
        offsets, period = tuple(int(o) for o in spec[0]), int(spec[1])
    else:
        m = _SCHED.match(str(spec))
        if not m:
            raise SceneInputError(f"read schedule {spec!r} is not 'OFFSETS/PERIOD' (e.g. '0,1,5,25/50'); "
                                  f"give comma-separated tick offsets, a slash and the period in ticks")
        offsets = tuple(int(v) for v in m.group(1).split(","))
        period = int(m.group(3))
    if period < 1 or not offsets:
        raise SceneInputError(f"read schedule {spec!r}: the period must be >= 1 tick with at least one offset")
    if any(o < 0 or o >= period for o in offsets) or len(set(offsets)) != len(offsets):
        raise SceneInputError(f"read schedule {spec!r}: offsets must be distinct and in [0, {period}); "
                              f"fix the offsets or lengthen the period")
    return tuple(sorted(offsets)), period


def schedule_ticks(schedule, n_frames: int) -> np.ndarray:
    """Read ticks (strictly increasing int64, all <= ``n_frames``) of a schedule.

    ``schedule`` is a periodic spec (``"0,1,5,25/50"`` or ``((0, 1, 5, 25), 50)``), an int K (read every K
    ticks, the first read after K ticks), or an explicit array of ticks.
    """
    if isinstance(schedule, (int, np.integer)):
        if schedule < 1:
            raise SceneInputError(f"reads every {schedule} ticks: the interval must be >= 1")
        return np.arange(int(schedule), n_frames + 1, int(schedule), dtype=np.int64)
    if isinstance(schedule, str) or (isinstance(schedule, tuple) and len(schedule) == 2
                                     and not np.isscalar(schedule[0])):
        offsets, period = parse_schedule(schedule)
        base = np.arange(0, n_frames + 1, period, dtype=np.int64)
        t = (base[:, None] + np.asarray(offsets, np.int64)[None]).reshape(-1)
        return t[t <= n_frames]
    t = np.asarray(schedule)
    if t.ndim != 1 or t.size == 0 or not np.issubdtype(t.dtype, np.integer):
        raise SceneInputError("explicit read ticks must be a non-empty 1-D integer array")
    t = t.astype(np.int64)
    if t.min() < 0 or t.max() > n_frames:
        raise SceneInputError(f"read ticks must lie in [0, {n_frames}] (the simulated ticks); "
                              f"got {int(t.min())}..{int(t.max())}: trim them or simulate more frames")
    if (np.diff(t) <= 0).any():
        raise SceneInputError("read ticks must be strictly increasing; sort them and drop duplicates")
    return t


def interval_charges(inp, a: int, b: int) -> np.ndarray:
    """Sum of linear radiance over ticks ``[a, b)`` of a keyframe input (exact for its linear interpolation)."""
    total = None
    for j0, j1, k, tk, tk1 in inp.segments(a, b):
        n = j1 - j0
        f0 = inp.frame(k).astype(np.float64)
        part = n * f0
        if tk1 != np.inf:
            ws = (np.arange(j0, j1, dtype=np.float64) - tk).sum() / (tk1 - tk)
            part = part + ws * (inp.frame(k + 1).astype(np.float64) - f0)
        total = part if total is None else total + part
    return total


def counter_step(acc: np.ndarray, charge: np.ndarray, thr: np.ndarray, cap: float, rng, shot_scale: float,
                 jitter: np.ndarray | None) -> np.ndarray:
    """Advance the accumulators by one read interval of integrated ``charge``; return the fires (int64).

    ``acc``, ``charge`` and ``thr`` are flat float64 arrays; ``acc`` is updated in place. ``cap`` is the
    most fires the counter clock allows in the interval; charge beyond it is lost (the residual is clipped
    below the threshold). ``shot_scale`` > 0 adds Gaussian shot noise of variance ``shot_scale * charge``.
    """
    q = charge
    if shot_scale > 0:
        q = np.maximum(q + np.sqrt(shot_scale * np.maximum(q, 0)) * rng.standard_normal(q.shape), 0)
    acc += q
    n = np.minimum(np.floor(acc / thr), cap)
    acc -= n * thr
    if jitter is not None:  # each fire removes thr + jitter: the sum over n fires, drawn at once
        acc -= np.sqrt(n) * jitter * rng.standard_normal(acc.shape)
    np.clip(acc, 0, np.nextafter(thr, 0), out=acc)  # charge beyond the counter clock is lost
    return n.astype(np.int64)
