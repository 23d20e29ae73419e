"""Calibration scenes: a dark frame (no light) and a flat field (uniform light).

Recorded with the same sensor seed as a scene, they let
:func:`spikevision.denoise.calibrate` estimate that sensor's dark rate and
gain; the sensor's true patterns are ``NoiseModel.draw(...)`` (see
:meth:`spikevision.sim.noise.FixedPattern.rates`).
"""

from __future__ import annotations

import numpy as np

from ..inputs import SceneInputError
from .base import Scene

__all__ = ["FlatScene", "DarkScene"]


class FlatScene(Scene):
    """Uniform radiance ``level`` everywhere, constant in time (a defocused white target).

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        level: linear radiance (with theta = 2 the nominal pixel fires ``level / 2`` spikes per tick).
    """

    name = "flat"
    keyframe_interval = 64.0

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0, level: float = 0.5, *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        if not (level >= 0 and np.isfinite(level)):
            raise SceneInputError(f"level must be a finite radiance >= 0, got {level!r}")
        self.level = float(level)
        self._img = np.full((self.height, self.width), self.level, np.float32)

    def radiance(self, t: float) -> np.ndarray:
        return self._img

    def params(self) -> dict:
        return {**super().params(), "level": self.level}


class DarkScene(FlatScene):
    """No light at all (the lens capped): only dark current makes pixels fire."""

    name = "dark"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0, *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, level=0.0, frames=frames)

    def params(self) -> dict:
        p = super().params()
        p.pop("level")
        return p
