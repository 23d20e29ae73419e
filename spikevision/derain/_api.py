"""Offline deraining: one frame, a mask, or a sequence in constant memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..backend import get_namespace
from ..recon._color import color_pattern
from ..recon._input import Spikes, check_frame, on_cpu, read_packed, shape_of, to_caller
from ..recon.api import frame_range
from ._blocks import block_counts, check_params, window_blocks
from ._core import estimate

__all__ = ["derain", "rain_mask", "iter_derain", "derain_sequence"]


def _one(spikes: Spikes, at: int, method: str, color: Any, demosaic_method: str, params: dict,
         calibration: Any = None):
    name, p = check_params(method, params)
    cfa = color_pattern(spikes, color)
    t_len, h, w = shape_of(spikes)
    if calibration is not None:
        calibration.check_shape(h, w)
    at = check_frame(at, t_len)
    win = window_blocks(at, t_len, p["block"], p["blocks"])
    return estimate(block_counts(spikes, win), win, name, p, cfa, demosaic_method, calibration)


def derain(spikes: Spikes, at: int, *, method: str = "best", color: Any = "auto", demosaic_method: str = "bilinear",
           calibration: Any = None, **params: Any) -> Any:
    """The rain-free image at frame ``at``.

    Rain streaks cross a pixel in a few milliseconds: at 20-40 kHz a drop is a short
    bright (or, over a bright background, dark) burst in the pixel's spike train
    (Garg and Nayar, CVPR 2004; SpikeDerain, 2025). The window around ``at`` is cut
    into ``blocks`` blocks of ``block`` frames; the blocks a drop crosses are trimmed
    around the per-pixel median count and the rest averaged.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        method: "best" (default: "motion"), "temporal" (trimmed block rate), "motion" (the same after
            aligning the blocks with dense optical flow: for a moving camera) or "rpca" (low-rank +
            sparse decomposition of the block images by inexact ALM).
        color: "auto" (colour for a stream with ``meta.cfa``), True, False or a Bayer pattern (arrays).
        demosaic_method: demosaicing of a colour result (:func:`spikevision.color.demosaic`).
        calibration: a :class:`spikevision.denoise.Calibration` of the sensor: every block's counts are
            corrected for its dark rate and gain, and hot/dead pixels filled, before the combination (the
            fixed pattern no temporal method can see otherwise).
        **params: ``block`` (frames per block), ``blocks`` (blocks per window), ``k``, ``floor``, ``rel``
            (trimming tolerance ``max(k 1.4826 MAD, floor) + rel m`` spikes around the median count m),
            ``rate`` (firing rate shown as 1.0), ``lam`` ("rpca": multiple of 1/sqrt(pixels)).
            Defaults: :data:`spikevision.derain.DEFAULTS`.

    Returns:
        (H, W) float32 in [0, 1] (1.0 = ``rate`` spikes per tick, the scale of :mod:`spikevision.recon`), or
        (H, W, 3) linear RGB for a colour stream, on the caller's backend.

    Example:
        >>> import numpy as np
        >>> from spikevision.derain import derain
        >>> spikes = np.zeros((400, 8, 8), np.uint8); spikes[::4] = 1     # rate 0.25 everywhere
        >>> spikes[180:220, 2:4, 2:4] = 1                                   # a 40-frame bright drop
        >>> float(derain(spikes, 200, method="temporal")[2, 2])
        0.25
    """
    img, _ = _one(spikes, at, method, color, demosaic_method, params, calibration)
    return to_caller(img, spikes)


def rain_mask(spikes: Spikes, at: int, *, method: str = "temporal", calibration: Any = None, **params: Any) -> Any:
    """(H, W) bool: pixels where rain was detected at frame ``at`` (the block holding ``at`` left the trimmed set).

    Args:
        spikes, at, calibration, **params: as :func:`derain`.
        method: "temporal" (default), "motion" or "rpca" (``|sparse| > tol``).

    Example:
        >>> import numpy as np
        >>> from spikevision.derain import rain_mask
        >>> spikes = np.zeros((400, 8, 8), np.uint8); spikes[::4] = 1
        >>> spikes[180:220, 2:4, 2:4] = 1
        >>> int(rain_mask(spikes, 200).sum())
        4
    """
    _, mask = _one(spikes, at, method, False, "bilinear", params, calibration)
    return to_caller(mask, spikes)


def iter_derain(spikes: Spikes, *, step: int = 40, start: int | None = None, stop: int | None = None,
                method: str = "best", color: Any = "auto", demosaic_method: str = "bilinear", with_mask: bool = False,
                calibration: Any = None, **params: Any) -> Iterator[tuple[int, Any]]:
    """Yield ``(frame_index, image)`` (or ``(frame_index, image, mask)``) every ``step`` frames, constant memory.

    On the CPU, when ``step`` is a multiple of ``block``, the blocks are counted once and shared between
    images (:class:`~spikevision.derain.StreamingDerain`); otherwise each image reads its own window.
    Images equal :func:`derain` at the same frames (``calibration`` as there).
    """
    name, p = check_params(method, params)
    cfa = color_pattern(spikes, color)
    t_len, h, w = shape_of(spikes)
    if calibration is not None:
        calibration.check_shape(h, w)
    frames = frame_range(t_len, start, stop, step)
    if on_cpu(spikes) and frames.step % p["block"] == 0 and t_len >= p["block"] * (p["blocks"] + 1):
        from .streaming import StreamingDerain

        lookback = p["block"] // 2 + (p["blocks"] // 2) * p["block"]
        first = max(0, frames.start - lookback)
        sd = StreamingDerain(h, w, method=name, emit_every=frames.step, start=frames.start - first, cfa=cfa,
                             demosaic_method=demosaic_method, calibration=calibration, **p)
        sd.skip_to(first)
        last = frames[-1]
        end = min(t_len, last + sd.lookahead + 1)
        for a in range(first, end, 1024):
            for t, img in sd.iter_packed(read_packed(spikes, a, min(a + 1024, end))):
                if t > last:
                    return
                yield (t, img, sd.mask) if with_mask else (t, img)
        if end == t_len:
            for t, img in _flush_with_masks(sd):
                if t > last:
                    return
                yield (t, img[0], img[1]) if with_mask else (t, img[0])
        return
    for t in frames:
        img, mask = _one(spikes, t, name, cfa if cfa else False, demosaic_method, p, calibration)
        img, mask = to_caller(img, spikes), to_caller(mask, spikes)
        yield (t, img, mask) if with_mask else (t, img)


def _flush_with_masks(sd) -> Iterator[tuple[int, tuple[Any, Any]]]:
    """The flushed images of a StreamingDerain, each with its mask."""
    for t, img in sd.iter_flush():
        yield t, (img, sd.mask)


def derain_sequence(spikes: Spikes, *, step: int = 40, start: int | None = None, stop: int | None = None,
                    method: str = "best", **options: Any) -> Any:
    """Rain-free images every ``step`` frames as an (N, H, W) (or (N, H, W, 3)) float32 stack.

    Options as :func:`iter_derain`.

    Example:
        >>> import numpy as np
        >>> from spikevision.derain import derain_sequence
        >>> spikes = np.zeros((400, 8, 8), np.uint8); spikes[::4] = 1
        >>> derain_sequence(spikes, step=40, method="temporal").shape
        (10, 8, 8)
    """
    images = [img for _, img in iter_derain(spikes, step=step, start=start, stop=stop, method=method, **options)]
    xp = get_namespace(images[0]) if not hasattr(images[0], "detach") else None
    if xp is None:
        import torch

        return torch.stack(images)
    return xp.stack(images) if xp is not np else np.stack(images)
