"""The viewer's "learned" mode: spikevision's trained reconstruction network (shipped default weights)."""

from __future__ import annotations

import numpy as np

from ..stream import SpikeStream
from ..viewer.modes import ViewMode, get_mode, register_mode

__all__ = ["LearnedMode", "register_view_modes"]


class LearnedMode(ViewMode):
    """:func:`spikevision.models.reconstruct_learned` of frame ``at`` (a fixed 41-frame window, 20 ahead)."""

    name, label, default_window, window_range = "learned", "Learned (SpikeUNet)", 41, (41, 41)
    description = "spikevision's compact network trained on simulated spikes (needs torch)"
    exposure = True

    def unavailable(self) -> str | None:
        from ..backend import torch_available

        return None if torch_available() else "needs torch: pip install 'spikevision[learn]'"

    def render(self, spikes: SpikeStream, at: int, window: int) -> np.ndarray:
        from .infer import reconstruct_learned

        return np.asarray(reconstruct_learned(spikes, at), dtype=np.float32)

    def prefers_sequential(self, step: int, window: int) -> bool:
        return True

    def iterate(self, spikes: SpikeStream, start: int, stop: int, step: int, window: int):
        """Batched forward passes while playing."""
        from .infer import iter_learned

        for t, img in iter_learned(spikes, range(start, min(stop, len(spikes)), step)):
            yield t, np.asarray(img, dtype=np.float32)


def register_view_modes() -> None:
    """Add the "learned" mode to the viewer (once)."""
    try:
        get_mode("learned")
    except ValueError:
        register_mode(LearnedMode())
