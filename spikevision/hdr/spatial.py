"""Spatial unwrapping: least squares on wrapped gradients (Ghiglia & Romero 1994), solved exactly by a 2-D DCT.

For a modulo image ``w = Phi mod L`` the least-absolute-remainder (LAR) property (Itoh 1982)
gives ``R_L(D w) = D Phi`` for any integer difference ``D`` wherever ``|D Phi| < L/2``. The
least-squares field whose gradients best match the wrapped gradients solves a Poisson equation
with Neumann boundaries, diagonalised by the DCT-II (``scipy.fft.dctn``; ``cupyx.scipy.fft`` on a
GPU). The congruence step ``Phi = w + L round((Phi_ls - w) / L)`` then restores integer folds
(docs/algorithms.md, HDR by modulo unwrapping). Use it where temporal information is missing or
ambiguous: single reads, or the pixels the hierarchical method flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_namespace
from ._reference import lar

__all__ = ["wrapped_gradients", "poisson_dct", "spatial_unwrap", "lar"]


def wrapped_gradients(w: Any, L: int) -> tuple[Any, Any]:
    """LAR-wrapped forward differences (gx, gy), each (H, W) float64 with a zero last column / row."""
    xp = get_namespace(w)
    w = w.astype(xp.float64)
    gx = xp.zeros_like(w)
    gy = xp.zeros_like(w)
    gx[:, :-1] = w[:, 1:] - w[:, :-1]
    gy[:-1, :] = w[1:, :] - w[:-1, :]
    return gx - L * xp.floor(gx / L + 0.5), gy - L * xp.floor(gy / L + 0.5)


def poisson_dct(gx: Any, gy: Any) -> Any:
    """The least-squares integral ``phi`` (mean 0) of a gradient field: argmin |Dx phi - gx|^2 + |Dy phi - gy|^2.

    ``gx``/``gy`` are forward differences with a zero last column / row (the Neumann boundary). Solved
    exactly by the DCT-II of the divergence (Ghiglia & Romero 1994).
    """
    xp = get_namespace(gx)
    if xp is np:
        from scipy.fft import dctn, idctn
    else:  # pragma: no cover - GPU
        from cupyx.scipy.fft import dctn, idctn
    H, W = gx.shape
    rho = gx.copy()
    rho[:, 1:] -= gx[:, :-1]
    rho += gy
    rho[1:, :] -= gy[:-1, :]
    r = dctn(rho, type=2, norm="ortho")
    i = xp.arange(H, dtype=xp.float64)[:, None]
    j = xp.arange(W, dtype=xp.float64)[None, :]
    denom = 2 * xp.cos(np.pi * i / H) + 2 * xp.cos(np.pi * j / W) - 4
    denom[0, 0] = 1.0
    r = r / denom
    r[0, 0] = 0.0
    return idctn(r, type=2, norm="ortho")


def spatial_unwrap(w: Any, L: int, *, anchor: Any = None, known: Any = None) -> Any:
    """Unwrap one modulo image ``w`` (H, W) spatially; returns int64 values congruent to ``w`` modulo ``L``.

    Args:
        w: (H, W) integer modulo image (values in [0, L)).
        L: the modulus.
        anchor: optional (H, W) values already known at the ``known`` pixels; they fix the free constant of
            the least-squares solution and are kept as they are. Without it the darkest tenth of the
            solution is taken to have no fold.
        known: (H, W) bool mask of the pixels where ``anchor`` holds.
    """
    xp = get_namespace(w)
    wf = w.astype(xp.float64)
    phi = poisson_dct(*wrapped_gradients(wf, L))
    if anchor is not None and known is not None and bool(known.any()):
        c = xp.median((anchor.astype(xp.float64) - phi)[known])
    else:
        low = phi <= xp.percentile(phi, 10)  # robust: the darkest tenth of the solution has no fold
        c = xp.median((wf - phi)[low])
    k = xp.floor((phi + c - wf) / L + 0.5)
    out = (wf + L * k).astype(xp.int64)
    if anchor is not None and known is not None:
        out = xp.where(known, anchor.astype(xp.int64), out)
    return out
