"""Disparity <-> metric depth for a rectified pair: ``Z = f B / d``.

Policy: a disparity of 0 (a point at infinity) gives ``inf``; a negative or NaN
disparity (not a valid match) gives NaN. The inverse maps ``inf`` depth to 0 and
non-positive or NaN depth to NaN.
"""

from __future__ import annotations

from typing import Any

from ..backend import get_namespace
from ._input import StereoInputError

__all__ = ["depth", "disparity_from_depth"]


def _check_rig(focal: float, baseline: float) -> float:
    try:
        f, b = float(focal), float(baseline)
    except (TypeError, ValueError):
        raise StereoInputError(f"focal and baseline must be numbers, got {focal!r} and {baseline!r}") from None
    if not (f > 0 and b > 0) or f == float("inf") or b == float("inf"):
        raise StereoInputError(f"focal (pixels) and baseline (metres) must be positive and finite, got "
                               f"focal={focal!r}, baseline={baseline!r}; read them from the calibration")
    return f * b


def depth(disparity: Any, focal: float, baseline: float) -> Any:
    """Depth in metres of an (H, W) disparity map in pixels: ``focal * baseline / disparity``.

    Args:
        disparity: disparity (pixels) on any backend.
        focal: focal length of the rectified cameras in pixels.
        baseline: distance between the optical centres in metres.

    Returns:
        float32 depth on the caller's backend: ``inf`` where d == 0, NaN where d < 0 or NaN.

    Example:
        >>> import numpy as np
        >>> depth(np.array([[23.18, 0.0]], np.float32), 289.74, 0.08).round(3).tolist()
        [[1.0, inf]]
    """
    fb = _check_rig(focal, baseline)
    xp = get_namespace(disparity)
    d = xp.asarray(disparity, dtype=xp.float32)
    with _quiet(xp):
        z = xp.where(d > 0, fb / xp.where(d > 0, d, 1), xp.where(d == 0, xp.inf, xp.nan))
    return z.astype(xp.float32)


def disparity_from_depth(depth_m: Any, focal: float, baseline: float) -> Any:
    """Disparity in pixels of a depth map in metres (``inf`` -> 0, depth <= 0 or NaN -> NaN)."""
    fb = _check_rig(focal, baseline)
    xp = get_namespace(depth_m)
    z = xp.asarray(depth_m, dtype=xp.float32)
    with _quiet(xp):
        d = xp.where(z > 0, fb / xp.where(z > 0, z, 1), xp.nan)
    return d.astype(xp.float32)


def _quiet(xp):
    import contextlib

    import numpy as np

    return np.errstate(divide="ignore", invalid="ignore") if xp is np else contextlib.nullcontext()
