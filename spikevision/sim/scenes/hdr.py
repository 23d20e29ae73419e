"""High dynamic range scenes: deep shadows, bright light sources, >= 10^4:1 in linear radiance.

The radiance is built in the log domain: a natural texture spans
``texture_range`` decades, a shadow region darkens part of the frame by
``shadow`` decades, and light sources (soft discs) reach ``peak``. With the
default ``peak = 1.9`` and ``theta = 2`` the brightest pixels fire on ~95% of
ticks while the darkest fire a few times per second: the regime where a
free-running B-bit counter read every K ticks (the modulo camera of
docs/algorithms.md, HDR by modulo unwrapping) beats spike counting. Ground truth: the linear
radiance at any t and, from :func:`spikevision.sim.modulo.simulate_modulo`,
the exact fold counts.
"""

from __future__ import annotations

import numpy as np

from ..inputs import SceneInputError
from ..texture import natural_texture, sample_affine
from .base import Scene, keyframe_interval_for

__all__ = ["HDRScene"]


class HDRScene(Scene):
    """A scene spanning ``dynamic_range``:1 in radiance, static or with moving lights.

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        frames: alias of ``n_frames``.
        dynamic_range: ratio of the brightest to the darkest radiance (>= 1e4 by default 1e5).
        peak: radiance of the light sources.
        n_lights: number of light sources.
        moving: lights travel on circles and the texture pans (else everything is static).
        light_speed: angular speed of the lights in radians per tick.
        color: linear RGB radiance (H, W, 3): a smoothly tinted texture and warm/cool lamps (same luminance span).
    """

    name = "hdr"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0,
                 dynamic_range: float = 1e5, peak: float = 1.9, n_lights: int = 3, moving: bool = False,
                 light_speed: float = 2e-4, color: bool = False,
                 *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        if dynamic_range < 10 or peak <= 0:
            raise SceneInputError("dynamic_range must be >= 10 and peak > 0")
        self.dynamic_range, self.peak, self.moving = float(dynamic_range), float(peak), bool(moving)
        self.light_speed = float(light_speed) if moving else 0.0
        rng = np.random.default_rng([self.seed, 0x4D2])
        self.texture = natural_texture(512, seed=self.seed * 7 + 3)
        decades = np.log10(self.dynamic_range)
        self.texture_decades = min(2.0, decades / 2)
        self.shadow_decades = decades - self.texture_decades
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
        # a smooth diagonal shadow over part of the frame
        ramp = (xx / width * 0.8 + yy / height * 0.6 - 0.55) * 6
        self.shadow = (1 / (1 + np.exp(ramp))).astype(np.float32)  # 1 in the shadow, 0 outside
        self.lights = np.stack([rng.uniform(0.15, 0.85, n_lights) * width, rng.uniform(0.2, 0.8, n_lights) * height,
                                rng.uniform(0.04, 0.09, n_lights) * min(height, width),
                                rng.uniform(0.05, 0.15, n_lights) * min(height, width),
                                rng.uniform(0, 2 * np.pi, n_lights)], axis=1)
        self._grid = (xx, yy)
        self.color = bool(color)
        hue = 2 * np.pi * (xx / width * 0.7 + yy / height * 0.4)
        self._tint = np.stack([1 + 0.35 * np.cos(hue), 1 + 0.35 * np.cos(hue - 2.1), 1 + 0.35 * np.cos(hue + 2.1)],
                              axis=-1).astype(np.float32)
        self._lamp_tints = np.array([[1.0, 0.8, 0.55], [0.6, 0.85, 1.0], [1.0, 1.0, 0.9]], np.float32)
        base = self._base_log(0.0)
        self._lo, self._hi = float(base.min()), float(base.max())
        orbit = float(self.lights[:, 3].max()) if len(self.lights) else 0.0
        self.keyframe_interval = keyframe_interval_for(self.light_speed * orbit + (0.005 if moving else 0.0))

    def params(self) -> dict:
        return {**super().params(), "dynamic_range": self.dynamic_range, "peak": self.peak, "moving": self.moving,
                "light_speed": self.light_speed, "n_lights": int(len(self.lights)), "color": self.color}

    def light_positions(self, t: float) -> np.ndarray:
        """(n, 2) light centres (x, y) at ``t``."""
        cx, cy, _, orbit, phase = self.lights.T
        a = phase + self.light_speed * t
        return np.stack([cx + orbit * np.cos(a) * (self.light_speed > 0), cy + orbit * np.sin(a) *
                         (self.light_speed > 0)], axis=1)

    def _base_log(self, t: float) -> np.ndarray:
        shift = 0.005 * t if self.moving else 0.0
        tex = sample_affine(self.texture, np.array([[1.0, 0, shift], [0, 1.0, 0]]), self.height, self.width)
        return -self.texture_decades * (1 - tex) - self.shadow_decades * self.shadow

    def radiance(self, t: float) -> np.ndarray:
        # the lit texture spans exactly [peak / dynamic_range, peak / 2] at t = 0
        top = np.log10(self.peak / 2)
        bottom = np.log10(self.peak / self.dynamic_range)
        log_l = bottom + (self._base_log(t) - self._lo) / (self._hi - self._lo) * (top - bottom)
        lum = 10**log_l
        xx, yy = self._grid
        rgb = lum[..., None] * self._tint if self.color else None
        for i, ((px, py), r) in enumerate(zip(self.light_positions(t), self.lights[:, 2], strict=True)):
            d2 = ((xx - px) ** 2 + (yy - py) ** 2) / r**2
            lamp = self.peak * np.clip(1.5 - d2, 0, 1) ** 0.5 * (d2 < 1.5)
            lum = np.maximum(lum, lamp)
            if rgb is not None:
                rgb = np.maximum(rgb, lamp[..., None] * self._lamp_tints[i % 3])
        return (rgb if rgb is not None else lum).astype(np.float32)
