"""Photometric conversions: 8-bit sRGB to linear radiance, Bayer mosaics, expected firing rate.

The simulator integrates LINEAR radiance (float, unbounded). An 8-bit sRGB
image is converted with the inverse sRGB transfer function (IEC 61966-2-1)::

    v = code / 255;  L = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

then multiplied by an ``exposure`` factor. A pixel fed radiance ``L`` fires,
on average, ``min(1, gain * L / theta)`` spikes per readout tick (docs/physics.md):
:func:`expected_rate` is the "intensity" a reconstruction should
recover.
"""

from __future__ import annotations

import numpy as np

from ..errors import FormatError

__all__ = ["srgb_to_linear", "linear_to_srgb", "expected_rate", "mosaic", "to_luminance", "CFA_PATTERNS",
           "cfa_channels"]

CFA_PATTERNS = ("rggb", "bggr", "grbg", "gbrg")
_REC709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float64)


def srgb_to_linear(image: np.ndarray, exposure: float = 1.0) -> np.ndarray:
    """Linear radiance (float32) from 8-bit (or 16-bit) sRGB codes, or from sRGB floats in [0, 1].

    Args:
        image: uint8 / uint16 codes or floats in [0, 1] (sRGB-encoded).
        exposure: multiplier applied to the linear values.
    """
    a = np.asarray(image)
    if a.dtype == np.uint8:
        v = a.astype(np.float64) / 255.0
    elif a.dtype == np.uint16:
        v = a.astype(np.float64) / 65535.0
    else:
        v = a.astype(np.float64)
    lin = np.where(v <= 0.04045, v / 12.92, ((np.clip(v, 0.04045, None) + 0.055) / 1.055) ** 2.4)
    return (lin * exposure).astype(np.float32)


def linear_to_srgb(radiance: np.ndarray) -> np.ndarray:
    """sRGB-encoded floats in [0, 1] from linear values (clipped to [0, 1] first)."""
    v = np.clip(np.asarray(radiance, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055).astype(np.float32)


def expected_rate(radiance: np.ndarray, theta: float = 2.0, gain: float = 1.0) -> np.ndarray:
    """Expected spikes per readout tick, ``min(1, gain * radiance / theta)`` (float32, same shape).

    This is the intensity that a noise-free reconstruction (TFP, TFI ...) recovers
    from a stream simulated with the same ``theta`` and ``gain``.
    """
    if theta <= 0:
        raise ValueError(f"theta must be positive, got {theta}")
    r = np.asarray(radiance, dtype=np.float64) * (gain / theta)
    return np.clip(r, 0.0, 1.0).astype(np.float32)


def to_luminance(rgb: np.ndarray) -> np.ndarray:
    """Linear Rec.709 luminance of a linear (..., 3) RGB array."""
    return (np.asarray(rgb, dtype=np.float64) @ _REC709).astype(np.float32)


def cfa_channels(cfa: str, height: int, width: int) -> np.ndarray:
    """(H, W) int array of channel indices (0 = R, 1 = G, 2 = B) of a 2x2 Bayer pattern."""
    p = cfa.lower()
    if p not in CFA_PATTERNS:
        raise FormatError(f"unknown color filter pattern {cfa!r}; choose one of {', '.join(CFA_PATTERNS)}")
    idx = np.array(["rgb".index(ch) for ch in p]).reshape(2, 2)
    return np.tile(idx, ((height + 1) // 2, (width + 1) // 2))[:height, :width]


def mosaic(rgb: np.ndarray, cfa: str) -> np.ndarray:
    """Sample a linear (H, W, 3) RGB radiance through a Bayer filter: (H, W) float32.

    The pattern names the 2x2 tile from the top-left pixel in display orientation,
    row by row ("bggr": B at (0, 0), G at (0, 1) and (1, 0), R at (1, 1)).
    """
    a = np.asarray(rgb)
    if a.ndim != 3 or a.shape[2] != 3:
        raise FormatError(f"a color filter needs (H, W, 3) RGB radiance, got shape {a.shape}; "
                          f"pass an RGB input or leave cfa=None")
    tile = cfa_channels(cfa, 2, 2)
    out = np.empty(a.shape[:2], np.float32)
    for dy in (0, 1):
        for dx in (0, 1):  # one strided copy per site of the 2x2 tile
            out[dy::2, dx::2] = a[dy::2, dx::2, tile[dy, dx]]
    return out
