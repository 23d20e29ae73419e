"""Seeded procedural textures: periodic, natural-looking (1/f spectrum) images in [0, 1].

Natural images have a power spectrum close to ``1/f^2`` (Field 1987). A texture
here is the sum of a ``1/f``-amplitude random-phase field (smooth shading) and
a sharpened second field (``tanh`` of a band-limited field: object-like
contours with strong edges), so optical flow and stereo matchers have both
texture and edges to work with. Textures are periodic (built by FFT), so
sampling with wrap-around has no seams.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fractal_noise", "natural_texture", "sample_bilinear"]


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


def natural_texture(size: int | tuple[int, int] = 512, seed: int = 0, edges: float = 0.5) -> np.ndarray:
    """A periodic (H, W) float32 texture in [0, 1]: 1/f shading plus ``edges`` weight of sharp contours."""
    base = fractal_noise(size, beta=1.0, seed=seed)
    shapes = np.tanh(4.0 * fractal_noise(size, beta=1.6, seed=seed + 7919, fmin=2.0))
    t = (1.0 - edges) * base / 3.0 + edges * shapes
    lo, hi = np.percentile(t, [0.5, 99.5])
    return np.clip((t - lo) / (hi - lo + 1e-12), 0.0, 1.0).astype(np.float32)


def sample_bilinear(texture: np.ndarray, x: np.ndarray, y: np.ndarray, wrap: bool = True) -> np.ndarray:
    """Sample ``texture`` at float coordinates (x = column, y = row) by bilinear interpolation.

    With ``wrap`` the texture repeats (periodic); otherwise coordinates are clamped to the border.
    """
    import cv2

    border = cv2.BORDER_WRAP if wrap else cv2.BORDER_REPLICATE
    tex = np.asarray(texture, dtype=np.float32)
    if wrap:
        # cv2.remap's wrap is exact only near the texture; reduce coordinates first (float64).
        h, w = tex.shape[:2]
        x = np.mod(x, w)
        y = np.mod(y, h)
    return cv2.remap(tex, np.asarray(x, np.float32), np.asarray(y, np.float32), interpolation=cv2.INTER_LINEAR,
                     borderMode=border)
