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


def _svt(xp, a, tau: float):
    """Singular value thresholding of a tall (m, n) matrix through its (n, n) Gram matrix (m >> n: O(m n^2)).

    ``A = U S V^T``: ``A^T A = V S^2 V^T``, so ``U S' V^T = A V diag(S'/S) V^T`` with ``S' = max(S - tau, 0)``.
    """
    if a.shape[0] < a.shape[1]:
        return _svt(xp, a.T, tau).T
    evals, v = xp.linalg.eigh(a.T @ a)
    sig = xp.sqrt(xp.maximum(evals, 0.0))
    shrink = xp.where(sig > tau, (sig - tau) / xp.where(sig > 0, sig, 1.0), 0.0)
    return a @ ((v * shrink) @ v.T)


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
    gram = x.T @ x if m >= n else x @ x.T
    norm_two = float(xp.sqrt(xp.linalg.eigvalsh(gram).max()))   # the largest singular value
    y = x / max(norm_two, float(xp.abs(x).max()) / lam)
    mu, rho = 1.25 / norm_two, 1.5
    mu_bar = mu * 1e7
    s = xp.zeros_like(x)
    low = xp.zeros_like(x)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        low = _svt(xp, x - s + y / mu, 1.0 / mu)
        t = x - low + y / mu
        s = xp.sign(t) * xp.maximum(xp.abs(t) - lam / mu, 0.0)
        z = x - low - s
        y = y + mu * z
        mu = min(mu * rho, mu_bar)
        if float(xp.linalg.norm(z)) <= tol * norm_fro:
            break
    return low, s, it
