"""Seeded procedural textures: periodic, natural-looking (1/f spectrum) images in [0, 1], and samplers.

Natural images have a power spectrum close to ``1/f^2`` (Field 1987). A texture
here is the sum of a ``1/f``-amplitude random-phase field (smooth shading) and
a sharpened second field (``tanh`` of a band-limited field: object-like
contours with strong edges), so optical flow and stereo matchers have both
texture and edges to work with. Textures are periodic (built by FFT), so
sampling with wrap-around has no seams. Sampling is bilinear in float64
coordinates (no sub-pixel quantisation, unlike OpenCV's remap); it runs on one
core, since a frame is small and the simulator's parallel kernel owns the cores.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["fractal_noise", "natural_texture", "sample_bilinear", "sample_affine"]


def fractal_noise(size: int | tuple[int, int], beta: float = 1.0, seed: int = 0, fmin: float = 1.0) -> np.ndarray:
    """A periodic random field with amplitude spectrum ``1/f^beta``, normalised to zero mean, unit std."""
    h, w = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 0x7E27])
    fy = np.fft.fftfreq(h)[:, None] * h
    fx = np.fft.rfftfreq(w)[None, :] * w
    f = np.sqrt(fx**2 + fy**2)
    amp = np.where(f >= fmin, 1.0 / np.maximum(f, 1e-9) ** beta, 0.0)
    spec = amp * (rng.standard_normal(amp.shape) + 1j * rng.standard_normal(amp.shape))
    field = np.fft.irfft2(spec, s=(h, w))
    field -= field.mean()
    return field / (field.std() + 1e-12)


def natural_texture(size: int | tuple[int, int] = 512, seed: int = 0, edges: float = 0.45) -> np.ndarray:
    """A periodic (H, W) float32 texture in [0, 1]: 1/f shading plus ``edges`` weight of sharp contours."""
    base = fractal_noise(size, beta=1.0, seed=seed)
    shapes = np.tanh(3.0 * fractal_noise(size, beta=1.6, seed=seed + 7919, fmin=2.0))
    t = (1.0 - edges) * base / 2.5 + edges * shapes
    lo, hi = np.percentile(t, [0.5, 99.5])
    return np.clip((t - lo) / (hi - lo + 1e-12), 0.0, 1.0).astype(np.float32)


@numba.njit(cache=True, inline="always")
def _bilinear(tex, u, v, wrap):
    th, tw = tex.shape
    fu = math.floor(u)
    fv = math.floor(v)
    ax = u - fu
    ay = v - fv
    x0 = int(fu)
    y0 = int(fv)
    if wrap:
        if x0 < 0 or x0 >= tw:
            x0 %= tw
        if y0 < 0 or y0 >= th:
            y0 %= th
        x1 = x0 + 1 if x0 + 1 < tw else 0
        y1 = y0 + 1 if y0 + 1 < th else 0
    else:
        x1 = min(max(x0 + 1, 0), tw - 1)
        y1 = min(max(y0 + 1, 0), th - 1)
        x0 = min(max(x0, 0), tw - 1)
        y0 = min(max(y0, 0), th - 1)
    top = tex[y0, x0] * (1.0 - ax) + tex[y0, x1] * ax
    bot = tex[y1, x0] * (1.0 - ax) + tex[y1, x1] * ax
    return top * (1.0 - ay) + bot * ay


@numba.njit(cache=True, nogil=True)
def _sample_affine(tex, m, out, wrap):  # pragma: no cover - compiled
    h, w = out.shape
    for y in range(h):
        for x in range(w):
            u = m[0, 0] * x + m[0, 1] * y + m[0, 2]
            v = m[1, 0] * x + m[1, 1] * y + m[1, 2]
            out[y, x] = _bilinear(tex, u, v, wrap)


@numba.njit(cache=True, nogil=True)
def _sample_points(tex, u, v, out, wrap):  # pragma: no cover - compiled
    h, w = out.shape
    for y in range(h):
        for x in range(w):
            out[y, x] = _bilinear(tex, u[y, x], v[y, x], wrap)


def sample_affine(texture: np.ndarray, matrix: np.ndarray, height: int, width: int, wrap: bool = True) -> np.ndarray:
    """Bilinear samples of ``texture`` at ``(u, v) = matrix @ (x, y, 1)`` for every output pixel (x, y).

    Args:
        texture: (th, tw) float32 image.
        matrix: 2x3 affine map from output pixel (column x, row y) to texture coordinates (u, v).
        height, width: output size.
        wrap: texture repeats (True) or its border is extended (False).
    """
    out = np.empty((height, width), np.float32)
    _sample_affine(np.ascontiguousarray(texture, dtype=np.float32), np.asarray(matrix, np.float64).reshape(2, 3),
                   out, wrap)
    return out


def sample_bilinear(texture: np.ndarray, u: np.ndarray, v: np.ndarray, wrap: bool = True) -> np.ndarray:
    """Bilinear samples of ``texture`` at float coordinates (u = column, v = row), same shape as ``u``."""
    u = np.asarray(u, np.float64)
    v = np.asarray(v, np.float64)
    shape = u.shape
    u2, v2 = u.reshape(1, -1) if u.ndim != 2 else u, v.reshape(1, -1) if v.ndim != 2 else v
    out = np.empty(u2.shape, np.float32)
    _sample_points(np.ascontiguousarray(texture, dtype=np.float32), np.ascontiguousarray(u2),
                   np.ascontiguousarray(v2), out, wrap)
    return out.reshape(shape)
