"""Quality metrics. Image metrics (MSE, PSNR, SSIM) always take an explicit data range.

Example:
    >>> import numpy as np
    >>> from spikevision.metrics import ssim
    >>> img = np.random.default_rng(0).random((32, 32))
    >>> ssim(img, img, data_range=1.0)
    1.0
"""

from __future__ import annotations

from .derain import cpsnr, mask_iou
from .image import mse, mse_batch, psnr, psnr_batch, ssim, ssim_batch

__all__ = ["mse", "psnr", "ssim", "mse_batch", "psnr_batch", "ssim_batch", "mask_iou", "cpsnr"]
