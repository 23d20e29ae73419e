"""Compiled CPU kernels (numba) of the flow module: spike counts over a window, bilinear backward warping.

Serial (``nogil``) kernels: a flow field needs two to a dozen images of a few hundred thousand
pixels, work too small for a thread pool's wake-up latency on a busy machine; parallelism comes from
computing several fields at once (:class:`~spikevision.flow.StreamingFlow` ``workers``), which numba's
own thread pool would not allow from several threads. References (NumPy):
:func:`window_counts_reference` and :func:`spikevision.flow.warp.warp_reference`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["warp_bilinear", "window_counts", "window_counts_reference"]


@numba.njit(cache=True, nogil=True)
def window_counts(work8, a, b, lut, acc64):
    """Per-pixel spike counts of packed frames ``work8[a:b]`` (rows padded to 8 bytes) into ``acc64``.

    ``lut[v]`` spreads the 8 bits of byte ``v`` over the 8 byte lanes of a uint64 (lane i = bit i), so
    one 64-bit add counts 8 pixels; ``acc64.view(uint8)[k]`` is then the count of pixel k (windows of
    at most 255 frames).
    """
    acc64[:] = 0
    nb = acc64.shape[0]
    for f in range(a, b):
        row = work8[f]
        for q in range(nb):
            acc64[q] += lut[row[q]]


def window_counts_reference(work8: np.ndarray, a: int, b: int, npix: int) -> np.ndarray:
    """NumPy reference of :func:`window_counts`: (npix,) uint8 counts of frames [a, b)."""
    bits = np.unpackbits(work8[a:b], axis=1, count=npix, bitorder="little")
    return bits.sum(axis=0, dtype=np.int64).astype(np.uint8)


@numba.njit(cache=True, nogil=True)
def warp_bilinear(img, flow, out):
    """out[y, x, c] = img sampled bilinearly at (x + flow[y, x, 0], y + flow[y, x, 1]), coordinates clamped
    to the image (border replicated). ``img`` (H, W, C) float32, ``flow`` (H, W, 2) float32."""
    h, w, nc = img.shape
    for y in range(h):
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
