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


@numba.njit(cache=True, nogil=True)
def _median(buf, n):  # pragma: no cover - compiled
    """Median of buf[:n] (sorted in place by insertion)."""
    for i in range(1, n):
        v = buf[i]
        q = i
        while q > 0 and buf[q - 1] > v:
            buf[q] = buf[q - 1]
            q -= 1
        buf[q] = v
    if n % 2:
        return buf[n // 2]
    return (buf[n // 2 - 1] + buf[n // 2]) / 2.0


@numba.njit(parallel=True, cache=True, nogil=True)
def _combine(values, center, k, floor, rel, out, mask):  # pragma: no cover - compiled
    n, p = values.shape
    for j in numba.prange(p):
        buf = np.empty(n, np.float64)
        for i in range(n):
            buf[i] = np.float64(values[i, j])
        m = _median(buf, n)
        for i in range(n):
            buf[i] = abs(np.float64(values[i, j]) - m)
        mad = _median(buf, n)
        tol = max(k * 1.4826 * mad, floor) + rel * m
        s = 0.0
        c = 0
        for i in range(n):
            v = np.float64(values[i, j])
            if abs(v - m) <= tol:
                s += v
                c += 1
        out[j] = s / c if c else m
        mask[j] = center >= 0 and abs(np.float64(values[center, j]) - m) > tol


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
