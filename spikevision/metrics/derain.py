"""Deraining and colour metrics: rain-mask IoU and colour PSNR, with validity masks.

- :func:`mask_iou`: intersection over union of a detected and a true rain mask (1.0 when both are empty).
- :func:`cpsnr`: colour PSNR, ``10 log10(range^2 / MSE)`` with the MSE over all three channels of the
  valid pixels (the usual demosaicing figure; a ``border`` excludes the edge pixels where every
  demosaicing method extrapolates).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import to_numpy

__all__ = ["mask_iou", "cpsnr"]


def mask_iou(found: Any, truth: Any, valid: Any = None) -> float:
    """IoU of two (H, W) bool masks over the ``valid`` pixels (default all).

    Example:
        >>> import numpy as np
        >>> a = np.zeros((4, 4), bool); a[:2] = True
        >>> b = np.zeros((4, 4), bool); b[1:3] = True
        >>> round(mask_iou(a, b), 3)
        0.333
    """
    f, t = np.asarray(to_numpy(found), bool), np.asarray(to_numpy(truth), bool)
    if f.shape != t.shape:
        raise ValueError(f"masks of shapes {f.shape} and {t.shape} differ; compare masks of one frame size")
    if valid is not None:
        v = np.asarray(to_numpy(valid), bool)
        f, t = f & v, t & v
    union = int((f | t).sum())
    return float((f & t).sum() / union) if union else 1.0


def cpsnr(rgb: Any, truth: Any, data_range: float = 1.0, *, border: int = 0, valid: Any = None) -> float:
    """Colour PSNR (dB) of (H, W, 3) images over the valid pixels, excluding ``border`` pixels at each edge.

    Example:
        >>> import numpy as np
        >>> round(cpsnr(np.full((4, 4, 3), 0.5), np.full((4, 4, 3), 0.6)), 2)
        20.0
    """
    x = np.asarray(to_numpy(rgb), np.float64)
    y = np.asarray(to_numpy(truth), np.float64)
    if x.shape != y.shape or x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"cpsnr needs two (H, W, 3) images of one shape, got {x.shape} and {y.shape}")
    if not data_range > 0:
        raise ValueError(f"data_range must be > 0 (1.0 for images in [0, 1]), got {data_range}")
    keep = np.ones(x.shape[:2], bool)
    if border:
        keep[:border], keep[-border:], keep[:, :border], keep[:, -border:] = False, False, False, False
    if valid is not None:
        keep &= np.asarray(to_numpy(valid), bool)
    if not keep.any():
        raise ValueError("no valid pixels to compare; reduce border or widen the valid mask")
    mse = float(np.mean((x[keep] - y[keep]) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))
