"""The scene protocol: linear radiance as a function of time, plus exact ground truth.

Time ``t`` is measured in readout ticks (spike frames) at ``fps``; spike frame
``j`` integrates ``radiance(j)`` (see :mod:`spikevision.sim.inputs`). A scene is
a callable, so ``simulate(scene)`` works directly.

The simulator samples a scene every ``keyframe_interval`` ticks and interpolates
linearly in between. Moving scenes choose the interval from {1, 2, 5, 10} so
that nothing moves more than 0.25 px between keyframes: at every multiple of 10
ticks the radiance the sensor integrates is exactly ``radiance(t)`` (and
within a quarter-pixel shift of it in between).
"""

from __future__ import annotations

import numpy as np

from ..inputs import SceneInputError, frames_alias
from ..photometry import expected_rate

__all__ = ["Scene", "keyframe_interval_for"]


def keyframe_interval_for(speed: float, static: float = 64.0) -> float:
    """Ticks between keyframes for motion of ``speed`` px/tick: the largest of 1, 2, 5, 10 that keeps the
    motion between keyframes <= 0.25 px (``static`` when nothing moves)."""
    if speed <= 0:
        return float(static)
    return float(max([d for d in (1, 2, 5, 10) if d * speed <= 0.25] or [1]))


class Scene:
    """Base class of the benchmark scenes.

    Attributes:
        height, width: frame size in pixels.
        n_frames: default number of spike frames (``duration = n_frames / fps``); ``frames`` is an alias.
        fps: readout rate the scene is meant for (Hz).
        keyframe_interval: ticks between radiance samples the simulator takes (linear in between).
        seed: seeds every random parameter of the scene.
        name: short scene name (used in manifests).
    """

    name = "scene"
    keyframe_interval: float = 1.0

    def __init__(self, height: int, width: int, n_frames: int = 2000, fps: float = 20000.0, seed: int = 0,
                 *, frames: int | None = None):
        n_frames = frames_alias(n_frames, frames, 2000)
        if height < 1 or width < 1:
            raise SceneInputError(f"scene size must be positive, got {height}x{width}")
        if n_frames < 0:
            raise SceneInputError(f"n_frames must be >= 0, got {n_frames}")
        self.height, self.width, self.n_frames = int(height), int(width), int(n_frames)
        self.fps, self.seed = float(fps), int(seed)

    @property
    def frames(self) -> int:
        """Alias of :attr:`n_frames` (the name scenes used first)."""
        return self.n_frames

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_frames / self.fps

    def radiance(self, t: float) -> np.ndarray:
        """Linear radiance at tick ``t``: (H, W) float32 (or (H, W, 3) for color scenes)."""
        raise NotImplementedError

    def __call__(self, t: float) -> np.ndarray:
        return self.radiance(t)

    def rate(self, t: float, theta: float = 2.0, gain: float = 1.0) -> np.ndarray:
        """Expected firing rate per tick at ``t``, ``min(1, gain * radiance(t) / theta)``: the intensity a
        reconstruction of a stream simulated with the same ``theta``/``gain`` should recover."""
        return expected_rate(self.radiance(t), theta, gain)

    def params(self) -> dict:
        """JSON-able parameters that rebuild this scene (name, size, frames, seed, ...).

        The length keeps the key ``"frames"`` (benchmark manifests and provenance already hold it);
        ``make_scene(name, **params)`` accepts it as the alias of ``n_frames``.
        """
        return {"scene": self.name, "height": self.height, "width": self.width, "frames": self.n_frames,
                "fps": self.fps, "seed": self.seed}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.height}x{self.width}, n_frames={self.n_frames}, seed={self.seed})"
