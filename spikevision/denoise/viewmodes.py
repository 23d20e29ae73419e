"""Viewer modes of the denoising module: "denoised" and "hot_pixels" (registered with ``register_mode``).

``spikevision view FILE --calibration CAL.h5`` sets the calibration both modes use
(:func:`set_calibration`); without one, "denoised" runs the interval-domain method alone and
"hot_pixels" finds hot pixels from the frames around the current one.
"""

from __future__ import annotations

import numpy as np

from ..stream import SpikeStream
from ..viewer.modes import ViewMode, in_colour, register_mode
from .calibration import Calibration, hot_pixels
from .spikes import denoise

__all__ = ["DenoisedMode", "HotPixelsMode", "set_calibration", "get_calibration", "WARMUP"]

#: frames denoised before the window so every pixel's interval history is settled
WARMUP = 256

_STATE: dict[str, Calibration | None] = {"calibration": None}


def set_calibration(calibration: Calibration | None) -> None:
    """The calibration the "denoised" and "hot_pixels" modes use (None: none)."""
    _STATE["calibration"] = calibration


def get_calibration() -> Calibration | None:
    return _STATE["calibration"]


def _usable(spikes: SpikeStream) -> Calibration | None:
    cal = _STATE["calibration"]
    if cal is not None:
        cal.check_shape(spikes.height, spikes.width)
    return cal


class DenoisedMode(ViewMode):
    """Firing rate (TFP) of the denoised spikes over the window: ``denoise(..., method="best")``."""

    name, label, default_window, window_range = "denoised", "Denoised (spike domain)", 101, (3, 2047)
    exposure = True
    description = ("the spikes after spikevision.denoise (calibrated fixed-pattern correction with --calibration, "
                   "hot-pixel repair, interval-domain denoising), shown as their firing rate over the window")

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        cal = _usable(spikes)
        h = window // 2
        a, b = max(0, at - h), min(len(spikes), at - h + window)
        w0 = max(0, a - WARMUP)
        out = denoise(spikes[w0:b], calibration=cal, method="best")
        counts = out[a - w0:].spike_counts(4096)
        return in_colour((counts / max(1, b - a)).astype(np.float32), spikes)


class HotPixelsMode(ViewMode):
    """Hot and dead pixels: 1 = hot, 0.5 = dead (from the calibration, else found in the window's frames)."""

    name, label, default_window, window_range = "hot_pixels", "Hot pixels", 2001, (64, 1_000_000)
    colormap, levels = "hot", (0.0, 1.0)
    description = "hot (1) and dead (0.5) pixels: from --calibration, else a robust z-score of the window's rates"

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        cal = _usable(spikes)
        if cal is not None:
            return (cal.hot.astype(np.float32) + np.float32(0.5) * cal.dead).astype(np.float32)
        a = max(0, at - window // 2)
        b = min(len(spikes), a + window)
        return hot_pixels(spikes[a:b]).astype(np.float32)


for _m in (DenoisedMode(), HotPixelsMode()):
    register_mode(_m, replace=True)
del _m
