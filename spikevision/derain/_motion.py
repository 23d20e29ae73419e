"""Motion compensation of block images: dense optical flow to the centre block, then warping.

A moving camera (panning, a vehicle) moves the background across the window; the
blocks are aligned to the centre block before the robust temporal combination.
Flow: OpenCV's DIS (Kroeger et al., "Fast optical flow using dense inverse
search", ECCV 2016, preset MEDIUM) between motion references, each the mean of a
block and its two neighbours (3 B frames: less quantisation noise than one block,
little motion blur), scaled to 8 bits at the 99.5th percentile of the centre
reference. Rain moves much faster than the background and covers few pixels, so
DIS's coarse-to-fine patches follow the background. The matcher is :mod:`spikevision.flow`'s
(``flow.classical.make_dis("medium")``) and blocks are warped with :func:`spikevision.flow.warp`
(bilinear). An aligned sample from outside its block's frame (a panning camera brings new
scene in at one side) is marked missing and left out of the combination, and so is every block
from the first one (going outward from the centre) whose median displacement exceeds
:data:`MAX_SHIFT` of the frame's smaller side: DIS's error grows with the displacement.
``flow.estimate`` itself is not called: it reconstructs its own images from the spikes, while
the block counts here are already in hand (and the rain-robust 3-block references matter more
than the flow method).
"""

from __future__ import annotations

import numpy as np

__all__ = ["align", "inside", "flow_between", "references", "MIN_SIZE"]

#: frames smaller than this (either side) are combined without alignment (too small for DIS)
MIN_SIZE = 32
#: blocks whose median displacement from the centre block exceeds this fraction of the frame's smaller
#: side (and all blocks farther out) are left out: alignment error grows with the displacement
MAX_SHIFT = 0.125


def references(values: np.ndarray) -> np.ndarray:
    """(N, H, W) motion references: the mean of each block and its neighbours (clipped at the ends)."""
    n = values.shape[0]
    out = np.empty(values.shape[:3], np.float32)
    for i in range(n):
        a, b = max(0, i - 1), min(n, i + 2)
        v = values[a:b]
        out[i] = (v.mean(axis=-1) if v.ndim == 4 else v).mean(axis=0)
    return out


def flow_between(ref0: np.ndarray, ref1: np.ndarray, top: float) -> np.ndarray:
    """(H, W, 2) float32 flow (dx, dy) in pixels from ``ref0`` to ``ref1`` (8-bit images of ``x / top``)."""
    from ..flow.classical import make_dis

    dis = make_dis("medium")
    a = np.clip(ref0 * (255.0 / top), 0, 255).astype(np.uint8)
    b = np.clip(ref1 * (255.0 / top), 0, 255).astype(np.uint8)
    return dis.calc(a, b, None)


def inside(flow: np.ndarray, tol: float = 0.5) -> np.ndarray:
    """(H, W) bool: where ``flow`` samples within the frame (up to ``tol`` px beyond its outer pixel centres).

    Elsewhere a warped value would be the replicated border: a scene point the block never saw
    (the camera had not yet panned to it), so the combination leaves it out.
    """
    h, w = flow.shape[:2]
    sx = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    sy = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    return (sx >= -tol) & (sx <= w - 1 + tol) & (sy >= -tol) & (sy <= h - 1 + tol)


def align(values: np.ndarray, center: int) -> tuple[np.ndarray, np.ndarray]:
    """Warp each (H, W) or (H, W, C) block image onto the centre block's geometry (bilinear).

    Returns:
        (aligned blocks like ``values``, (N, H, W) bool: where each aligned sample lies inside its block's frame).
    """
    from ..flow import warp

    n = values.shape[0]
    h, w = values.shape[1:3]
    valid = np.ones((n, h, w), np.bool_)
    if n < 2 or min(h, w) < MIN_SIZE:  # too small for DIS's patches and pyramid: no motion estimate
        return values, valid
    refs = references(values)
    top = max(float(np.percentile(refs[center], 99.5)), 1e-6)
    out = values.copy()
    limit = MAX_SHIFT * min(h, w)
    for side in (range(center - 1, -1, -1), range(center + 1, n)):  # outward from the centre block
        far = False
        for i in side:
            if not far:
                fl = flow_between(refs[center], refs[i], top)
                far = float(np.median(np.hypot(fl[..., 0], fl[..., 1]))) > limit
            if far:  # this block and all beyond it moved too far to align reliably: left out
                valid[i] = False
                continue
            out[i] = warp(values[i], fl)
            valid[i] = inside(fl)
    return out, valid
