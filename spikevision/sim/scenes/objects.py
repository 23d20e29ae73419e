"""Simple moving objects (discs, bars) over a background, with trajectories, boxes and flow.

Every object moves on a straight line at constant velocity, ``p(t) = p0 + v t``
(pixels, ticks), chosen so that it stays in view for the scene's frames.
Objects are drawn in order (later ones in front). Ground truth: the radiance,
per-object boxes ``(x0, y0, x1, y1)`` (clipped to the frame), an instance map
and the dense flow (object velocity inside an object, background velocity elsewhere).
"""

from __future__ import annotations

import numpy as np

from .base import Scene, keyframe_interval_for
from .motion import TextureMotion

__all__ = ["MovingObjects"]


class MovingObjects(Scene):
    """Discs and bars moving over a (static or drifting) textured background.

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        frames: alias of ``n_frames``.
        n_objects: number of objects (alternating discs and bars).
        speed: (min, max) object speed in pixels per tick.
        background_velocity: (vx, vy) of the background texture in pixels per tick.
        levels: (min, max) radiance of the objects (uniform per object).
    """

    name = "moving_objects"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0,
                 n_objects: int = 4, speed: tuple[float, float] = (0.01, 0.05),
                 background_velocity: tuple[float, float] = (0.0, 0.0), levels: tuple[float, float] = (0.3, 1.2),
                 *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        rng = np.random.default_rng([self.seed, 0x0B1])
        self.background = TextureMotion(height, width, self.n_frames, fps, seed=seed + 1000,
                                        velocity=background_velocity, low=0.05, high=0.5)
        self.background_velocity = tuple(float(v) for v in background_velocity)
        objs = []
        for j in range(n_objects):
            kind = "disc" if j % 2 == 0 else "bar"
            size = rng.uniform(0.06, 0.12) * min(height, width)
            sp = rng.uniform(*speed)
            ang = rng.uniform(0, 2 * np.pi)
            v = np.array([np.cos(ang), np.sin(ang)]) * sp
            travel = v * max(self.n_frames, 1)
            lo = np.array([size, size]) + np.maximum(0, -travel)
            hi = np.array([width, height]) - size - np.maximum(0, travel)
            p0 = rng.uniform(np.minimum(lo, hi), np.maximum(lo, hi))
            objs.append({"kind": kind, "p0": p0, "v": v, "size": size, "aspect": rng.uniform(3, 6),
                         "angle": rng.uniform(0, np.pi), "level": rng.uniform(*levels)})
        self.objects = objs
        vmax = max([np.hypot(*o["v"]) for o in objs] + [np.hypot(*background_velocity), 1e-9])
        self.keyframe_interval = keyframe_interval_for(vmax)
        self._grid = np.mgrid[0:height, 0:width].astype(np.float64)

    def params(self) -> dict:
        return {**super().params(), "background_velocity": list(self.background_velocity),
                "objects": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in o.items()}
                            for o in self.objects]}

    def positions(self, t: float) -> np.ndarray:
        """(n, 2) object centres (x, y) at ``t``."""
        return np.array([o["p0"] + o["v"] * t for o in self.objects]).reshape(-1, 2)

    @staticmethod
    def _extent(o: dict) -> tuple[float, float]:
        """Half extents (ex, ey) of an object's axis-aligned bounding box."""
        if o["kind"] == "disc":
            return o["size"], o["size"]
        ca, sa = abs(np.cos(o["angle"])), abs(np.sin(o["angle"]))
        half_w = o["size"] / o["aspect"]
        return o["size"] * ca + half_w * sa, o["size"] * sa + half_w * ca

    def _mask(self, o: dict, c: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray]:
        """(window, mask inside it): the object's pixels, tested only in its bounding box plus one pixel."""
        ex, ey = self._extent(o)
        win = (slice(max(0, int(np.floor(c[1] - ey)) - 1), max(0, int(np.ceil(c[1] + ey)) + 2)),
               slice(max(0, int(np.floor(c[0] - ex)) - 1), max(0, int(np.ceil(c[0] + ex)) + 2)))
        yy, xx = self._grid[0][win], self._grid[1][win]
        dx, dy = xx - c[0], yy - c[1]
        if o["kind"] == "disc":
            return win, dx * dx + dy * dy <= o["size"] ** 2
        ca, sa = np.cos(o["angle"]), np.sin(o["angle"])
        u, v = dx * ca + dy * sa, -dx * sa + dy * ca
        return win, (np.abs(u) <= o["size"]) & (np.abs(v) <= o["size"] / o["aspect"])

    def instances(self, t: float) -> np.ndarray:
        """(H, W) int16 map: index of the front-most object at each pixel, -1 for background."""
        ids = np.full((self.height, self.width), -1, np.int16)
        for j, (o, c) in enumerate(zip(self.objects, self.positions(t), strict=True)):
            win, m = self._mask(o, c)
            ids[win][m] = j
        return ids

    def radiance(self, t: float) -> np.ndarray:
        out = np.array(self.background.radiance(t), np.float32)
        for o, c in zip(self.objects, self.positions(t), strict=True):
            win, m = self._mask(o, c)
            out[win][m] = o["level"]
        return out

    def boxes(self, t: float) -> np.ndarray:
        """(n, 4) float boxes (x0, y0, x1, y1) of every object at ``t`` (pixel-centre extents, clipped)."""
        out = []
        for o, c in zip(self.objects, self.positions(t), strict=True):
            ex, ey = self._extent(o)
            out.append([max(0.0, c[0] - ex), max(0.0, c[1] - ey), min(self.width - 1.0, c[0] + ex),
                        min(self.height - 1.0, c[1] + ey)])
        return np.array(out, np.float64).reshape(-1, 4)

    def flow(self, t: float, dt: float) -> np.ndarray:
        """Dense flow (H, W, 2) over ``dt`` ticks: each pixel's surface (object or background) displacement."""
        flow = self.background.flow(t, dt)
        ids = self.instances(t)
        for j, o in enumerate(self.objects):
            flow[ids == j] = (o["v"] * dt).astype(np.float32)
        return flow
