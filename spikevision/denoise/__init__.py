"""Sensor calibration and spike-stream denoising.

Fixed-pattern noise (per-pixel dark current, gain and threshold), hot and dead
pixels and timing noise, removed in the spike domain (spikes in, spikes out,
lazily and live) or on reconstructed images:

- :func:`calibrate` / :class:`Calibration` / :func:`load_calibration`: dark rate, gain, hot and dead
  pixels of a sensor from a dark and a flat-field recording (two-point non-uniformity correction).
- :func:`hot_pixels`: hot pixels of an ordinary recording.
- :func:`denoise` / :class:`StreamingDenoiser`: methods "hot", "fpn", "temporal", "best".
- :func:`denoise_images`: image-domain denoising of reconstructions (OpenCV NLM, temporal recursive filter).

Example:
    >>> import numpy as np
    >>> from spikevision.denoise import Calibration, denoise
    >>> s = (np.arange(100)[:, None, None] % 5 == 0) & np.ones((1, 4, 8), bool)
    >>> denoise(s, calibration=Calibration.identity(4, 8), method="fpn").shape
    (100, 4, 8)
"""

from __future__ import annotations

from .calibration import Calibration, calibrate, hot_pixels, load_calibration
from .images import denoise_images
from .spikes import StreamingDenoiser, denoise

__all__ = ["calibrate", "Calibration", "load_calibration", "hot_pixels", "denoise", "StreamingDenoiser",
           "denoise_images"]
