"""Colour spike cameras: Bayer planes, demosaicing and white balance on linear intensities.

A colour spike camera (a Bayer filter over the spike pixels, e.g. the BSS data's
"bggr") records one colour per pixel. spikevision reconstructs the RAW mosaic
plane (every pixel its own firing rate, so per-channel rates stay exact), then
demosaics, then white-balances in linear space. ``spikevision.recon.reconstruct``
does all of it for a stream with ``meta.cfa`` set (``color="auto"``).

Example:
    >>> import numpy as np
    >>> from spikevision.color import demosaic, white_balance
    >>> rgb = white_balance(demosaic(np.full((4, 4), 0.3, np.float32), "rggb"))
    >>> rgb.shape, round(float(rgb.mean()), 3)
    ((4, 4, 3), 0.3)
"""

from __future__ import annotations

from ._balance import BALANCE_METHODS, gray_world_gains, white_balance
from ._cfa import CFA_PATTERNS, cfa_planes, channel_masks, check_cfa, check_even, stream_cfa
from ._demosaic import DEMOSAIC_METHODS, demosaic, opencv_code

__all__ = ["demosaic", "white_balance", "cfa_planes", "gray_world_gains", "check_cfa", "check_even", "stream_cfa",
           "channel_masks", "opencv_code", "CFA_PATTERNS", "DEMOSAIC_METHODS", "BALANCE_METHODS"]
