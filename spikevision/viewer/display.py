"""Display pipeline: levels, gamma and colormap from a float image to 8-bit RGB.

The mapping follows napari's contrast limits and gamma: ``x = clip((v - lo) / (hi - lo), 0, 1) ** gamma``,
then ``round(255 * x)`` indexes a 256-entry colormap. The same function feeds the
screen, snapshots and video export, so a saved PNG equals what is shown.

Example:
    >>> import numpy as np
    >>> to_rgb(np.array([[0.0, 0.5, 1.0]], np.float32), (0.0, 1.0))[0, :, 0].tolist()
    [0, 128, 255]
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np

__all__ = ["COLORMAPS", "DisplaySettings", "colormap_lut", "normalize", "to_rgb", "auto_levels", "histogram"]

# name -> OpenCV colormap id (None: computed here)
_CV_MAPS = {"inferno": "COLORMAP_INFERNO", "viridis": "COLORMAP_VIRIDIS", "magma": "COLORMAP_MAGMA",
            "plasma": "COLORMAP_PLASMA", "turbo": "COLORMAP_TURBO", "hot": "COLORMAP_HOT", "jet": "COLORMAP_JET"}
COLORMAPS: tuple[str, ...] = ("gray", "inferno", "viridis", "magma", "plasma", "turbo", "hot", "jet", "green")


@dataclass(frozen=True)
class DisplaySettings:
    """How an image is shown.

    Attributes:
        levels: (low, high) values mapped to black and white (the contrast limits).
        gamma: exponent applied after levels (1 = linear; < 1 brightens dark tones).
        colormap: one of :data:`COLORMAPS`.
        auto_levels: recompute levels from every new frame (percentiles 0.5 and 99.5).
    """

    levels: tuple[float, float] = (0.0, 1.0)
    gamma: float = 1.0
    colormap: str = "gray"
    auto_levels: bool = False

    def with_(self, **changes) -> DisplaySettings:
        """A copy with some fields replaced."""
        return replace(self, **changes)


@cache
def colormap_lut(name: str) -> np.ndarray:
    """(256, 3) uint8 RGB table of a colormap."""
    ramp = np.arange(256, dtype=np.uint8)
    if name == "gray":
        lut = np.repeat(ramp[:, None], 3, axis=1)
    elif name == "green":
        lut = np.zeros((256, 3), np.uint8)
        lut[:, 1] = ramp
    elif name in _CV_MAPS:
        import cv2

        bgr = cv2.applyColorMap(ramp.reshape(256, 1), getattr(cv2, _CV_MAPS[name]))
        lut = bgr.reshape(256, 3)[:, ::-1]
    else:
        raise ValueError(f"unknown colormap {name!r}; choose one of {', '.join(COLORMAPS)}")
    lut = np.ascontiguousarray(lut, dtype=np.uint8)
    lut.flags.writeable = False
    return lut


def normalize(image: np.ndarray, levels: tuple[float, float], gamma: float = 1.0) -> np.ndarray:
    """``clip((image - lo) / (hi - lo), 0, 1) ** gamma`` as float32 (hi <= lo shows a step at lo)."""
    lo, hi = float(levels[0]), float(levels[1])
    img = np.asarray(image, dtype=np.float32)
    if hi <= lo:
        x = (img > lo).astype(np.float32)
    else:
        x = (img - np.float32(lo)) * np.float32(1.0 / (hi - lo))
        np.clip(x, 0.0, 1.0, out=x)
    x = np.nan_to_num(x, nan=0.0, copy=False)
    if gamma != 1.0:
        if not gamma > 0:
            raise ValueError(f"gamma must be > 0, got {gamma}")
        np.power(x, np.float32(gamma), out=x)
    return x


def to_rgb(image: np.ndarray, levels: tuple[float, float] = (0.0, 1.0), gamma: float = 1.0,
           colormap: str = "gray") -> np.ndarray:
    """(H, W) image -> (H, W, 3) uint8 RGB, C-contiguous (ready for a QImage or PNG).

    An (H, W, 3) image is already colour: uint8 RGB (a mode with ``rgb = True``, e.g. the flow colour
    wheel) is shown as it is; a float RGB image (a Bayer stream's linear RGB, the rain-mask overlay) gets
    levels and gamma on every channel. The colormap applies to (H, W) images only.
    """
    if np.ndim(image) == 3 and np.shape(image)[2] == 3 and np.asarray(image).dtype == np.uint8:
        return np.ascontiguousarray(image)
    x = normalize(image, levels, gamma)
    idx = np.rint(x * np.float32(255.0)).astype(np.uint8)
    if idx.ndim == 3 and idx.shape[2] == 3:
        return np.ascontiguousarray(idx)
    return colormap_lut(colormap)[idx]


def auto_levels(image: np.ndarray, low: float = 0.5, high: float = 99.5) -> tuple[float, float]:
    """Levels from percentiles of the finite values (a flat image gets a unit-wide range)."""
    v = np.asarray(image, dtype=np.float32)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return 0.0, 1.0
    if v.size > 65536:  # a strided sample is plenty for percentiles
        v = v[:: v.size // 65536]
    lo, hi = (float(x) for x in np.percentile(v, (low, high)))
    if hi <= lo:
        hi = lo + (abs(lo) * 0.01 or 1.0)
    return lo, hi


def histogram(image: np.ndarray, bins: int = 128, value_range: tuple[float, float] | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the finite values; the range defaults to [min(0, min), max(1, max)]."""
    v = np.asarray(image, dtype=np.float32).ravel()
    v = v[np.isfinite(v)]
    if value_range is None:
        value_range = (min(0.0, float(v.min())) if v.size else 0.0, max(1.0, float(v.max())) if v.size else 1.0)
    counts, edges = np.histogram(v, bins=bins, range=value_range)
    return counts, edges
