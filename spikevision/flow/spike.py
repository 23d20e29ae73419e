"""spikevision's spike-native flow: a multi-frame fit of a locally constant velocity.

A frame camera sees two images; a spike camera sees every tick in between and around them. This
estimator uses them all. Around the middle ``c = t + dt // 2`` of the interval it reconstructs log
TFP images (:mod:`spikevision.flow._images`) at ``c - tau`` and ``c + tau`` for a ladder of
baselines ``tau = tau0, 2 tau0, 4 tau0, ..., span`` with ``tau0 = max(ceil(dt / 2), window // 2)``
(images closer than half a window share most of their spikes, which biases a match towards zero), whose TFP windows
together cover every frame from ``c - span - window // 2`` to ``c + span + window // 2``, matches the
middle image to each of them with DIS (Kroeger et al., ECCV 2016; each match initialised with the
velocity fitted so far, which OpenCV DIS takes as its initial field: a coarse-to-fine ladder in
time) and fits, per pixel, the velocity ``v`` that explains all matches in the least-squares sense::

    v = sum_tau tau (f(+tau) - f(-tau)) / sum_tau 2 tau^2      (tau: the pair's time offsets)

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
with the baseline); at the ends of the data the span shrinks to the frames that exist, and an image
whose TFP window is clipped there is taken at the middle of the frames it averages (its true time),
so the fit stays unbiased. Per pixel, a pair is left out of the fit where a match leaves the image or
lands more than ``tol`` pixels plus a quarter of the predicted displacement away from the displacement
the velocity so far predicts (occlusions, mismatches). Fast motion smears a TFP-41 image; where the
95th-percentile speed times ``window`` exceeds ``blur`` pixels, the fit is repeated (starting from
the first one) on windows of ``blur / speed`` frames (at least :data:`MIN_WINDOW`).

The field returned is the displacement of the point at pixel ``x`` of frame ``t``: it sits at
``x + v (c - t)`` at the middle frame, so ``flow(x) = dt * v(x + v (c - t))`` (one backward warp).
"""

from __future__ import annotations

import numpy as np

from ._checks import FlowInputError, check_positive_int
from ._images import PackedImages
from .classical import make_dis
from .warp import warp

__all__ = ["spike_flow", "spike_support", "SPIKE_DEFAULTS", "baselines"]

#: default options of the spike-native estimator
SPIKE_DEFAULTS = {"span": 80, "window": 41, "max_disp": 16.0, "preset": "medium", "tol": 1.5, "blur": 6.0}
#: shortest TFP window the estimator falls back to for fast motion
MIN_WINDOW = 9


