"""Compiled CPU kernels (numba) of the flow module: bilinear backward warping.

:func:`spikevision.flow.warp.warp_reference` (NumPy) is the reference this kernel is tested against.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["warp_bilinear"]


@numba.njit(parallel=True, cache=True, nogil=True)
def warp_bilinear(img, flow, out):
    """out[y, x, c] = img sampled bilinearly at (x + flow[y, x, 0], y + flow[y, x, 1]), coordinates clamped
    to the image (border replicated). ``img`` (H, W, C) float32, ``flow`` (H, W, 2) float32."""
    h, w, nc = img.shape
    for y in numba.prange(h):
        for x in range(w):
            sx = min(max(np.float32(x) + flow[y, x, 0], np.float32(0.0)), np.float32(w - 1))
            sy = min(max(np.float32(y) + flow[y, x, 1], np.float32(0.0)), np.float32(h - 1))
            x0 = min(int(np.floor(sx)), w - 1)
            y0 = min(int(np.floor(sy)), h - 1)
            x1 = min(x0 + 1, w - 1)
            y1 = min(y0 + 1, h - 1)
            fx = sx - np.float32(x0)
            fy = sy - np.float32(y0)
            for c in range(nc):
                top = img[y0, x0, c] + fx * (img[y0, x1, c] - img[y0, x0, c])
                bot = img[y1, x0, c] + fx * (img[y1, x1, c] - img[y1, x0, c])
                out[y, x, c] = top + fy * (bot - top)
