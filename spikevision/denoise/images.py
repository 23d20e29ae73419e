"""Image-domain denoising of reconstruction sequences (what users reach for when spikes are not needed).

- ``"nlm"``: OpenCV's multi-frame non-local means (``cv2.fastNlMeansDenoisingMulti``; Buades, Coll & Morel,
  "A non-local algorithm for image denoising", CVPR 2005), on 8-bit images over a temporal window of
  ``window`` frames centred on each image (clipped at the ends).
- ``"temporal"``: a motion-gated recursive filter ``y_t = y_{t-1} + alpha (x_t - y_{t-1})``; where
  ``|x_t - y_{t-1}| > gate`` the pixel restarts from ``x_t`` (a moving edge is not smeared).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import like, to_numpy
from ..errors import FormatError

__all__ = ["denoise_images", "IMAGE_METHODS"]

IMAGE_METHODS = ("nlm", "temporal")


def denoise_images(images: Any, *, method: str = "nlm", h: float = 4.0, window: int = 5, alpha: float = 0.3,
                   gate: float = 0.1) -> Any:
    """Denoise a (N, H, W) float image sequence in [0, 1]; return the same shape, dtype float32, caller's backend.

    Args:
        images: (N, H, W) or a single (H, W) image, values in [0, 1].
        method: "nlm" (OpenCV non-local means over time) or "temporal" (recursive filter).
        h: NLM filter strength in 8-bit grey levels (OpenCV's ``h``).
        window: NLM temporal window (odd, frames).
        alpha: recursive filter weight of the new image, in (0, 1].
        gate: recursive filter reset threshold (image units).

    Example:
        >>> import numpy as np
        >>> from spikevision.denoise import denoise_images
        >>> x = np.random.default_rng(0).random((3, 16, 16)).astype(np.float32)
        >>> denoise_images(x, method="temporal").shape
        (3, 16, 16)
    """
    x = to_numpy(images)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3 or x.shape[0] == 0:
        raise FormatError(f"denoise_images takes (N, H, W) images (or one (H, W) image), got shape {x.shape}")
    x = np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)
    if method == "nlm":
        out = _nlm(x, h, window)
    elif method == "temporal":
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        if not gate > 0:
            raise ValueError(f"gate must be positive, got {gate!r}")
        out = _recursive(x, np.float32(alpha), np.float32(gate))
    else:
        raise ValueError(f"unknown image denoising method {method!r}; choose one of {', '.join(IMAGE_METHODS)}")
    return like(out[0] if single else out, images)


def _nlm(x: np.ndarray, h: float, window: int) -> np.ndarray:
    import cv2

    if not isinstance(window, (int, np.integer)) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd number of frames >= 1, got {window!r}")
    u8 = np.round(x * 255).astype(np.uint8)
    n = len(u8)
    out = np.empty(x.shape, np.float32)
    frames = list(u8)
    for i in range(n):
        win = min(window, 2 * min(i, n - 1 - i) + 1)   # centred on image i, shrunk at the ends
        if win <= 1:
            out[i] = cv2.fastNlMeansDenoising(u8[i], None, float(h), 7, 21) / np.float32(255)
        else:
            out[i] = cv2.fastNlMeansDenoisingMulti(frames, i, win, None, float(h), 7, 21) / np.float32(255)
    return out


def _recursive(x: np.ndarray, alpha: np.float32, gate: np.float32) -> np.ndarray:
    out = np.empty_like(x)
    y = x[0].copy()
    out[0] = y
    for i in range(1, len(x)):
        d = x[i] - y
        y = np.where(np.abs(d) > gate, x[i], y + alpha * d).astype(np.float32)
        out[i] = y
    return out
