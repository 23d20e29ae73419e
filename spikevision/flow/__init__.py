"""Optical flow from spike streams: classical, spike-native and streaming estimators, warping, visualisation.

Fields are (H, W, 2) float32 displacements in pixels from frame ``t`` to frame ``t + dt``
(``flow[y, x] = (dx, dy)``, x to the right, y down; the Middlebury convention of ``.flo`` files).
Methods: "dis" and "farneback" (OpenCV on two log-TFP reconstructions, sub-interval chaining),
"spike" (spikevision's multi-frame constant-velocity fit over every frame around the interval) and
"best" (= "spike", the most accurate on the flow benchmark). Metrics: :mod:`spikevision.metrics.flow`.

Example:
    >>> import numpy as np
    >>> from spikevision import flow
    >>> s = (np.random.default_rng(0).random((120, 16, 24)) < 0.3).astype(np.uint8)
    >>> f = flow.estimate(s, 40, 20)
    >>> f.shape, f.dtype
    ((16, 24, 2), dtype('float32'))
"""

from __future__ import annotations

from ._checks import FlowInputError
from .api import BEST, METHODS, estimate, estimate_sequence, iter_estimate
from .spike import SPIKE_DEFAULTS
from .streaming import StreamingFlow
from .viz import colorwheel, to_arrows, to_color
from .warp import warp

__all__ = ["estimate", "estimate_sequence", "iter_estimate", "StreamingFlow", "to_color", "to_arrows", "warp",
           "colorwheel", "FlowInputError", "METHODS", "BEST", "SPIKE_DEFAULTS"]
