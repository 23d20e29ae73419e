"""Rectified stereo: textured fronto-parallel planes at known depths, seen by a left/right camera pair.

A point at depth ``Z`` has disparity ``d = f B / Z`` (pixels; ``f`` focal length
in pixels, ``B`` baseline in metres) and appears at column ``x - d`` in the right
image when it is at column ``x`` in the left image (same row). Each layer is a
plane with its own texture and shape (the background fills the frame); layers
may move sideways in the image at constant velocity. Everything is evaluated
analytically per pixel, so disparity, depth and occlusion are exact.
"""

from __future__ import annotations

import numba
import numpy as np

from ..inputs import SceneInputError
from ..texture import _bilinear, natural_texture
from .base import Scene, keyframe_interval_for

__all__ = ["StereoScene", "StereoView"]


@numba.njit(cache=True, nogil=True)
def _render(tex, layers, t, shift_sign, h, w, out, disp, layer_id):  # pragma: no cover - compiled
    """layers: (n, 11) rows [kind, cx, cy, sx, sy, vx, vy, d, tex_index, low, high]; kind 0 = full plane,
    1 = rect, 2 = disc; a layer's radiance is low + (high - low) * texture.
    shift_sign 0 renders the left view, 1 the right view (a layer point at left x appears at x - d)."""
    n = layers.shape[0]
    for y in range(h):
        for x in range(w):
            val = 0.0
            dd = 0.0
            lid = -1
            for j in range(n):
                kind = layers[j, 0]
                d = layers[j, 7]
                px = x + shift_sign * d - (layers[j, 1] + layers[j, 5] * t)
                py = y - (layers[j, 2] + layers[j, 6] * t)
                inside = True
                if kind == 1:
                    inside = abs(px) <= layers[j, 3] and abs(py) <= layers[j, 4]
                elif kind == 2:
                    inside = (px / layers[j, 3]) ** 2 + (py / layers[j, 4]) ** 2 <= 1.0
                if inside:
                    k = int(layers[j, 8])
                    lo = layers[j, 9]
                    val = lo + (layers[j, 10] - lo) * _bilinear(tex[k], px + 37.0 * k, py + 11.0 * k, True)
                    dd = d
                    lid = j
            out[y, x] = val
            disp[y, x] = dd
            layer_id[y, x] = lid


