"""HDR imaging by unwrapping modulo-encoded spike streams.

Follows "High-Speed Full-Color HDR Imaging via Unwrapping Modulo-Encoded Spike Streams" (2026):
a free-running B-bit counter per pixel read on any schedule (:func:`spikevision.sim.simulate_modulo`)
is unwrapped to fire counts (:func:`unwrap`; temporal, hierarchical, spatial LAR least squares,
and "best"), turned into linear radiance, tone mapped (:func:`tonemap`) and exported
(:func:`save_hdr`). Formulas: docs/algorithms.md (HDR by modulo unwrapping).

Example:
    >>> import numpy as np
    >>> from spikevision.hdr import unwrap, tonemap
    >>> ticks = np.array([0, 1, 5, 15, 25, 35])
    >>> n = 30 * ticks[:, None, None] + np.zeros((1, 4, 4), int)   # 30 fires per tick, 300 between reads
    >>> res = unwrap((n % 256).astype(np.uint8), ticks, 8)
    >>> float(res.rate(0, -1)[0, 0])
    30.0
"""

from __future__ import annotations

from .api import BEST, METHODS, HDRInputError, HDRResult, unwrap
from .spatial import poisson_dct, spatial_unwrap
from .streaming import StreamingUnwrapper
from .tonemap import TONEMAPS, save_hdr, tonemap

__all__ = ["unwrap", "HDRResult", "tonemap", "save_hdr", "StreamingUnwrapper", "spatial_unwrap", "poisson_dct",
           "HDRInputError", "METHODS", "BEST", "TONEMAPS"]
