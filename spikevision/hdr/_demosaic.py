"""Bilinear demosaicing of a linear float Bayer mosaic (normalised convolution with ``cv2.filter2D``).

Kept private and minimal: HDR demosaics in linear radiance, after unwrapping, where values span
many decades (OpenCV's own Bayer conversions take 8/16-bit input only). Each channel is the
bilinear interpolation of its own sites: ``conv(mask * x) / conv(mask)``, exact on flat colour up
to the borders.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..backend import like, to_numpy

__all__ = ["demosaic_bilinear", "cfa_masks"]

_K_G = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float32) / 4
_K_RB = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 4


def cfa_masks(shape: tuple[int, int], cfa: str) -> np.ndarray:
    """(3, H, W) bool masks of the R, G, B sites of a Bayer pattern ("rggb": R at (0, 0), B at (1, 1))."""
    p = str(cfa).lower()
    if len(p) != 4 or sorted(p) != ["b", "g", "g", "r"]:
        raise ValueError(f"unknown Bayer pattern {cfa!r}; choose one of rggb, bggr, grbg, gbrg")
    h, w = shape
    site = np.empty((h, w), "<U1")
    for i, ch in enumerate(p):
        site[i // 2 :: 2, i % 2 :: 2] = ch
    return np.stack([site == c for c in "rgb"])


def demosaic_bilinear(mosaic: Any, cfa: str) -> Any:
    """(H, W) linear mosaic -> (H, W, 3) float32 linear RGB by bilinear interpolation of each channel."""
    m = to_numpy(mosaic).astype(np.float32)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 2:
        raise ValueError(f"a Bayer mosaic is (H, W) with at least 2x2 pixels, got {m.shape}")
    masks = cfa_masks(m.shape, cfa)
    out = np.empty(m.shape + (3,), np.float32)
    for c in range(3):
        k = _K_G if c == 1 else _K_RB
        mk = masks[c].astype(np.float32)
        num = cv2.filter2D(m * mk, -1, k, borderType=cv2.BORDER_CONSTANT)
        den = cv2.filter2D(mk, -1, k, borderType=cv2.BORDER_CONSTANT)
        out[..., c] = np.where(masks[c], m, num / np.maximum(den, 1e-12))
    return like(out, mosaic)
