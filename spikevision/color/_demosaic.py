"""Demosaicing of linear Bayer images: bilinear, OpenCV's edge-aware and VNG interpolation.

Input is a LINEAR (H, W) mosaic (a reconstruction of the raw colour-filtered spike
plane, 1.0 = one spike per tick), output (H, W, 3) RGB float32 in the same units.

- ``"bilinear"``: each missing sample is the mean of its nearest samples of that
  colour (the classical 3x3 normalised convolution; at the border only the
  samples inside the image count). Pure array code: runs on NumPy or CuPy, and
  equals OpenCV's ``COLOR_Bayer*2RGB`` in the interior up to its integer rounding.
- ``"edge_aware"``: OpenCV's ``COLOR_Bayer*2RGB_EA`` (interpolates along edges), run on
  16-bit codes of the image scaled to its maximum (quantisation 1.5e-5 of the maximum); the
  measured samples are kept exactly and the 2-pixel border is bilinear (OpenCV's is approximate).
- ``"vng"``: OpenCV's variable number of gradients (Chang et al., 1999), which OpenCV only
  has for 8-bit images: the bilinear result plus OpenCV's VNG-minus-bilinear correction
  computed on 8-bit codes, so flat areas keep full linear precision and edges get VNG's
  direction-aware interpolation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import backend_name, get_namespace, like, to_numpy
from ..errors import FormatError
from ._cfa import channel_masks, check_cfa, check_even

__all__ = ["demosaic", "DEMOSAIC_METHODS", "opencv_code"]

DEMOSAIC_METHODS = ("bilinear", "edge_aware", "vng")

_OPENCV_SUFFIX = {"bilinear": "", "edge_aware": "_EA", "vng": "_VNG"}


def opencv_code(cfa: str, method: str = "bilinear") -> int:
    """OpenCV's ``cv2.COLOR_Bayer??2RGB*`` constant for a pattern.

    OpenCV names a pattern by the second and third pixels of its second row, so the tile
    "rggb" is OpenCV's "BG" (in general: the 4th then the 3rd letter of the tile).
    """
    import cv2

    p = check_cfa(cfa)
    return getattr(cv2, f"COLOR_Bayer{p[3].upper()}{p[2].upper()}2RGB{_OPENCV_SUFFIX[method]}")


def _box3(xp, a):
    """3x3 weighted sum with kernel [[1,2,1],[2,4,2],[1,2,1]] (R and B) and zero padding."""
    p = xp.pad(a, 1)
    rows = p[:-2] + 2 * p[1:-1] + p[2:]
    return rows[:, :-2] + 2 * rows[:, 1:-1] + rows[:, 2:]


def _plus3(xp, a):
    """3x3 weighted sum with kernel [[0,1,0],[1,4,1],[0,1,0]] (G: its four nearest samples) and zero padding."""
    p = xp.pad(a, 1)
    return 4 * p[1:-1, 1:-1] + p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]


def _bilinear(xp, img, cfa: str):
    """Normalised convolution per channel: at the border only the samples inside the image count."""
    h, w = img.shape
    masks = xp.asarray(channel_masks(cfa, h, w).astype(np.float32))
    out = xp.empty((h, w, 3), xp.float32)
    for c in range(3):
        conv = _plus3 if c == 1 else _box3
        out[..., c] = conv(xp, masks[c] * img) / conv(xp, masks[c])
    return out


def _to_codes(img: np.ndarray, bits: int) -> tuple[np.ndarray, float]:
    top = float(max(np.max(img), 1e-12))
    full = 65535.0 if bits == 16 else 255.0
    codes = np.rint(np.clip(img, 0, None) * (full / top)).astype(np.uint16 if bits == 16 else np.uint8)
    return codes, top / full


def demosaic(image: Any, cfa: str, *, method: str = "bilinear") -> Any:
    """(H, W, 3) linear RGB float32 from an (H, W) linear Bayer mosaic.

    Args:
        image: (H, W) mosaic of linear intensities (any backend; H and W even).
        cfa: the Bayer pattern of the mosaic ("rggb", "bggr", "grbg", "gbrg").
        method: "bilinear" (default), "edge_aware" or "vng" (see the module docstring).

    Returns:
        (H, W, 3) float32 RGB on the caller's backend; sampled sites keep their value exactly
        ("bilinear" and "vng" everywhere, "edge_aware" to within its 16-bit quantisation).

    Raises:
        FormatError: unknown pattern or method, not an (H, W) image, odd height or width.

    Example:
        >>> import numpy as np
        >>> from spikevision.color import demosaic
        >>> demosaic(np.full((4, 6), 0.25, np.float32), "bggr").shape
        (4, 6, 3)
    """
    p = check_cfa(cfa)
    if method not in DEMOSAIC_METHODS:
        raise FormatError(f"unknown demosaic method {method!r}; choose one of {', '.join(DEMOSAIC_METHODS)}")
    shape = tuple(getattr(image, "shape", ()))
    if len(shape) != 2:
        raise FormatError(f"demosaic needs one (H, W) mosaic image, got shape {shape}; reconstruct the raw "
                          f"colour-filtered plane first (spikevision.recon.reconstruct(..., color=False))")
    check_even(shape[0], shape[1], p)
    if backend_name(image) == "torch":
        return like(to_numpy(demosaic(to_numpy(image), p, method=method)), image)
    xp = get_namespace(image)
    img = image.astype(xp.float32, copy=False)
    if method == "bilinear":
        return _bilinear(xp, img, p)
    import cv2

    host = np.ascontiguousarray(to_numpy(img))
    if method == "edge_aware":
        codes, scale = _to_codes(host, 16)
        rgb = cv2.cvtColor(codes, opencv_code(p, "edge_aware")).astype(np.float32) * np.float32(scale)
    else:
        codes, scale = _to_codes(host, 8)
        vng = cv2.cvtColor(codes, opencv_code(p, "vng")).astype(np.float32)
        lin = cv2.cvtColor(codes, opencv_code(p, "bilinear")).astype(np.float32)
        rgb = _bilinear(np, host, p) + (vng - lin) * np.float32(scale)
        np.maximum(rgb, 0, out=rgb)
    _keep_samples(rgb, host, p)
    return rgb if xp is np else xp.asarray(rgb)


def _keep_samples(rgb: np.ndarray, img: np.ndarray, cfa: str) -> None:
    """Put the measured samples back at their sites and use the bilinear result on the 2-pixel border
    (OpenCV's edge-aware and VNG interpolation leave the border approximate)."""
    lin = _bilinear(np, img, cfa)
    for part in (np.s_[:2], np.s_[-2:], np.s_[:, :2], np.s_[:, -2:]):
        rgb[part] = lin[part]
    masks = channel_masks(cfa, *img.shape)
    for c in range(3):
        rgb[..., c][masks[c]] = img[masks[c]]
