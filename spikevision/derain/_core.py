"""From the block counts of one window to the rain-free image and the rain mask, per method."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_namespace, to_numpy
from ..color import demosaic
from ._blocks import Window
from ._kernels import combine
from ._motion import align
from ._rpca import rpca_ialm

__all__ = ["estimate", "calibrated_counts"]


def estimate(values: Any, win: Window, name: str, p: dict, cfa: str | None,
             demosaic_method: str = "bilinear", calibration: Any = None) -> tuple[Any, Any]:
    """(rain-free image, rain mask) from (N, H, W) block counts on any backend.

    The image is (H, W) float32 (or (H, W, 3) linear RGB for a Bayer ``cfa``) in [0, 1] with
    1.0 = ``rate`` spikes per tick; the mask is (H, W) bool (rain at the block holding the frame).
    With a ``calibration`` every block is first corrected for the sensor's fixed pattern
    (:func:`calibrated_counts`), so the trimming and the alignment see the scene, not the sensor.
    """
    xp = get_namespace(values)
    n, h, w = values.shape
    integer = calibration is None
    if calibration is not None:
        values = calibrated_counts(values, calibration, win.block)
    scale = 1.0 / (win.block * float(p["rate"]))
    if name == "motion":
        host = to_numpy(values)
        if cfa is not None:  # align colour images: flow on their mean, warping per channel
            host = np.stack([demosaic(v, cfa) for v in host])
        aligned, valid = align(host, win.center)
        if aligned.ndim == 4:  # one validity per pixel, shared by its channels
            valid = np.repeat(valid[..., None], aligned.shape[-1], axis=-1)
        clean, rain = combine(aligned.reshape(n, -1), win.center, p["k"], p["floor"], p["rel"],
                              valid=valid.reshape(n, -1))
        img = np.clip(clean * scale, 0.0, 1.0).astype(np.float32).reshape(aligned.shape[1:])
        rain = rain.reshape(aligned.shape[1:])
        if cfa is not None:
            rain = rain.any(axis=-1)
        return (img, rain) if xp is np else (xp.asarray(img), xp.asarray(rain))
    flat = values.reshape(n, -1)
    if name == "temporal":
        clean, rain = combine(flat, win.center, p["k"], p["floor"], p["rel"], integer=integer)
    else:
        low, sparse, _ = rpca_ialm(flat.T, lam=float(p["lam"]) / max(flat.shape) ** 0.5)
        clean = xp.maximum(low[:, win.center], 0.0)
        tol = p["floor"] + p["rel"] * clean
        rain = xp.abs(sparse[:, win.center]) > tol
    img = xp.clip(clean * scale, 0.0, 1.0).astype(xp.float32).reshape(h, w)
    if cfa is not None:
        img = demosaic(img, cfa, method=demosaic_method)
    return img, rain.reshape(h, w)


def calibrated_counts(values: Any, calibration: Any, block: int) -> Any:
    """Block counts (N, H, W) corrected for the fixed pattern: ``((v / B - dark) / gain) B``, with hot and dead
    pixels filled from their nearest good neighbour (:meth:`spikevision.denoise.Calibration.apply_rate`)."""
    xp = get_namespace(values)
    return calibration.apply_rate(values * xp.float32(1.0 / block)) * xp.float32(block)