def baselines(dt: int, half: int, window: int = 1) -> list[int]:
    """The ladder of half-baselines ``tau``: from ``max(ceil(dt / 2), window // 2)`` (images closer than
    half a window share most of their spikes, which biases a match towards zero) doubling up to ``half``
    (``half`` always last)."""
    if half < 1:
        return []
    tau, out = min(half, max(1, (dt + 1) // 2, window // 2)), []
    while tau < half:
        out.append(tau)
        tau *= 2
    return out + [half]


def spike_support(dt: int, span: int = 80, window: int = 41, max_disp: float = 16.0,
                  preset: str = "medium", tol: float = 1.5, blur: float = 6.0) -> tuple[int, int]:
    """Frames before ``t`` and after ``t + dt`` that :func:`spike_flow` reads (validates the options)."""
    check_positive_int(span, "span")
    check_positive_int(window, "window")
    if window > 255:
        raise FlowInputError(f"window must be at most 255 frames, got {window}")
    if not (float(max_disp) > 0):
        raise FlowInputError(f"max_disp must be a positive number of pixels, got {max_disp!r}")
    if not (float(blur) > 0):
        raise FlowInputError(f"blur must be a positive number of pixels, got {blur!r}")
    if not (float(tol) > 0):
        raise FlowInputError(f"tol must be a positive number of pixels, got {tol!r}")
    make_dis(preset)
    h = window // 2
    span = max(span, (dt + 1) // 2)
    return max(h, span + h - dt // 2), max(h, span + h - (dt - dt // 2))


def _p95(v: np.ndarray) -> float:
    sub = v[::4, ::4]
    return float(np.percentile(np.hypot(sub[..., 0], sub[..., 1]), 95)) if sub.size else 0.0


def _inside(f: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Pixels whose match lands inside the image (a match past the border is extrapolated, not measured)."""
    x, y = xs + f[..., 0], ys + f[..., 1]
    return (x >= 0) & (x <= xs.shape[1] - 1) & (y >= 0) & (y <= ys.shape[0] - 1)


def _agrees(f: np.ndarray, pred: np.ndarray, tol: float) -> np.ndarray:
    """Pixels whose match lies within ``tol`` pixels plus a quarter of the predicted displacement of the
    displacement predicted by the velocity so far (the prediction's own error grows with its length)."""
    d = f - pred
    lim = np.float32(tol) + np.float32(0.25) * np.hypot(pred[..., 0], pred[..., 1])
    return d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] <= lim * lim


def _fit(src: PackedImages, c: int, taus: list[int], window: int, matcher, max_disp: float, tol: float,
         v: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Velocity (H, W, 2) in px/frame at the middle frame ``c`` and the middle image's time, from the pairs
    ``c +- tau`` over TFP windows of ``window`` frames; ``v``: a velocity to start from (or None)."""
    tc = src.time(c, window)
    lo, hi = src.stretch(c, window)
    r8 = src.u8([c], lo, hi, window)[0]
    h, w = src.height, src.width
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.arange(h, dtype=np.float32)[:, None]
    num = np.zeros((h, w, 2), np.float32)
    den = np.zeros((h, w), np.float32)
    for k, tau in enumerate(taus):
        if k and tau * _p95(v) > max_disp:
            break
        ip, im = src.u8([c + tau, c - tau], lo, hi, window)
        if v is None:
            fp, fm = matcher.calc(r8, ip, None), matcher.calc(r8, im, None)
            ok = np.ones((h, w), bool)
        else:
            pred = v * np.float32(tau)
            fp = matcher.calc(r8, ip, np.ascontiguousarray(pred))
            fm = matcher.calc(r8, im, np.ascontiguousarray(-pred))
            ok = _inside(fp, xs, ys) & _inside(fm, xs, ys) & _agrees(fp, pred, tol) & _agrees(fm, -pred, tol)
            if k == 0:   # the starting velocity came from elsewhere: keep every pixel's first measurement
                ok[:] = True
        wt = ok.astype(np.float32)
        dp, dm = src.time(c + tau, window) - tc, src.time(c - tau, window) - tc   # +-tau inside the data
        num += wt[..., None] * (np.float32(dp) * fp + np.float32(dm) * fm)
        den += wt * np.float32(dp * dp + dm * dm)
        v = num / np.maximum(den, np.float32(1e-12))[..., None]
    return v, tc


def spike_flow(src: PackedImages, t: int, dt: int, span: int = 80, window: int = 41, max_disp: float = 16.0,
               preset: str = "medium", tol: float = 1.5, blur: float = 6.0) -> np.ndarray:
    """Flow from frame ``t`` to ``t + dt`` by the multi-frame constant-velocity fit ((H, W, 2) float32)."""
    c = t + dt // 2
    half = min(max(span, (dt + 1) // 2), c, src.n - 1 - c)
    if half < 1:   # no frame on one side of the middle (dt = 1 at the first frame): the plain pair
        from .classical import dis_flow

        return dis_flow(src, t, dt, window=window, preset=preset)
    matcher = make_dis(preset)
    v, tc = _fit(src, c, baselines(dt, half, window), window, matcher, max_disp, tol, None)
    speed = _p95(v)
    if speed * window > blur and window > MIN_WINDOW:   # fast motion: sharper images over fewer frames
        short = max(MIN_WINDOW, int(blur / speed) | 1)
        if short < window:
            v, tc = _fit(src, c, baselines(dt, half, short), short, matcher, max_disp, tol, v)
    shift = v * np.float32(tc - t)
    return (warp(v, shift) * np.float32(dt)).astype(np.float32, copy=False)
