"""Bilinear demosaicing of a linear float Bayer mosaic (OpenCV's ``cvtColor`` Bayer conversion on float32).

Kept private and minimal: HDR demosaics in linear radiance, after unwrapping, where the values span
many decades; a scale normalisation keeps OpenCV's float path exact.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..backend import like, to_numpy

__all__ = ["demosaic_bilinear"]

# OpenCV names Bayer patterns by the second row's first two pixels: a spikevision "rggb" mosaic is BG for it,
# and the BGR output order is swapped to RGB by asking for the RGB conversion.
_CODES = {"rggb": cv2.COLOR_BayerBG2RGB, "bggr": cv2.COLOR_BayerRG2RGB, "grbg": cv2.COLOR_BayerGB2RGB,
          "gbrg": cv2.COLOR_BayerGR2RGB}


def demosaic_bilinear(mosaic: Any, cfa: str) -> Any:
    """(H, W) linear mosaic -> (H, W, 3) float32 linear RGB by bilinear interpolation."""
    code = _CODES.get(str(cfa).lower())
    if code is None:
        raise ValueError(f"unknown Bayer pattern {cfa!r}; choose one of {', '.join(_CODES)}")
    m = to_numpy(mosaic).astype(np.float32)
    if m.shape[0] < 2 or m.shape[1] < 2:
        raise ValueError(f"a Bayer mosaic needs at least 2x2 pixels, got {m.shape}")
    rgb = cv2.cvtColor(np.ascontiguousarray(m), code)
    return like(rgb.astype(np.float32), mosaic)
