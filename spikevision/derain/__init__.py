"""Deraining of spike streams: rain-free images, rain masks, rain-free spike streams.

Rain streaks cross a pixel in a few milliseconds, which a 20-40 kHz spike camera
resolves as short transient bursts: a drop brightens a pixel (or, over a bright
background, darkens it: Garg and Nayar, "Detection and removal of rain from
videos", CVPR 2004) for its transit time ``(length + width) / speed``. SpikeDerain
(2025) learns this separation with a spiking network (code not released);
spikevision separates it in time with classical, tested estimators:

- ``"temporal"``: spike counts of ``blocks`` blocks of ``block`` frames around the frame, trimmed
  around the per-pixel median (a tolerance from the pixel's own noise, its MAD) and averaged.
  Defaults 8 x 40 frames (16 ms at 20 kHz): several times the transit time of a typical drop
  (a few ms), so a drop spoils at most a few of the blocks.
- ``"motion"``: the same after aligning the blocks to the centre block with dense optical flow
  (OpenCV DIS), for a moving camera; 64 x 20 frames (64 ms at 20 kHz). 1 ms blocks keep a panning
  background sharp within a block; the long window averages the blocks' quantisation noise and,
  as the scene moves across the sensor, its fixed-pattern noise. Aligned samples from outside a
  block's frame (new scene a panning camera brings in) are left out, so the long window costs
  nothing at the borders. The default ("best").
- ``"rpca"``: robust PCA (inexact ALM, Lin et al. 2010) of the block images, the classical baseline.

Functional ops on SpikeStreams or (T, H, W) arrays of any backend, on the intensity
scale of :mod:`spikevision.recon` (1.0 = ``rate`` spikes per tick); colour streams
(``meta.cfa``) give (H, W, 3) linear RGB.

Example:
    >>> import numpy as np
    >>> from spikevision.derain import derain, rain_mask
    >>> spikes = np.zeros((400, 8, 8), np.uint8); spikes[::4] = 1     # rate 0.25
    >>> spikes[180:220, 2:4, 2:4] = 1                                   # a 40-frame drop
    >>> float(derain(spikes, 200, method="temporal")[2, 2]), bool(rain_mask(spikes, 200)[2, 2])
    (0.25, True)
"""

from __future__ import annotations

from ._api import derain, derain_sequence, iter_derain, rain_mask
from ._blocks import BEST, DEFAULTS, METHODS
from .remove import remove_rain
from .streaming import StreamingDerain

__all__ = ["derain", "rain_mask", "derain_sequence", "iter_derain", "remove_rain", "StreamingDerain", "METHODS",
           "BEST", "DEFAULTS"]
