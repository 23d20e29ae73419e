"""Flow visualisation: the Middlebury colour wheel and an arrow overlay.

Colour coding of Baker et al., "A Database and Evaluation Methodology for Optical Flow", IJCV 2011
(the ``flowToColor`` code of the Middlebury benchmark): hue is the direction, saturation the
magnitude relative to ``max_magnitude`` (white at rest), and vectors longer than ``max_magnitude``
are drawn at 75 % value. On screen (y down): right is red, down is orange-yellow, left is cyan-blue,
up is violet-blue.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..backend import to_numpy
from ._checks import FlowInputError, check_flow, check_positive_int

__all__ = ["to_color", "to_arrows", "colorwheel"]


def colorwheel() -> np.ndarray:
    """The 55 Middlebury wheel colours (RY 15, YG 6, GC 4, CB 11, BM 13, MR 6) as (55, 3) float64 in 0..255."""
    segs = [(15, (255, 0, 0), (0, 1, 0)), (6, (255, 255, 0), (-1, 0, 0)), (4, (0, 255, 0), (0, 0, 1)),
            (11, (0, 255, 255), (0, -1, 0)), (13, (0, 0, 255), (1, 0, 0)), (6, (255, 0, 255), (0, 0, -1))]
    rows = []
    for n, base, ramp in segs:
        k = np.arange(n)[:, None]
        rows.append(np.array(base, np.float64)[None] + np.floor(255 * k / n) * np.array(ramp, np.float64)[None])
    return np.concatenate(rows)


def to_color(flow: Any, *, max_magnitude: float | None = None) -> np.ndarray:
    """Colour-code a flow field with the Middlebury wheel.

    Args:
        flow: (H, W, 2) flow of any backend (non-finite vectors are drawn black).
        max_magnitude: the magnitude drawn fully saturated (default: the largest finite one).

    Returns:
        (H, W, 3) uint8 RGB on the CPU.

    Example:
        >>> import numpy as np
        >>> to_color(np.array([[[1.0, 0.0]]], np.float32))[0, 0].tolist()   # right: red
        [255, 0, 0]
    """
    check_flow(flow)
    f = to_numpy(flow).astype(np.float64)
    u, v = f[..., 0], f[..., 1]
    bad = ~(np.isfinite(u) & np.isfinite(v))
    u, v = np.where(bad, 0, u), np.where(bad, 0, v)
    mag = np.hypot(u, v)
    if max_magnitude is None:
        max_magnitude = float(mag.max()) if mag.size else 0.0
    elif not float(max_magnitude) > 0:
        raise FlowInputError(f"max_magnitude must be a positive number of pixels, got {max_magnitude!r}")
    rad = mag / max(float(max_magnitude), np.finfo(np.float32).eps)
    wheel = colorwheel()
    n = wheel.shape[0]
    a = np.arctan2(-v, -u) / np.pi
    fk = (a + 1) / 2 * (n - 1)
    k0 = np.floor(fk).astype(np.int64)
    k1 = (k0 + 1) % n
    frac = (fk - k0)[..., None]
    col = ((1 - frac) * wheel[k0] + frac * wheel[k1]) / 255.0
    inside = (rad <= 1)[..., None]
    col = np.where(inside, 1 - rad[..., None] * (1 - col), col * 0.75)
    out = np.floor(255 * col).astype(np.uint8)
    out[bad] = 0
    return out


def to_arrows(image: Any, flow: Any, *, step: int = 16, scale: float | None = None,
              color: tuple[int, int, int] = (255, 64, 0)) -> np.ndarray:
    """Draw the flow as arrows every ``step`` pixels over ``image``.

    Args:
        image: (H, W) grey (float in [0, 1] or uint8) or (H, W, 3) uint8 RGB image of any backend.
        flow: (H, W, 2) flow of the same H, W.
        step: grid spacing of the arrows in pixels.
        scale: arrow length per pixel of flow (default: the 95th-percentile vector is drawn 0.9 step long).
        color: RGB of the arrows.

    Returns:
        (H, W, 3) uint8 RGB.
    """
    h, w = check_flow(flow)
    step = check_positive_int(step, "step")
    img = to_numpy(image)
    if img.shape[:2] != (h, w) or img.ndim not in (2, 3):
        raise FlowInputError(f"image of shape {img.shape} does not match the flow's {(h, w)}")
    if img.dtype != np.uint8:
        img = np.clip(np.nan_to_num(img.astype(np.float32)) * 255 + 0.5, 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img[..., :3])
    f = np.nan_to_num(to_numpy(flow).astype(np.float32))
    ys, xs = np.mgrid[step // 2 : h : step, step // 2 : w : step]
    vec = f[ys, xs]
    if scale is None:
        p95 = float(np.percentile(np.hypot(vec[..., 0], vec[..., 1]), 95)) if vec.size else 0.0
        scale = 0.9 * step / p95 if p95 > 1e-6 else 1.0
    for y, x, (du, dv) in zip(ys.ravel(), xs.ravel(), vec.reshape(-1, 2), strict=True):
        end = (int(round(x + du * scale)), int(round(y + dv * scale)))
        if end != (x, y):
            cv2.arrowedLine(rgb, (int(x), int(y)), end, color, 1, cv2.LINE_AA, tipLength=0.3)
    return rgb
