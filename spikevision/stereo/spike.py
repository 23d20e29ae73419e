"""spikevision's spike-timing stereo matcher: interval features, census + interval-L1 cost, SGM.

Each pixel's feature at frame ``t`` comes from its own spike times, not from a
reconstructed image: the log2 mean inter-spike interval of its last
``intervals`` intervals inside the last ``window`` frames (raised to the
interval still open at ``t`` when that one is longer, so a pixel that went dark
reads dark at once). The estimate is exact to one tick over the span of the
intervals, so dark pixels (one spike in 40 ticks) are as well resolved as
bright ones, where a fixed 41-frame window counts only 0-2 spikes. The map is
causal (frames ``t - window + 1 .. t``), so a live matcher emits it the moment
frame ``t`` arrives.

Where the light of a pixel changes (a moving edge), older intervals belong to
the surface that was there before: the run of intervals stops at the first
older one that departs from the mean of the newer ones by more than ``adapt``
% (default 30) plus one tick, so the feature follows the new surface after one
or two spikes instead of lagging by ``intervals`` of them (a motion-adaptive
window, as the adaptive reconstruction's change test; ``adapt=0`` keeps all).

The feature maps are averaged over (2 s + 1)^2 pixels (``smooth``; the two
sensors' fixed-pattern noise differs, and a census of it is noise). Matching
cost per pixel and disparity d: the Hamming distance of census words
of the feature map (``(2r+1)^2 - 1`` bits) plus ``min(|q_L - q_R| >> ad_shift, ad_max)``
(the interval-L1 term, an AD-census cost: Mei et al., "On building an accurate
stereo matching system on graphics hardware", ICCV workshops 2011), aggregated by
semi-global matching along 4 paths (Hirschmuller, "Stereo processing by
semiglobal matching and mutual information", TPAMI 2008) with penalties P1/P2,
then winner-take-all, a sub-pixel parabola, a left-right check and hole
filling from the farther neighbour (occlusions belong to the background).

Engines: numba on the CPU (:mod:`._kernels`), CuPy RawKernels on a GPU
(:mod:`._cuda`), and the NumPy reference (:mod:`._reference`), equal bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import backend_name, get_namespace
from ..recon._input import check_engine, on_cpu, read_packed, read_window
from . import _kernels as K
from ._input import StereoInputError
from ._post import fill_holes
from ._reference import box_mean_ref, census_ref, cost_volume_ref, interval_features_ref, select_ref, sgm_ref

__all__ = ["SPIKE_DEFAULTS", "SpikeParams", "spike_disparity", "SpikeMatcher", "spike_features"]

#: defaults of the "spike" method
SPIKE_DEFAULTS = dict(window=256, intervals=8, adapt=30, smooth=1, radius=2, ad_shift=1, ad_max=24, p1=10, p2=60,
                      lr_tol=1)


@dataclass(frozen=True)
class SpikeParams:
    """Validated options of the spike-timing matcher (see the module docstring)."""

    window: int = SPIKE_DEFAULTS["window"]
    intervals: int = SPIKE_DEFAULTS["intervals"]
    adapt: int = SPIKE_DEFAULTS["adapt"]
    smooth: int = SPIKE_DEFAULTS["smooth"]
    radius: int = SPIKE_DEFAULTS["radius"]
    ad_shift: int = SPIKE_DEFAULTS["ad_shift"]
    ad_max: int = SPIKE_DEFAULTS["ad_max"]
    p1: int = SPIKE_DEFAULTS["p1"]
    p2: int = SPIKE_DEFAULTS["p2"]
    lr_tol: int = SPIKE_DEFAULTS["lr_tol"]

    def __post_init__(self):
        lim = {"window": (2, 1 << 20), "intervals": (1, 255), "adapt": (0, 10000), "smooth": (0, 3), "radius": (1, 3),
               "ad_shift": (0, 16),
               "ad_max": (0, 1024), "p1": (0, 4096), "p2": (0, 65536), "lr_tol": (0, 1 << 16)}
        for name, (lo, hi) in lim.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise StereoInputError(f"{name} must be an integer in [{lo}, {hi}], got {v!r}")
        if self.p2 < self.p1:
            raise StereoInputError(f"p2 ({self.p2}) must be at least p1 ({self.p1}): the penalty of a jump "
                                   f"is not smaller than that of a one-pixel step")

    @property
    def border(self) -> int:
        """Cost of a disparity that looks outside the right image."""
        return (2 * self.radius + 1) ** 2 - 1 + self.ad_max

    @classmethod
    def of(cls, params: dict) -> SpikeParams:
        bad = set(params) - set(SPIKE_DEFAULTS)
        if bad:
            raise StereoInputError(f"unknown option(s) {sorted(bad)} of method 'spike'; choose from "
                                   f"{', '.join(SPIKE_DEFAULTS)}")
        return cls(**params)


def spike_features(spikes: Any, t: int, p: SpikeParams, engine: str = "auto"):
    """(H, W) int32 interval features at frame ``t`` (64 steps per octave of the mean interval)."""
    a = max(0, t - p.window + 1)
    lut = K.log2_table(p.window)
    if engine != "reference" and on_cpu(spikes):
        packed = read_packed(spikes, a, t + 1)
        h, w = spikes.shape[1:]
        ring = np.zeros((h * w, p.intervals + 1), np.int64)
        head = np.zeros(h * w, np.int32)
        count = np.zeros(h * w, np.int32)
        K.ring_update(packed, a, h * w, ring, head, count)
        out = np.empty(h * w, np.int32)
        K.interval_features(ring, head, count, t, p.window, lut, out, p.adapt)
        return out.reshape(h, w)
    frames = read_window(spikes, a, t + 1)
    return interval_features_ref(frames, p.window, p.intervals, lut, p.adapt)


class SpikeMatcher:
    """Matching of two feature maps of one size and disparity range, with reused buffers (numba)."""

    def __init__(self, height: int, width: int, max_disparity: int, params: SpikeParams):
        self.h, self.w, self.nd, self.p = height, width, max_disparity + 1, params
        self._cost = np.empty((height, width, self.nd), np.uint8 if params.border <= 255 else np.int16)
        self._agg = np.empty((height, width, self.nd), K.agg_dtype(params.border, params.p2))
        self._sentinel = params.border + 2 * params.p2 + 1
        self._cl = np.empty((height, width), np.uint64)
        self._cr = np.empty((height, width), np.uint64)
        self._ql = np.empty((height, width), np.int32)
        self._qr = np.empty((height, width), np.int32)
        self._disp = np.empty((height, width), np.float32)
        self._valid = np.empty((height, width), np.bool_)
        self._conf = np.empty((height, width), np.float32)

    def match(self, ql: np.ndarray, qr: np.ndarray):
        """(raw disparity, left-right valid mask, confidence) of two (H, W) int32 feature maps."""
        p = self.p
        if p.smooth:
            K.box_mean(ql, p.smooth, self._ql)
            K.box_mean(qr, p.smooth, self._qr)
            ql, qr = self._ql, self._qr
        K.census(ql, p.radius, self._cl)
        K.census(qr, p.radius, self._cr)
        K.cost_volume(self._cl, self._cr, ql, qr, p.ad_shift, p.ad_max, p.border, self._cost)
        K.sgm_select(self._cost, p.p1, p.p2, p.lr_tol, self._sentinel, self._agg, self._disp, self._valid,
                     self._conf, False)
        return self._disp, self._valid, self._conf


def match_reference(ql, qr, max_disparity: int, p: SpikeParams):
    """The NumPy/CuPy reference of :meth:`SpikeMatcher.match`."""
    ql, qr = box_mean_ref(ql, p.smooth), box_mean_ref(qr, p.smooth)
    cl, cr = census_ref(ql, p.radius), census_ref(qr, p.radius)
    cost = cost_volume_ref(cl, cr, ql, qr, max_disparity + 1, p.ad_shift, p.ad_max, p.border)
    return select_ref(sgm_ref(cost, p.p1, p.p2), p.lr_tol)


def finish(disp, valid, conf, max_disparity: int):
    """Hole filling, median, clipping to [0, max_disparity]; confidence 0 where the check failed."""
    xp = get_namespace(disp)
    out = xp.clip(fill_holes(disp, valid), 0, max_disparity).astype(xp.float32)
    return out, xp.where(valid, conf, 0).astype(xp.float32)


def spike_disparity(left: Any, right: Any, t: int, max_disparity: int, *, engine: str = "auto",
                    **params: Any):
    """Left disparity and confidence at frame ``t`` by spike-timing matching (inputs already checked)."""
    p = SpikeParams.of(params)
    check_engine(engine)
    ql = spike_features(left, t, p, engine)
    qr = spike_features(right, t, p, engine)
    xp = get_namespace(ql)
    if backend_name(ql) == "cupy" and engine != "reference":
        from ._cuda import match_cupy

        return finish(*match_cupy(ql, qr, max_disparity, p), max_disparity)
    if engine == "reference" or xp is not np:
        return finish(*match_reference(ql, qr, max_disparity, p), max_disparity)
    h, w = ql.shape
    return finish(*SpikeMatcher(h, w, max_disparity, p).match(ql, qr), max_disparity)
