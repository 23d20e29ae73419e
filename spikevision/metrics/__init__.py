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
from .flow import aae, epe, fl_all, flow_metrics, outliers
from .hdr import fold_error_rate, modulo_bandwidth, psnr_linear, psnr_mu, ssim_mu
from .image import mse, mse_batch, psnr, psnr_batch, ssim, ssim_batch
from .spikes import isi_error, rate_map_error, spike_precision_recall
from .stereo import bad_pixel_rate, d1_kitti, depth_metrics, disparity_metrics
from .stereo import epe as disparity_epe

__all__ = ["mse", "psnr", "ssim", "mse_batch", "psnr_batch", "ssim_batch",
           "epe", "aae", "fl_all", "outliers", "flow_metrics",
           "disparity_epe", "bad_pixel_rate", "d1_kitti", "disparity_metrics", "depth_metrics",
           "fold_error_rate", "psnr_linear", "psnr_mu", "ssim_mu", "modulo_bandwidth",
           "spike_precision_recall", "isi_error", "rate_map_error",
           "mask_iou", "cpsnr"]
