"""Texture motion: a textured plane translating, rotating and zooming, with exact dense flow.

The image point of texture coordinate ``p`` at time ``t`` (ticks) is::

    x(t) = c + v t + s(t) R(w t) (p - p0),     s(t) = exp(z t)

with image centre ``c``, velocity ``v`` (px/tick), rotation rate ``w``
(rad/tick) and zoom rate ``z`` (1/tick). So the optical flow of pixel ``x``
over ``dt`` ticks is exactly ``x' - x`` with
``x' = c + v (t + dt) + exp(z dt) R(w dt) (x - c - v t)``.
"""

from __future__ import annotations

import numpy as np

from ..inputs import SceneInputError
from ..texture import natural_texture, sample_affine
from .base import Scene, keyframe_interval_for

__all__ = ["TextureMotion"]


class TextureMotion(Scene):
    """A (procedural or given) texture in affine motion; ground truth: radiance and dense flow.

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        frames: alias of ``n_frames``.
        velocity: (vx, vy) translation in pixels per tick.
        rotation: rotation rate in radians per tick (positive: clockwise on screen, y down).
        zoom: zoom rate per tick (``exp(zoom * t)`` scale).
        texture: an (h, w) float image in [0, 1] to move (default: a seeded natural texture); it repeats.
        low, high: linear radiance of texture values 0 and 1.
        texture_size: side of the procedural texture.
        color: if True, radiance is (H, W, 3) with a per-channel tint of three textures.
    """

    name = "texture_motion"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0,
                 velocity: tuple[float, float] = (0.02, 0.01), rotation: float = 0.0, zoom: float = 0.0,
                 texture: np.ndarray | None = None, low: float = 0.05, high: float = 1.0, texture_size: int = 512,
                 color: bool = False,
                 *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        self.velocity = (float(velocity[0]), float(velocity[1]))
        self.rotation, self.zoom = float(rotation), float(zoom)
        self.low, self.high, self.color = float(low), float(high), bool(color)
        self.given_texture = texture is not None
        if texture is not None:
            tex = np.asarray(texture, dtype=np.float32)
            if tex.ndim != 2:
                raise SceneInputError(f"texture must be a 2-D grayscale image in [0, 1], got shape {tex.shape}")
            self.textures = [tex]
        else:
            n = 3 if color else 1
            self.textures = [natural_texture(texture_size, seed=self.seed * 3 + i) for i in range(n)]
        if color and len(self.textures) == 1:
            self.textures = self.textures * 3
        th, tw = self.textures[0].shape
        self.center = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
        self.p0 = np.array([tw / 2.0, th / 2.0])
        speed = np.hypot(*self.velocity) + abs(self.rotation) * np.hypot(width, height) / 2 + \
            abs(self.zoom) * np.hypot(width, height) / 2
        self.keyframe_interval = keyframe_interval_for(speed)

    def params(self) -> dict:
        return {**super().params(), "velocity": list(self.velocity), "rotation": self.rotation, "zoom": self.zoom,
                "low": self.low, "high": self.high, "color": self.color, "given_texture": self.given_texture}

    # --- geometry -------------------------------------------------------
    def _rot(self, angle: float) -> np.ndarray:
        c, s = np.cos(angle), np.sin(angle)
        return np.array([[c, -s], [s, c]])

    def texture_map(self, t: float) -> np.ndarray:
        """2x3 affine map from pixel (x, y) to the texture coordinates (u, v) it sees at tick ``t``."""
        m = self._rot(-self.rotation * t) * np.exp(-self.zoom * t)
        off = self.center + np.array(self.velocity) * t
        return np.hstack([m, (self.p0 - m @ off)[:, None]])

    def texture_coords(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Texture coordinates (u, v) (float64, (H, W) each) seen by every pixel at tick ``t``."""
        yy, xx = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        a = self.texture_map(t)
        return a[0, 0] * xx + a[0, 1] * yy + a[0, 2], a[1, 0] * xx + a[1, 1] * yy + a[1, 2]

    def flow(self, t: float, dt: float) -> np.ndarray:
        """Exact optical flow (H, W, 2) float32 in pixels, (dx, dy), of every pixel from ``t`` to ``t + dt``."""
        yy, xx = np.mgrid[0 : self.height, 0 : self.width].astype(np.float64)
        d = np.stack([xx - self.center[0] - self.velocity[0] * t, yy - self.center[1] - self.velocity[1] * t])
        m = self._rot(self.rotation * dt) * np.exp(self.zoom * dt)
        q = np.tensordot(m, d, axes=1)
        x1 = self.center[0] + self.velocity[0] * (t + dt) + q[0]
        y1 = self.center[1] + self.velocity[1] * (t + dt) + q[1]
        return np.stack([x1 - xx, y1 - yy], axis=-1).astype(np.float32)

    def radiance(self, t: float) -> np.ndarray:
        a = self.texture_map(t)
        chans = [self.low + (self.high - self.low) * sample_affine(tex, a, self.height, self.width)
                 for tex in self.textures]
        if self.color:
            tint = np.array([1.0, 0.9, 0.75], dtype=np.float32)
            return (np.stack(chans[:3], axis=-1) * tint).astype(np.float32, copy=False)
        return chans[0].astype(np.float32, copy=False)  # already a fresh float32 array: no second copy
