"""spikevision's spike-native flow: a multi-frame fit of a locally constant velocity.

A frame camera sees two images; a spike camera sees every tick in between and around them. This
estimator uses them all. Around the middle ``c = t + dt // 2`` of the interval it reconstructs log
TFP images (:mod:`spikevision.flow._images`) at ``c - tau`` and ``c + tau`` for a ladder of
baselines ``tau = ceil(dt / 2), 2 ceil(dt / 2), 4 ceil(dt / 2), ... <= span`` whose TFP windows
together cover every frame from ``c - span - window // 2`` to ``c + span + window // 2``, matches the
middle image to each of them with DIS (Kroeger et al., ECCV 2016; each match initialised with the
velocity fitted so far, which OpenCV DIS takes as its initial field: a coarse-to-fine ladder in time) and fits, per pixel, the velocity ``v``
that explains all matches in the least-squares sense::

    v = sum_tau tau (f(+tau) - f(-tau)) / sum_tau 2 tau^2

Why it works: a matching error of about the same size in pixels whatever the baseline becomes a
velocity error ``tau`` times smaller on long baselines, so a field over a short ``dt`` is measured
on a baseline many times longer. Symmetric pairs cancel the acceleration term of every trajectory
``x(c + tau) = x_c + v tau + a tau^2 / 2`` (rotation, zoom, curved paths), so constant velocity only
has to hold to second order. This follows the constant-velocity trajectory model of contrast
maximisation for event cameras (Gallego, Rebecq and Scaramuzza, CVPR 2018) and the use of the whole
spike stream rather than two frames in Spike2Flow (Zhao et al., NeurIPS 2022) and SCFlow (Hu et
al., CVPR 2022), with a classical matcher instead of a learned one (no weights). The ladder stops
when the displacement of the fastest pixels (95th percentile of ``|v| tau``) would exceed
``max_disp`` pixels, so fast scenes fall back to short baselines (occlusions and model error grow
with the baseline); at the ends of the data the span shrinks to the frames that exist.

The field returned is the displacement of the point at pixel ``x`` of frame ``t``: it sits at
``x + v (c - t)`` at the middle frame, so ``flow(x) = dt * v(x + v (c - t))`` (one backward warp).
"""

from __future__ import annotations

import numpy as np

from ._checks import FlowInputError, check_positive_int
from ._images import PackedImages, stretch, to_uint8
from .classical import make_dis
from .warp import warp

__all__ = ["spike_flow", "spike_support", "SPIKE_DEFAULTS", "baselines"]

#: default options of the spike-native estimator
SPIKE_DEFAULTS = {"span": 80, "window": 41, "max_disp": 16.0, "preset": "medium"}


def baselines(dt: int, half: int) -> list[int]:
    """The ladder of half-baselines ``tau``: ``ceil(dt / 2)`` doubling up to ``half`` (``half`` always last)."""
    if half < 1:
        return []
    tau, out = max(1, (dt + 1) // 2), []
    while tau < half:
        out.append(tau)
        tau *= 2
    return out + [half]


def spike_support(dt: int, span: int = 80, window: int = 41, max_disp: float = 16.0,
                  preset: str = "medium") -> tuple[int, int]:
    """Frames before ``t`` and after ``t + dt`` that :func:`spike_flow` reads (validates the options)."""
    check_positive_int(span, "span")
    check_positive_int(window, "window")
    if window > 255:
        raise FlowInputError(f"window must be at most 255 frames, got {window}")
    if not (float(max_disp) > 0):
        raise FlowInputError(f"max_disp must be a positive number of pixels, got {max_disp!r}")
    make_dis(preset)
    h = window // 2
    span = max(span, (dt + 1) // 2)
    return max(h, span + h - dt // 2), max(h, span + h - (dt - dt // 2))


def _p95(v: np.ndarray) -> float:
    sub = v[::4, ::4]
    return float(np.percentile(np.hypot(sub[..., 0], sub[..., 1]), 95)) if sub.size else 0.0


def spike_flow(src: PackedImages, t: int, dt: int, span: int = 80, window: int = 41, max_disp: float = 16.0,
               preset: str = "medium") -> np.ndarray:
    """Flow from frame ``t`` to ``t + dt`` by the multi-frame constant-velocity fit ((H, W, 2) float32)."""
    c = t + dt // 2
    half = min(max(span, (dt + 1) // 2), c, src.n - 1 - c)
    taus = baselines(dt, half)
    if not taus:   # no frame on one side of the middle (dt = 1 at the first frame): the plain pair
        from .classical import dis_flow

        return dis_flow(src, t, dt, window=window, preset=preset)
    ref = src.log([c])[0]
    lo, hi = stretch(ref, src.floor)
    r8 = to_uint8(ref, lo, hi)
    matcher = make_dis(preset)
    num = np.zeros((src.height, src.width, 2), np.float32)
    den = 0.0
    v = None
    for tau in taus:
        if v is not None and tau * _p95(v) > max_disp:
            break
        ip, im = (to_uint8(x, lo, hi) for x in src.log([c + tau, c - tau]))
        if v is None:
            fp, fm = matcher.calc(r8, ip, None), matcher.calc(r8, im, None)
        else:
            fp = matcher.calc(r8, ip, np.ascontiguousarray(v * np.float32(tau)))
            fm = matcher.calc(r8, im, np.ascontiguousarray(v * np.float32(-tau)))
        num += np.float32(tau) * (fp - fm)
        den += 2.0 * tau * tau
        v = num / np.float32(den)
    shift = v * np.float32(c - t)
    return (warp(v, shift) * np.float32(dt)).astype(np.float32, copy=False)
