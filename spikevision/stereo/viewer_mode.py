"""The viewer's "disparity" mode: the left-view disparity of a stereo pair, colour-mapped, with depth readout.

The viewer hands a mode the stream it shows; for a pair (a pair file, or ``spikevision view LEFT --right
RIGHT``) that is a :class:`~spikevision.stereo.pair.PairedStream`, whose ``stereo_pair`` this mode matches.
The window is the spike history the matcher reads (frames ``t - window + 1 .. t``).
"""

from __future__ import annotations

import numpy as np

from ..stream import SpikeStream
from ..viewer.modes import ViewMode
from ._input import StereoInputError

__all__ = ["DisparityMode"]


class DisparityMode(ViewMode):
    """Left-view disparity (pixels) of the stereo pair being viewed, by the best stereo method."""

    name = "disparity"
    label = "Disparity (stereo pair)"
    default_window = 256
    window_range = (8, 4096)
    colormap = "turbo"
    levels = (0.0, 64.0)
    max_disparity = 64
    #: renders only for a stereo pair (on a single stream it says so)
    needs_pair = True
    description = ("left-view disparity of a stereo pair (spike-timing matching); open a pair file or "
                   "`spikevision view LEFT --right RIGHT`")

    def span(self, window: int) -> tuple[int, int]:
        return window - 1, 0

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        from .api import disparity

        pair = getattr(spikes, "stereo_pair", None)
        if pair is None:
            raise StereoInputError("the disparity mode needs a stereo pair: open a pair file (.h5 written by "
                                   "spikevision.stereo.save_pair) or run `spikevision view LEFT --right RIGHT`")
        d_max = max(1, min(self.max_disparity, spikes.width - 1))
        return disparity(pair.left, pair.right, at, max_disparity=d_max, window=max(2, int(window)))

    def readout_lines(self, spikes: SpikeStream, value: float) -> list[str]:
        """Lines the pixel readout adds for a pixel of disparity ``value``: the depth in metres."""
        pair = getattr(spikes, "stereo_pair", None)
        if pair is None or not (pair.focal and pair.baseline):
            return ["depth   — (the pair has no focal length and baseline)"]
        if value <= 0:
            return ["depth   inf (disparity 0)"]
        return [f"depth   {pair.focal * pair.baseline / value:.3f} m"]
