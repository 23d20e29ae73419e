"""Viewer modes of the flow module: the colour-wheel field and arrows over the reconstruction.

Both render the flow from frame ``t`` to ``t + window`` (the viewer's window is the flow's ``dt``)
as an (H, W, 3) uint8 RGB image (``ViewMode.rgb``): "flow" with the Middlebury colour wheel
(saturated at the field's 99th-percentile magnitude, so a frame is never washed out by a few wild
vectors), "flow_arrows" as arrows every 16 pixels over the TFP-41 image of frame ``t``.
Registered in the viewer's mode menu by :func:`register_view_modes` (the viewer calls it).
"""

from __future__ import annotations

import numpy as np

from ..stream import SpikeStream
from ..viewer.modes import ViewMode, get_mode, register_mode
from .api import estimate, support
from .viz import to_arrows, to_color

__all__ = ["FlowMode", "FlowArrowsMode", "register_view_modes", "VIEW_METHOD"]

#: the method the viewer shows
VIEW_METHOD = "best"


def _field(spikes: SpikeStream, at: int, dt: int) -> np.ndarray:
    t = min(at, len(spikes) - 1 - dt)
    if t < 0:
        raise ValueError(f"the recording has {len(spikes)} frames: too few for a flow over {dt} frames; "
                         f"choose a window below {len(spikes)}")
    return estimate(spikes, t, dt, method=VIEW_METHOD)


def flow_scale(f: np.ndarray) -> float:
    """The magnitude drawn fully saturated: the 99th percentile (at least 0.05 px)."""
    mag = np.hypot(f[::2, ::2, 0], f[::2, ::2, 1])
    return max(float(np.percentile(mag, 99)) if mag.size else 0.0, 0.05)


class FlowMode(ViewMode):
    """Optical flow from frame t to t + window, Middlebury colours (hue: direction, saturation: speed)."""

    name, label, default_window, window_range = "flow", "Optical flow (colour wheel)", 20, (1, 255)
    levels = (0.0, 1.0)
    rgb = True
    description = "flow from frame t to t + window in the Middlebury colour wheel (white: at rest)"

    def span(self, window: int) -> tuple[int, int]:
        before, after = support(VIEW_METHOD, window)
        return before, window + after

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        f = _field(spikes, at, window)
        return to_color(f, max_magnitude=flow_scale(f))


class FlowArrowsMode(FlowMode):
    """Flow arrows every 16 pixels over the TFP-41 reconstruction of frame t."""

    name, label = "flow_arrows", "Optical flow (arrows)"
    description = "flow from frame t to t + window as arrows over the TFP image of frame t"

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        from ..recon import tfp

        f = _field(spikes, at, window)
        img = tfp(spikes, at=min(at, len(spikes) - 1 - window), window=41)
        hi = float(np.percentile(img, 99.5)) or 1.0
        return to_arrows(np.clip(img / hi, 0, 1), f, step=16)


def register_view_modes() -> None:
    """Add "flow" and "flow_arrows" to the viewer's modes (once)."""
    for mode in (FlowMode(), FlowArrowsMode()):
        try:
            get_mode(mode.name)
        except ValueError:
            register_mode(mode)
register_view_modes()
