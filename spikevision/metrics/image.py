"""Full-reference image metrics: MSE, PSNR and SSIM with an explicit data range.

The data range (the distance between the darkest and the brightest possible
value: 1.0 for float images in [0, 1], 255 for uint8) is an argument with a
documented default of 1.0 and is never inferred from the images: inferring it
from a reconstruction (as skimage does when it is not given) can read PSNR
several dB off (docs/algorithms.md, Image quality metrics).

SSIM follows Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment:
from error visibility to structural similarity", IEEE TIP 2004: an 11x11
Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, population (biased)
local statistics, the mean over the pixels whose window lies inside the image
(the same as ``skimage.metrics.structural_similarity(gaussian_weights=True,
sigma=1.5, use_sample_covariance=False, data_range=...)``).

All functions take (H, W) or (..., H, W) arrays of any backend (NumPy, CuPy,
torch via NumPy); the ``*_batch`` variants return one value per leading index
(a time series for a (T, H, W) stack).

Example:
    >>> import numpy as np
    >>> from spikevision.metrics import psnr
    >>> a = np.zeros((8, 8)); b = a + 0.1
    >>> round(psnr(a, b, data_range=1.0), 6)
    20.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import backend_name, get_namespace, to_numpy

__all__ = ["mse", "psnr", "ssim", "mse_batch", "psnr_batch", "ssim_batch", "gaussian_window", "SSIM_K1", "SSIM_K2",
           "SSIM_SIGMA", "SSIM_SIZE"]

SSIM_K1, SSIM_K2, SSIM_SIGMA, SSIM_SIZE = 0.01, 0.03, 1.5, 11


def _pair(x: Any, y: Any):
    if backend_name(x) == "torch" or backend_name(y) == "torch":
        x, y = to_numpy(x), to_numpy(y)
    xp = get_namespace(x)
    if backend_name(x) != backend_name(y):
        y = xp.asarray(to_numpy(y)) if backend_name(x) == "cupy" else to_numpy(y)
    x = xp.asarray(x, dtype=xp.float64)
    y = xp.asarray(y, dtype=xp.float64)
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {x.shape} vs {y.shape}; compare images of the same size")
    if x.ndim < 2:
        raise ValueError(f"expected (H, W) or (..., H, W) images, got shape {x.shape}")
    return x, y


def _check_range(data_range: float) -> float:
    data_range = float(data_range)
    if not (data_range > 0 and math.isfinite(data_range)):
        raise ValueError(f"data_range must be a positive number (1.0 for images in [0, 1], 255 for uint8), "
                         f"got {data_range!r}")
    return data_range


def mse_batch(x: Any, y: Any) -> np.ndarray:
    """Mean squared error per image over the last two axes: shape ``x.shape[:-2]`` (NumPy float64)."""
    x, y = _pair(x, y)
    return to_numpy(((x - y) ** 2).mean(axis=(-2, -1)))


def mse(x: Any, y: Any) -> float:
    """Mean squared error over all values."""
    x, y = _pair(x, y)
    return float(((x - y) ** 2).mean())


def _psnr_from_mse(m, data_range: float):
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range ** 2 / np.asarray(m, dtype=np.float64))


def psnr_batch(x: Any, y: Any, data_range: float = 1.0) -> np.ndarray:
    """PSNR in dB per image over the last two axes (inf where identical)."""
    return _psnr_from_mse(mse_batch(x, y), _check_range(data_range))


def psnr(x: Any, y: Any, data_range: float = 1.0) -> float:
    """PSNR in dB, ``10 log10(data_range^2 / MSE)`` over all values (inf when identical).

    Args:
        x, y: images of the same shape (reference and test, in either order).
        data_range: max minus min possible value: 1.0 (default) for float images in [0, 1], 255 for uint8.
    """
    return float(_psnr_from_mse(mse(x, y), _check_range(data_range)))


def gaussian_window(size: int = SSIM_SIZE, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian of ``size`` taps (the SSIM window is its outer product)."""
    r = (size - 1) / 2.0
    g = np.exp(-((np.arange(size) - r) ** 2) / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter_valid(img, g):
    """Separable 'valid' correlation of (..., H, W) with the 1-D kernel g along both image axes."""
    n = g.shape[0]
    h, w = img.shape[-2:]
    rows = sum(float(g[i]) * img[..., i : h - n + 1 + i, :] for i in range(n))
    return sum(float(g[i]) * rows[..., :, i : w - n + 1 + i] for i in range(n))


def ssim_batch(x: Any, y: Any, data_range: float = 1.0) -> np.ndarray:
    """SSIM per image over the last two axes (see :func:`ssim`); NumPy float64 array of shape ``x.shape[:-2]``."""
    x, y = _pair(x, y)
    data_range = _check_range(data_range)
    if min(x.shape[-2:]) < SSIM_SIZE:
        raise ValueError(f"SSIM needs images of at least {SSIM_SIZE}x{SSIM_SIZE} pixels (its Gaussian window), got "
                         f"{x.shape[-2]}x{x.shape[-1]}; compare larger images or use psnr")
    g = gaussian_window()
    mx, my = _filter_valid(x, g), _filter_valid(y, g)
    sxx = _filter_valid(x * x, g) - mx * mx
    syy = _filter_valid(y * y, g) - my * my
    sxy = _filter_valid(x * y, g) - mx * my
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return to_numpy(s.mean(axis=(-2, -1)))


def ssim(x: Any, y: Any, data_range: float = 1.0) -> float:
    """Structural similarity of two (H, W) images (mean SSIM; the mean over images for a stack).

    Args:
        x, y: images of the same shape, at least 11x11.
        data_range: max minus min possible value: 1.0 (default) for images in [0, 1], 255 for uint8.
    """
    return float(np.mean(ssim_batch(x, y, data_range)))
