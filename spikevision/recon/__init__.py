"""Spike-to-image reconstruction: TFP, TFI, TFSTP, DSFT and spikevision's adaptive method.

Offline functions take a SpikeStream or a (T, H, W) array of any backend and
return (H, W) float32 images in [0, 1] on the caller's backend; streaming
reconstructors take packed blocks as they arrive (live cameras, viewers).
Each function documents the paper and the conventions (``convention=``
"spikevision", "spikezoo", "spikecv") it follows. Formulas: docs/algorithms.md.

Example:
    >>> import numpy as np, spikevision.recon as rc
    >>> spikes = (np.random.default_rng(0).random((200, 8, 8)) < 0.3).astype(np.uint8)
    >>> img = rc.reconstruct(spikes, "best", at=100)
    >>> img.dtype, img.shape
    (dtype('float32'), (8, 8))
"""

from __future__ import annotations

from ._color import color_pattern, iter_reconstruct, reconstruct, reconstruct_sequence
from .adaptive import ADAPTIVE_DEFAULTS, adaptive
from .api import BEST, METHODS
from .dsft import dsft, last_next
from .exposure import AUTO_PERCENTILE, auto_rate, resolve_rate
from .streaming import StreamingAdaptive, StreamingReconstructor, StreamingTFI, StreamingTFP, streaming_reconstructor
from .tfi import tfi
from .tfp import CONVENTIONS, tfp
from .tfstp import STP_DEFAULTS, tfstp

__all__ = ["reconstruct", "reconstruct_sequence", "iter_reconstruct", "tfp", "tfi", "tfstp", "adaptive", "dsft",
           "last_next", "StreamingReconstructor", "StreamingTFP", "StreamingTFI", "StreamingAdaptive",
           "streaming_reconstructor", "color_pattern",
           "auto_rate", "resolve_rate", "AUTO_PERCENTILE", "METHODS", "BEST", "CONVENTIONS", "STP_DEFAULTS",
           "ADAPTIVE_DEFAULTS"]
