"""Stereo depth from a pair of spike cameras: rectification, matching, depth, live.

Offline functions take two rectified SpikeStreams or (T, H, W) arrays and return
the left view's disparity in pixels (a point at column x in the left image is at
x - d in the right one) on the caller's backend; :class:`StreamingStereo` does the
same for two live cameras. Methods: "spike" (spikevision's spike-timing matcher:
per-pixel inter-spike-interval features, census + interval-L1 cost, semi-global
matching), "sgbm" (OpenCV StereoSGBM on two reconstructions) and "best" (the
default, currently "spike"). :class:`StereoCalibration` rectifies raw pairs; a pair
lives in one HDF5 file (:func:`save_pair`, :func:`open_pair`).

Example:
    >>> import numpy as np, spikevision.stereo as st
    >>> rng = np.random.default_rng(1)
    >>> right = (rng.random((200, 16, 48)) < rng.random((1, 16, 48)) * 0.5).astype(np.uint8)
    >>> left = np.roll(right, 3, axis=2)
    >>> d = st.disparity(left, right, -1, max_disparity=8)
    >>> float(np.median(d[:, 12:]))
    3.0
"""

from __future__ import annotations

from ._input import StereoInputError
from .api import BEST, METHODS, disparity, disparity_sequence, iter_disparity
from .calibration import StereoCalibration
from .depth import depth, disparity_from_depth
from .pair import StereoPair, open_pair, save_pair
from .sgbm import SGBM_DEFAULTS
from .spike import SPIKE_DEFAULTS
from .streaming import StreamingStereo

__all__ = ["disparity", "disparity_sequence", "iter_disparity", "StreamingStereo", "depth", "disparity_from_depth",
           "StereoCalibration", "StereoPair", "open_pair", "save_pair",
           "StereoInputError", "METHODS", "BEST", "SPIKE_DEFAULTS", "SGBM_DEFAULTS"]
