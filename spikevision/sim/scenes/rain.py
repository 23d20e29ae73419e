"""Rain: a background scene plus physically based rain streaks rendered at the readout rate.

Drops arrive as a Poisson process in space-time (docs/algorithms.md, Rain synthesis): each
is a streak (a capsule of length ``l`` and width ``w`` along its direction of
fall, at angle ``a`` from the vertical) moving at speed ``v`` px/tick. Its
photometry follows Garg and Nayar (*Detection and removal of rain from videos*,
CVPR 2004): a drop refracts light from a wide cone of the environment, so its
radiance ``E`` is set by the environment (here a factor times the mean
background radiance), not by the background behind it, and a pixel covered
with fraction ``alpha`` sees ``(1 - alpha) L_bg + alpha E``. Drops are rendered
at every keyframe (by default every tick), so streaks are continuous in the
spike stream. Ground truth: the clean background radiance and the per-pixel
rain coverage (mask).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..inputs import SceneInputError
from .base import Scene
from .motion import TextureMotion

__all__ = ["RainScene"]


@numba.njit(cache=True, nogil=True)
def _render_drops(drops, t, out, cover):  # pragma: no cover - compiled
    """drops: (n, 9) rows [x0, y0, t0, dx, dy, speed, length, width, alpha, E] composited in order."""
    h, w = out.shape
    for j in range(drops.shape[0]):
        x0, y0, t0, dx, dy, v, ln, wd, al, e = drops[j, 0], drops[j, 1], drops[j, 2], drops[j, 3], drops[j, 4], \
            drops[j, 5], drops[j, 6], drops[j, 7], drops[j, 8], drops[j, 9]
        hx = x0 + dx * v * (t - t0)
        hy = y0 + dy * v * (t - t0)
        tx = hx - dx * ln
        ty = hy - dy * ln
        r = 0.5 * wd + 0.5
        xa = max(0, int(math.floor(min(hx, tx) - r)))
        xb = min(w - 1, int(math.ceil(max(hx, tx) + r)))
        ya = max(0, int(math.floor(min(hy, ty) - r)))
        yb = min(h - 1, int(math.ceil(max(hy, ty) + r)))
        for y in range(ya, yb + 1):
            for x in range(xa, xb + 1):
                # distance from the pixel centre to the segment tail-head
                px = x - tx
                py = y - ty
                s = (px * dx + py * dy)
                if s < 0.0:
                    s = 0.0
                elif s > ln:
                    s = ln
                ex = px - s * dx
                ey = py - s * dy
                dist = math.sqrt(ex * ex + ey * ey)
                c = 0.5 * wd + 0.5 - dist  # box-filtered coverage of a streak of width wd
                if c <= 0.0:
                    continue
                if c > 1.0:
                    c = 1.0
                a = al * c
                out[y, x] = (1.0 - a) * out[y, x] + a * e
                cover[y, x] = 1.0 - (1.0 - cover[y, x]) * (1.0 - a)


class RainScene(Scene):
    """Rain streaks over a background scene; ground truth: clean radiance and rain mask.

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        frames: alias of ``n_frames``.
        background: the scene behind the rain (default: a slowly drifting natural texture).
        density: mean number of drops in view at any time.
        length: (min, max) streak length in pixels.
        width: (min, max) streak width in pixels.
        angle: mean angle of fall from the vertical, degrees (positive: towards +x); spread +-5 degrees.
        speed: (min, max) speed in pixels per tick (at 20 kHz, 0.1 px/tick = 2000 px/s).
        opacity: (min, max) peak coverage of a drop.
        brightness: drop radiance as a multiple of the mean background radiance (Garg-Nayar: bright).
        keyframe_interval: ticks between rendered frames (1: every readout tick).
    """

    name = "rain"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0,
                 background: Scene | None = None, density: float = 60.0, length: tuple[float, float] = (6.0, 20.0),
                 width_px: tuple[float, float] = (1.0, 2.5), angle: float = 10.0,
                 speed: tuple[float, float] = (0.1, 0.3), opacity: tuple[float, float] = (0.5, 0.9),
                 brightness: float = 1.6, keyframe_interval: float = 1.0,
                 *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        if density < 0 or min(speed) <= 0 or min(length) < 0 or min(width_px) <= 0:
            raise SceneInputError("density must be >= 0, speeds and widths > 0, lengths >= 0")
        self.background = background or TextureMotion(height, width, self.n_frames, fps, seed=seed,
                                                       velocity=(0.005, 0.0), low=0.05, high=0.7)
        if (self.background.height, self.background.width) != (height, width):
            raise SceneInputError(f"background is {self.background.height}x{self.background.width}, the rain scene "
                                  f"{height}x{width}; build the background with the same height and width")
        self.density, self.length, self.width_px = float(density), tuple(length), tuple(width_px)
        self.angle = float(angle)
        self.speed, self.opacity, self.brightness = tuple(speed), tuple(opacity), float(brightness)
        self.keyframe_interval = float(keyframe_interval)
        rng = np.random.default_rng([self.seed, 0x2A1])
        ang = np.deg2rad(self.angle)
        dy = math.cos(ang)
        transit = (height + max(length) + 2) / min(speed) / max(dy, 0.2)
        span_x = width + height * abs(math.tan(ang)) + 2 * max(length)
        # drops in view ~ rate * mean transit time; Poisson number of arrivals over [-transit, frames)
        mean_transit = (height + np.mean(length)) / np.mean(speed) / max(dy, 0.2)
        rate = self.density / mean_transit
        n = rng.poisson(rate * (self.n_frames + transit))
        t0 = rng.uniform(-transit, self.n_frames, n)
        x0 = rng.uniform(-span_x / 2 + width / 2 - height * math.tan(ang) / 2, span_x / 2 + width / 2, n) \
            if n else np.zeros(0)
        a = np.deg2rad(self.angle + rng.uniform(-5, 5, n))
        mean_bg = float(self.background.radiance(0.0).mean())
        self.drops = np.stack([x0, np.full(n, -1.0), t0, np.sin(a), np.cos(a), rng.uniform(*speed, n),
                               rng.uniform(*length, n), rng.uniform(*width_px, n), rng.uniform(*opacity, n),
                               np.full(n, self.brightness * mean_bg)], axis=1) if n else np.zeros((0, 10))
        # the head starts just above the frame at t0
        #: the background is sampled like the simulator would sample it on its own
        self._bg_step = float(getattr(self.background, "keyframe_interval", 1.0))
        self._bg_cache: tuple[float, np.ndarray] | None = None
        self._bg_keys: dict[int, np.ndarray] = {}

    def params(self) -> dict:
        return {**super().params(), "background": self.background.params(), "density": self.density,
                "length": list(self.length), "width_px": list(self.width_px), "angle": self.angle,
                "speed": list(self.speed), "opacity": list(self.opacity), "brightness": self.brightness,
                "n_drops": int(len(self.drops))}

    def clean(self, t: float) -> np.ndarray:
        """Rain-free background radiance at ``t`` (ground truth for deraining).

        The background is sampled every ``background.keyframe_interval`` ticks and linearly interpolated in
        between, exactly as the simulator would integrate it on its own.
        """
        if self._bg_cache is not None and self._bg_cache[0] == t:
            return self._bg_cache[1]
        step = self._bg_step
        k = math.floor(t / step)
        f0 = self._bg_key(k)
        wgt = (t - k * step) / step
        bg = f0 if wgt == 0 else (f0 + np.float32(wgt) * (self._bg_key(k + 1) - f0)).astype(np.float32)
        self._bg_cache = (t, bg)
        return bg

    def _bg_key(self, k: int) -> np.ndarray:
        keys = self._bg_keys
        if k not in keys:
            if len(keys) >= 2:
                keys.pop(min(keys))
            keys[k] = np.asarray(self.background.radiance(k * self._bg_step), np.float32)
        return keys[k]

    def _visible(self, t: float) -> np.ndarray:
        d = self.drops
        if not len(d):
            return d
        travel = d[:, 5] * (t - d[:, 2])
        hy = d[:, 1] + d[:, 4] * travel
        return d[(travel >= 0) & (hy - d[:, 6] * d[:, 4] < self.height + 2)]

    def render(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """(rainy radiance, rain coverage in [0, 1]) at ``t``."""
        out = self.clean(t).copy()
        cover = np.zeros_like(out)
        _render_drops(self._visible(t), float(t), out, cover)
        return out, cover

    def radiance(self, t: float) -> np.ndarray:
        return self.render(t)[0]

    def rain_mask(self, t: float) -> np.ndarray:
        """(H, W) bool: pixels any drop covers at ``t`` (exactly where rain changes the radiance)."""
        return self.rain_coverage(t) > 0

    def rain_coverage(self, t: float) -> np.ndarray:
        """(H, W) float32 coverage ``alpha`` of the rain at ``t``.

        The coverage depends on the drops only, so the background is not sampled (composited on zeros).
        """
        cover = np.zeros((self.height, self.width), np.float32)
        _render_drops(self._visible(t), float(t), np.zeros_like(cover), cover)
        return cover
