"""View modes "derain" (the rain-free image) and "rain mask" (rain found, in red over the image).

Both use :func:`spikevision.derain.derain` with the "temporal" method (the viewer redraws while
scrubbing: the motion-compensated method is too slow for that). The window (frames) sets the
number of 40-frame blocks. Colour (Bayer) streams show in colour ((H, W, 3) linear RGB).
"""

from __future__ import annotations

import numpy as np

from ..stream import SpikeStream
from .modes import ViewMode

__all__ = ["DerainMode", "RainMaskMode"]

BLOCK = 40


def _params(window: int) -> dict:
    return {"block": BLOCK, "blocks": max(3, int(window) // BLOCK)}


class DerainMode(ViewMode):
    """The rain-free image (trimmed block counts around the frame)."""

    name, label = "derain", "Derain (rain removed)"
    default_window, window_range = 320, (120, 2560)
    exposure = True
    description = "rain-free image: 40-frame block counts trimmed around their per-pixel median"

    def span(self, window: int) -> tuple[int, int]:
        n = _params(window)["blocks"]
        return BLOCK // 2 + (n // 2) * BLOCK, (n - n // 2) * BLOCK - BLOCK // 2 - 1

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        from ..derain import derain

        return np.asarray(derain(spikes, at, method="temporal", **_params(window)), dtype=np.float32)


class RainMaskMode(DerainMode):
    """The TFP-41 image (what the camera saw) with the pixels found rainy in red."""

    name, label = "rain mask", "Rain mask overlay"
    description = "where rain was detected (red) over the rainy TFP-41 image"

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        from ..derain import rain_mask
        from ..recon import reconstruct

        img = np.asarray(reconstruct(spikes, "tfp", at=at, window=41), dtype=np.float32)
        rgb = img.copy() if img.ndim == 3 else np.repeat(img[..., None], 3, axis=2)
        mask = np.asarray(rain_mask(spikes, at, method="temporal", **_params(window)))
        top = float(rgb.max()) or 1.0
        rgb[mask] = (top, 0.0, 0.0)
        return rgb
