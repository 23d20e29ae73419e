"""Robust PCA by the inexact augmented Lagrange multiplier method, on NumPy or CuPy.

Lin, Chen and Ma, "The augmented Lagrange multiplier method for exact recovery of
corrupted low-rank matrices" (2010, arXiv:1009.5055), algorithm 5; Candes et al.,
"Robust principal component analysis?" (J. ACM 2011) for ``lambda = 1/sqrt(max(m, n))``.
A short sequence of block images (one per column) splits into a low-rank
background ``L`` and a sparse rain layer ``S``: ``X = L + S``.
"""

from __future__ import annotations

from typing import Any

from ..backend import get_namespace

__all__ = ["rpca_ialm"]


def rpca_ialm(x: Any, lam: float | None = None, tol: float = 1e-5, max_iter: int = 200) -> tuple[Any, Any, int]:
    """Decompose ``x`` (m, n) into low-rank ``L`` plus sparse ``S``.

    Args:
        x: (m, n) float matrix (NumPy or CuPy).
        lam: weight of the sparse term (default ``1 / sqrt(max(m, n))``).
        tol: stop when ``||X - L - S||_F <= tol ||X||_F``.
        max_iter: iteration cap.

    Returns:
        ``(L, S, iterations)`` on the backend of ``x``.
    """
    xp = get_namespace(x)
    x = x.astype(xp.float64)
    m, n = x.shape
    lam = 1.0 / max(m, n) ** 0.5 if lam is None else float(lam)
    norm_fro = float(xp.linalg.norm(x))
    if norm_fro == 0:
        return xp.zeros_like(x), xp.zeros_like(x), 0
    norm_two = float(xp.linalg.norm(x, 2))
    y = x / max(norm_two, float(xp.abs(x).max()) / lam)
    mu, rho = 1.25 / norm_two, 1.5
    mu_bar = mu * 1e7
    s = xp.zeros_like(x)
    low = xp.zeros_like(x)
    it = 0
    for it in range(1, max_iter + 1):
        u, sig, vt = xp.linalg.svd(x - s + y / mu, full_matrices=False)
        sig = xp.maximum(sig - 1.0 / mu, 0.0)
        low = (u * sig) @ vt
        t = x - low + y / mu
        s = xp.sign(t) * xp.maximum(xp.abs(t) - lam / mu, 0.0)
        z = x - low - s
        y = y + mu * z
        mu = min(mu * rho, mu_bar)
        if float(xp.linalg.norm(z)) <= tol * norm_fro:
            break
    return low, s, it
