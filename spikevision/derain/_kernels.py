"""The robust temporal combination of block counts, per pixel: numba kernel and its NumPy/CuPy reference.

Given ``N`` block values per pixel (spike counts of blocks of ``B`` frames, or
motion-aligned counts), the rain-free count is the mean of the blocks within
``tol`` of the median, with a Poisson-like tolerance in count units::

    m   = median(values)
    mad = median(|values - m|)                       (the pixel's own temporal noise, robust to the rain)
    tol = max(k * 1.4826 * mad, floor) + rel * m
    keep_i = |values_i - m| <= tol          (the median always has a kept neighbour; else m itself)
    clean  = sum(values_i * keep_i) / sum(keep_i)
    rain   = |values_center - m| > tol

A drop brightens (or, over a bright background, darkens) a pixel for its transit
time, so it shifts the few blocks it overlaps far from the median and they are
trimmed; the remaining blocks average their quantisation noise away.
Both implementations compute in float64 in the same order: results are identical.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from ..backend import get_namespace

__all__ = ["combine", "combine_reference"]


CHUNK = 512  # pixels per vectorised pass (the scratch rows stay in L1/L2)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _sort_rows(buf, n, w):  # pragma: no cover - compiled
    """Sort each column of buf[:n, :w] by odd-even transposition (a sorting network: rows of
    compare-exchanges that vectorise along the pixels)."""
    for r in range(n):
        for i in range(r % 2, n - 1, 2):
            a = buf[i]
            b = buf[i + 1]
            for j in range(w):
                x = a[j]
                y = b[j]
                a[j] = min(x, y)
                b[j] = max(x, y)


@numba.njit(cache=True, nogil=True)
def _combine_range(values, center, k, floor, rel, out, mask, j0, j1):  # pragma: no cover - compiled
    n = values.shape[0]
    srt = np.empty((n, CHUNK), np.float64)
    med = np.empty(CHUNK, np.float64)
    tol = np.empty(CHUNK, np.float64)
    for c0 in range(j0, j1, CHUNK):
        w = min(CHUNK, j1 - c0)
        for i in range(n):
            for j in range(w):
                srt[i, j] = values[i, c0 + j]
        _sort_rows(srt, n, w)
        for j in range(w):
            if n % 2:
                med[j] = srt[n // 2, j]
            else:
                med[j] = (srt[n // 2 - 1, j] + srt[n // 2, j]) / 2.0
        for i in range(n):
            for j in range(w):
                srt[i, j] = abs(np.float64(values[i, c0 + j]) - med[j])
        _sort_rows(srt, n, w)
        for j in range(w):
            mad = srt[n // 2, j] if n % 2 else (srt[n // 2 - 1, j] + srt[n // 2, j]) / 2.0
            tol[j] = max(k * 1.4826 * mad, floor) + rel * med[j]
        for j in range(w):
            m = med[j]
            t = tol[j]
            s = 0.0
            cnt = 0
            for i in range(n):
                v = np.float64(values[i, c0 + j])
                if abs(v - m) <= t:
                    s += v
                    cnt += 1
            out[c0 + j] = s / cnt if cnt else m
            mask[c0 + j] = center >= 0 and abs(np.float64(values[center, c0 + j]) - m) > t


@numba.njit(parallel=True, cache=True, nogil=True)
def _combine(values, center, k, floor, rel, out, mask):  # pragma: no cover - compiled
    p = values.shape[1]
    chunks = max(1, min(64, p // 8192))
    for c in numba.prange(chunks):
        _combine_range(values, center, k, floor, rel, out, mask, c * p // chunks, (c + 1) * p // chunks)


def combine_reference(values, center: int, k: float = 2.0, floor: float = 1.5, rel: float = 0.05):
    """NumPy/CuPy reference: (N, P) block values -> (clean (P,) float64, rain (P,) bool). See the module."""
    xp = get_namespace(values)
    v = values.astype(xp.float64)
    m = xp.median(v, axis=0)
    mad = xp.median(xp.abs(v - m), axis=0)
    tol = xp.maximum(k * 1.4826 * mad, floor) + rel * m
    keep = xp.abs(v - m) <= tol
    c = keep.sum(axis=0)
    s = xp.where(keep, v, 0.0).sum(axis=0)
    clean = xp.where(c > 0, s / xp.maximum(c, 1), m)
    rain = xp.abs(v[center] - m) > tol if center >= 0 else xp.zeros(m.shape, bool)
    return clean, rain


def combine(values, center: int, k: float = 2.0, floor: float = 1.5, rel: float = 0.05):
    """(N, P) block values -> (clean (P,) float64, rain (P,) bool): numba for NumPy input, else the reference."""
    if get_namespace(values) is not np:
        return combine_reference(values, center, k, floor, rel)
    values = np.ascontiguousarray(values)
    out = np.empty(values.shape[1], np.float64)
    mask = np.empty(values.shape[1], np.bool_)
    _combine(values, int(center), float(k), float(floor), float(rel), out, mask)
    return out, mask