class StereoScene(Scene):
    """Left/right views of textured planes at known depths; ground truth: left disparity, depth, occlusion.

    Args:
        height, width, n_frames, fps, seed: see :class:`~.base.Scene`.
        frames: alias of ``n_frames``.
        focal: focal length in pixels (default: the SpikeStereoNet synthetic set, 289.74).
        baseline: baseline in metres (0.08).
        background_depth: depth of the background plane (m).
        n_objects: number of rectangles/discs in front of it.
        depth_range: (near, far) depths of the objects (m).
        speed: maximum sideways speed of the objects (px/tick); 0 for a static scene.
        integer_disparity: round every layer's disparity to whole pixels (depth adjusted to match).
        low, high: linear radiance of texture values 0 and 1.
    """

    name = "stereo"

    def __init__(self, height: int = 250, width: int = 400, n_frames: int = 2000, fps: float = 20000.0,
                 seed: int = 0,
                 focal: float = 289.74, baseline: float = 0.08, background_depth: float = 6.0, n_objects: int = 4,
                 depth_range: tuple[float, float] = (0.8, 3.0), speed: float = 0.01,
                 integer_disparity: bool = False, low: float = 0.05, high: float = 1.0,
                 *, frames: int | None = None):
        super().__init__(height, width, n_frames, fps, seed, frames=frames)
        if focal <= 0 or baseline <= 0 or background_depth <= 0 or min(depth_range) <= 0:
            raise SceneInputError("focal, baseline and depths must be positive")
        self.focal, self.baseline, self.speed = float(focal), float(baseline), float(speed)
        self.low, self.high, self.integer_disparity = float(low), float(high), bool(integer_disparity)
        rng = np.random.default_rng([self.seed, 0x57E2])
        fb = self.focal * self.baseline
        depths = np.sort(rng.uniform(min(depth_range), max(depth_range), n_objects))[::-1]
        rows = [[0, 0, 0, 0, 0, 0, 0, fb / background_depth, 0, low, high]]
        for j, z in enumerate(depths):
            kind = 1 + (j % 2)
            sx, sy = rng.uniform(0.08, 0.2) * width, rng.uniform(0.12, 0.3) * height
            cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.25, 0.75) * height
            ang = rng.uniform(0, 2 * np.pi)
            # each object has its own brightness and contrast within [low, high]
            lo_j, hi_j = np.sort(rng.uniform(low, high, 2))
            hi_j = max(hi_j, lo_j + 0.3 * (high - low))
            rows.append([kind, cx, cy, sx, sy, speed * np.cos(ang), speed * np.sin(ang), fb / z, j + 1, lo_j,
                         min(hi_j, high)])
        self.layers = np.array(rows, dtype=np.float64)
        if integer_disparity:
            self.layers[:, 7] = np.maximum(1.0, np.round(self.layers[:, 7]))
        self.textures = np.stack([natural_texture(256, seed=self.seed * 101 + j) for j in range(n_objects + 1)])
        self.keyframe_interval = keyframe_interval_for(speed)

    def params(self) -> dict:
        return {**super().params(), "focal": self.focal, "baseline": self.baseline, "speed": self.speed,
                "integer_disparity": self.integer_disparity, "low": self.low, "high": self.high,
                "layers": self.layers.tolist()}

    def _render(self, t: float, right: bool):
        h, w = self.height, self.width
        out = np.empty((h, w), np.float32)
        disp = np.empty((h, w), np.float32)
        lid = np.empty((h, w), np.int32)
        _render(self.textures, self.layers, float(t), 1.0 if right else 0.0, h, w, out, disp, lid)
        return out, disp, lid

    def radiance(self, t: float) -> np.ndarray:
        """Left-view radiance (the reference view)."""
        return self._render(t, False)[0]

    def radiance_right(self, t: float) -> np.ndarray:
        """Right-view radiance."""
        return self._render(t, True)[0]

    def view(self, side: str) -> StereoView:
        """The left or right camera as a scene of its own (pass it to ``simulate``)."""
        if side not in ("left", "right"):
            raise SceneInputError(f"side must be 'left' or 'right', got {side!r}")
        return StereoView(self, side)

    def disparity(self, t: float = 0.0) -> np.ndarray:
        """Left disparity (H, W) float32 in pixels (positive: the right image sees the point at x - d)."""
        return self._render(t, False)[1]

    def depth(self, t: float = 0.0) -> np.ndarray:
        """Left depth (H, W) float32 in metres, ``f B / d``."""
        return (self.focal * self.baseline / self.disparity(t)).astype(np.float32)

    def occlusion(self, t: float = 0.0) -> np.ndarray:
        """(H, W) bool: left pixels whose surface point is hidden or outside the right image."""
        _, disp, lid = self._render(t, False)
        h, w = self.height, self.width
        # the right view's front layer at the continuous position x - d, evaluated per layer shift
        visible = np.zeros((h, w), bool)
        xs = np.arange(w)[None, :] - disp
        for j in np.unique(lid):
            sel = lid == j
            visible[sel] = _right_layer_at(self, t, xs, sel) == j
        return ~visible | (xs < -0.5)


def _right_layer_at(scene: StereoScene, t: float, xs: np.ndarray, sel: np.ndarray) -> np.ndarray:
    """Front-most layer id of the right view at continuous columns ``xs[sel]`` (rows from ``sel``)."""
    yy = np.nonzero(sel)[0].astype(np.float64)
    xr = xs[sel].astype(np.float64)
    rid = np.full(xr.shape, -1, np.int64)
    for j, row in enumerate(scene.layers):
        kind, cx, cy, sx, sy, vx, vy, d = row[:8]
        px = xr + d - (cx + vx * t)
        py = yy - (cy + vy * t)
        if kind == 0:
            inside = np.ones(xr.shape, bool)
        elif kind == 1:
            inside = (np.abs(px) <= sx) & (np.abs(py) <= sy)
        else:
            inside = (px / sx) ** 2 + (py / sy) ** 2 <= 1.0
        rid[inside] = j
    return rid


class StereoView(Scene):
    """One camera of a :class:`StereoScene` (a scene whose radiance is that camera's view)."""

    def __init__(self, stereo: StereoScene, side: str):
        super().__init__(stereo.height, stereo.width, stereo.n_frames, stereo.fps, stereo.seed)
        self.stereo, self.side = stereo, side
        self.name = f"stereo_{side}"
        self.keyframe_interval = stereo.keyframe_interval

    def radiance(self, t: float) -> np.ndarray:
        return self.stereo.radiance(t) if self.side == "left" else self.stereo.radiance_right(t)

    def params(self) -> dict:
        return {**self.stereo.params(), "view": self.side}
