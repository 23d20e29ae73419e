"""Stereo metrics: disparity EPE and outlier rates (>1 px, >3 px, KITTI D1) and depth errors, with masks.

Conventions: EPE is the mean absolute disparity error over the scored pixels;
"bad1"/"bad3" the fraction with an error above 1/3 px (SpikeStereoNet's "D1" is
bad1); KITTI D1 the fraction with an error above 3 px AND above 5 % of the true
disparity (Geiger, Lenz, Urtasun, CVPR 2012 / Menze & Geiger, CVPR 2015). A pixel is
scored where ``mask`` (e.g. ``~occlusion`` for "non-occluded") is true and the
ground truth is finite (and > 0 for depth). Depth: AbsRel = mean |z - z*| / z*,
RMSE in metres, delta1 = fraction with max(z/z*, z*/z) < 1.25 (Eigen et al., NeurIPS 2014), estimates capped
at the largest true depth (or ``max_depth``).

Example:
    >>> import numpy as np
    >>> gt = np.full((4, 4), 10.0, np.float32); est = gt + 0.5
    >>> disparity_metrics(est, gt)["epe"]
    0.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import to_numpy

__all__ = ["disparity_metrics", "depth_metrics", "epe", "bad_pixel_rate", "d1_kitti"]


def _scored(est: Any, gt: Any, mask: Any | None, positive: bool = False):
    e = np.asarray(to_numpy(est), np.float64)
    g = np.asarray(to_numpy(gt), np.float64)
    if e.shape != g.shape:
        raise ValueError(f"estimate {e.shape} and ground truth {g.shape} differ in shape; compare maps of one size")
    keep = np.isfinite(g) & (g > 0 if positive else True)
    if mask is not None:
        m = np.asarray(to_numpy(mask), bool)
        if m.shape != g.shape:
            raise ValueError(f"mask {m.shape} does not match the maps {g.shape}; pass an (H, W) bool mask")
        keep &= m
    if not keep.any():
        raise ValueError("no pixel to score: the mask (and the finite ground truth) select nothing")
    return e[keep], g[keep]


def epe(est: Any, gt: Any, mask: Any | None = None) -> float:
    """Mean absolute disparity error (pixels) over the scored pixels (NaN estimates count as gt + inf)."""
    e, g = _scored(est, gt, mask)
    return float(np.nan_to_num(np.abs(e - g), nan=np.inf).mean())


def bad_pixel_rate(est: Any, gt: Any, threshold: float, mask: Any | None = None) -> float:
    """Fraction of scored pixels whose disparity error exceeds ``threshold`` pixels (NaN counts as bad)."""
    e, g = _scored(est, gt, mask)
    err = np.abs(e - g)
    return float(((err > threshold) | np.isnan(err)).mean())


def d1_kitti(est: Any, gt: Any, mask: Any | None = None) -> float:
    """KITTI D1: fraction of scored pixels with error > 3 px and > 5 % of the true disparity."""
    e, g = _scored(est, gt, mask)
    err = np.abs(e - g)
    return float((((err > 3.0) & (err > 0.05 * np.abs(g))) | np.isnan(err)).mean())


def disparity_metrics(est: Any, gt: Any, mask: Any | None = None) -> dict[str, float]:
    """{"epe", "bad1", "bad3", "d1"} over the scored pixels (``mask``: e.g. ``~occlusion``)."""
    return {"epe": epe(est, gt, mask), "bad1": bad_pixel_rate(est, gt, 1.0, mask),
            "bad3": bad_pixel_rate(est, gt, 3.0, mask), "d1": d1_kitti(est, gt, mask)}


def depth_metrics(est: Any, gt: Any, mask: Any | None = None, max_depth: float | None = None) -> dict[str, float]:
    """{"absrel", "rmse", "delta1"} of a depth map (metres) where the true depth is finite and > 0.

    As in the usual protocol (Eigen et al.), estimates are capped at ``max_depth`` (default: the largest
    scored true depth); estimates that are not finite and positive (zero disparity: infinitely far) count
    as ``max_depth``.
    """
    e, g = _scored(est, gt, mask, positive=True)
    cap = float(g.max()) if max_depth is None else float(max_depth)
    e = np.where(np.isfinite(e) & (e > 0), np.minimum(e, cap), cap)
    ratio = np.maximum(e / g, g / e)
    return {"absrel": float((np.abs(e - g) / g).mean()), "rmse": float(np.sqrt(((e - g) ** 2).mean())),
            "delta1": float((ratio < 1.25).mean())}
