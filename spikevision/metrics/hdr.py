"""HDR metrics: fold-error rate of unwrapped counts, PSNR on linear HDR, PSNR-mu and SSIM after tone mapping.

Conventions of the modulo-unwrapping literature (docs/algorithms.md, HDR by modulo unwrapping):
linear images are normalised by the ground-truth maximum; PSNR-mu compares
``T(x) = log(1 + mu x) / log(1 + mu)`` (mu = 5000) of both normalised images. Every metric takes
an optional validity mask (True = counted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import to_numpy
from .image import psnr, ssim

__all__ = ["fold_error_rate", "psnr_linear", "psnr_mu", "ssim_mu", "modulo_bandwidth"]


def _masked(x: Any, y: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = to_numpy(x).astype(np.float64), to_numpy(y).astype(np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}; compare images of the same size")
    if mask is not None:
        m = np.broadcast_to(to_numpy(mask).astype(bool), x.shape)
        if not m.any():
            raise ValueError("the validity mask selects no pixel; pass a mask with at least one True")
        return x[m], y[m]
    return x.reshape(-1), y.reshape(-1)


def fold_error_rate(counts: Any, true_counts: Any, mask: Any = None) -> float:
    """Fraction of (interval, pixel) pairs whose unwrapped increment differs from the truth.

    Args:
        counts, true_counts: (S, H, W) unwrapped counter values (any common offset; increments are compared).
        mask: optional (H, W) or (S - 1, H, W) bool of the increments to count.
    """
    a, b = to_numpy(counts).astype(np.int64), to_numpy(true_counts).astype(np.int64)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"counts must both be (S, H, W); got {a.shape} and {b.shape}")
    if len(a) < 2:
        raise ValueError("fold errors need at least two reads (one interval)")
    wrong = np.diff(a, axis=0) != np.diff(b, axis=0)
    if mask is not None:
        m = np.broadcast_to(to_numpy(mask).astype(bool), wrong.shape)
        if not m.any():
            raise ValueError("the validity mask selects no increment; pass a mask with at least one True")
        return float(wrong[m].mean())
    return float(wrong.mean())


def _norm(x: Any, truth: Any, mask: Any) -> tuple[np.ndarray, np.ndarray]:
    x, t = _masked(x, truth, mask)
    top = float(t.max())
    if not top > 0:
        raise ValueError("the ground truth is all zero; PSNR normalised by its maximum is undefined")
    return x / top, t / top


def psnr_linear(hdr: Any, truth: Any, mask: Any = None) -> float:
    """PSNR (dB) of linear radiance, both normalised by the ground-truth maximum (estimates clipped to [0, 1])."""
    x, t = _norm(hdr, truth, mask)
    return psnr(np.clip(x, 0, 1)[None], t[None], data_range=1.0)


def psnr_mu(hdr: Any, truth: Any, mask: Any = None, mu: float = 5000.0) -> float:
    """PSNR (dB) after mu-law tone mapping of both images normalised by the ground-truth maximum."""
    x, t = _norm(hdr, truth, mask)
    T = lambda v: np.log1p(mu * np.clip(v, 0, 1)) / np.log1p(mu)  # noqa: E731
    return psnr(T(x)[None], T(t)[None], data_range=1.0)


def ssim_mu(hdr: Any, truth: Any, mu: float = 5000.0) -> float:
    """SSIM of the mu-law tone-mapped images (normalised by the ground-truth maximum); (H, W) or (H, W, 3)."""
    x, t = to_numpy(hdr).astype(np.float64), to_numpy(truth).astype(np.float64)
    if x.shape != t.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {t.shape}")
    top = float(t.max())
    T = lambda v: np.log1p(mu * np.clip(v / top, 0, 1)) / np.log1p(mu)  # noqa: E731
    if x.ndim == 3:
        return float(np.mean([ssim(T(x[..., c]), T(t[..., c])) for c in range(x.shape[2])]))
    return ssim(T(x), T(t))


def modulo_bandwidth(height: int, width: int, reads_per_second: float, bits: int, fps: float) -> dict:
    """Output bandwidth (bits/s) of B-bit modulo reads vs the raw binary spike stream of the same sensor."""
    px = float(height) * float(width)
    mod = px * float(bits) * float(reads_per_second)
    raw = px * float(fps)
    return {"modulo_bps": mod, "spikes_bps": raw, "ratio": mod / raw}
