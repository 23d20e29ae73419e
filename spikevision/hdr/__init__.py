"""HDR imaging by unwrapping modulo-encoded spike streams.

Follows "High-Speed Full-Color HDR Imaging via Unwrapping Modulo-Encoded Spike Streams" (2026):
a free-running B-bit counter per pixel read on any schedule (:func:`spikevision.sim.simulate_modulo`)
is unwrapped to fire counts (:func:`unwrap`; temporal, hierarchical, spatial LAR least squares,
and "best"), turned into linear radiance, tone mapped (:func:`tonemap`) and exported
(:func:`save_hdr`). Formulas: docs/algorithms.md (HDR by modulo unwrapping).

Example:
    >>> import numpy as np
    >>> from spikevision.hdr import unwrap, tonemap
    >>> n = np.cumsum(np.full((6, 4, 4), 300), axis=0)
    >>> res = unwrap((n % 256).astype(np.uint8), np.arange(6) * 10, 8)
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
