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

import warnings

import numba
import numpy as np

from ..backend import get_namespace

__all__ = ["combine", "combine_counts", "combine_reference", "MAX_COUNT"]


CHUNK = 512  # pixels per vectorised pass (the scratch rows stay in L1/L2)


def sorting_network(n: int) -> np.ndarray:
    """Comparators (m, 2) of Batcher's odd-even merge sort for ``n`` values (19 for n=8, against 28
    for odd-even transposition); correct for any ``n`` (checked on all 0/1 inputs in the tests)."""
    pairs = []
    p = 1
    while p < n:
        k = p
        while k >= 1:
            for j in range(k % p, n - k, 2 * k):
                for i in range(min(k, n - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        pairs.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return np.array(pairs, np.int64).reshape(-1, 2)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _sort_rows(buf, net, w):  # pragma: no cover - compiled
    """Sort each column of buf[:, :w] by the comparators ``net`` (rows of compare-exchanges that
    vectorise along the pixels; any dtype: int16 rows take twice the pixels per instruction of float32)."""
    for c in range(net.shape[0]):
        a = buf[net[c, 0]]
        b = buf[net[c, 1]]
        for j in range(w):
            x = a[j]
            y = b[j]
            a[j] = min(x, y)
            b[j] = max(x, y)


@numba.njit(cache=True, nogil=True)
def _gather_sorted(values, rows, c0, w, srt, net):  # pragma: no cover - compiled
    """srt[i, :w] = values[rows[i], c0:c0 + w], then each column sorted."""
    for i in range(rows.shape[0]):
        src = values[rows[i], c0: c0 + w]
        row = srt[i]
        for j in range(w):
            row[j] = src[j]
    _sort_rows(srt, net, w)


@numba.njit(cache=True, nogil=True, fastmath=True)
def _median_row(srt, n, w, out):  # pragma: no cover - compiled
    """out[:w] = the median of each column of the sorted srt[:n, :w]."""
    lo, hi = srt[(n - 1) // 2], srt[n // 2]
    for j in range(w):
        out[j] = (lo[j] + hi[j]) * 0.5 if n % 2 == 0 else hi[j]


@numba.njit(cache=True, nogil=True)
def _combine_range(values, rows, center, k, floor, rel, out, mask, j0, j1, srt, net):  # pragma: no cover
    """Pixels [j0, j1) of the blocks ``values[rows]``; ``srt`` (n, CHUNK) is the sorting scratch: float32 is
    exact for integer counts (sorted values, medians and deviations are integers or halves), float64 for any."""
    n = rows.shape[0]
    med = np.empty(CHUNK, srt.dtype)  # in the scratch's precision: exact (integers or halves) in float32
    mad = np.empty(CHUNK, srt.dtype)
    tol = np.empty(CHUNK, np.float64)
    acc = np.empty(CHUNK, np.float64)
    cnt = np.empty(CHUNK, np.float64)
    for c0 in range(j0, j1, CHUNK):
        w = min(CHUNK, j1 - c0)
        _gather_sorted(values, rows, c0, w, srt, net)
        _median_row(srt, n, w, med)
        for i in range(n):  # absolute deviations, row by row (vectorises along the pixels)
            src = values[rows[i], c0: c0 + w]
            row = srt[i]
            for j in range(w):
                row[j] = abs(src[j] - med[j])
        _sort_rows(srt, net, w)
        _median_row(srt, n, w, mad)
        for j in range(w):
            tol[j] = max(k * 1.4826 * np.float64(mad[j]), floor) + rel * np.float64(med[j])
            acc[j] = 0.0
            cnt[j] = 0.0
        for i in range(n):  # trimmed sums in the order of the blocks (as the reference adds them)
            src = values[rows[i], c0: c0 + w]
            for j in range(w):
                v = src[j]
                keep = np.float64(abs(v - med[j])) <= tol[j]
                acc[j] += np.float64(v) if keep else 0.0
                cnt[j] += 1.0 if keep else 0.0
        for j in range(w):
            out[c0 + j] = acc[j] / cnt[j] if cnt[j] > 0 else np.float64(med[j])
        if center >= 0:
            src = values[rows[center], c0: c0 + w]
            for j in range(w):
                mask[c0 + j] = np.float64(abs(src[j] - med[j])) > tol[j]
        else:
            for j in range(w):
                mask[c0 + j] = False


@numba.njit(cache=True, nogil=True)
def _combine_counts_range(values, rows, center, k, floor, rel, scale, out, mask, j0, j1, srt, net):  # pragma: no cover
    """:func:`_combine_range` for int16 spike counts, in exact integer arithmetic at doubled scale.

    With ``m2 = 2 median`` (an integer) the doubled deviations ``d = |2 v - m2|`` are integers and
    ``4 MAD`` is the sum of their two middle values. ``tol`` is computed in float64 by the reference's
    formula, and ``|v - m| <= tol`` is exactly ``vlo <= v <= vhi`` with ``vlo = ceil((m2 - t2) / 2)``,
    ``vhi = floor((m2 + t2) / 2)``, ``t2 = floor(2 tol)``: the keep test, the trimmed sum and the mask
    run on int16 lanes, and the result is the reference's bit for bit. The image is written as
    ``float32(clip(clean * scale, 0, 1))``.
    """
    n = rows.shape[0]
    lo, hi = (n - 1) // 2, n // 2
    m2 = np.empty(CHUNK, np.int16)
    vlo = np.empty(CHUNK, np.int16)
    vhi = np.empty(CHUNK, np.int16)
    acc = np.empty(CHUNK, np.int32)
    cnt = np.empty(CHUNK, np.int16)
    for c0 in range(j0, j1, CHUNK):
        w = min(CHUNK, j1 - c0)
        _gather_sorted(values, rows, c0, w, srt, net)
        for j in range(w):
            m2[j] = srt[lo, j] + srt[hi, j]
        for i in range(n):  # doubled absolute deviations (written to stay in int16 lanes)
            src = values[rows[i], c0: c0 + w]
            row = srt[i]
            for j in range(w):
                d = np.int16(src[j] + src[j] - m2[j])
                row[j] = max(d, np.int16(-d))
        _sort_rows(srt, net, w)
        for j in range(w):
            mad = np.float64(srt[lo, j] + srt[hi, j]) * 0.25
            tol = max(k * 1.4826 * mad, floor) + rel * (np.float64(m2[j]) * 0.5)
            t2 = min(np.floor(2.0 * tol), 32767.0)
            vlo[j] = np.int16(np.ceil((np.float64(m2[j]) - t2) * 0.5))
            vhi[j] = np.int16(np.floor((np.float64(m2[j]) + t2) * 0.5))
            acc[j] = 0
            cnt[j] = 0
        for i in range(n):  # trimmed sums; the centre block's rejection is the rain mask
            src = values[rows[i], c0: c0 + w]
            for j in range(w):
                v = src[j]
                keep = (v >= vlo[j]) & (v <= vhi[j])
                acc[j] += np.int32(v) if keep else np.int32(0)
                cnt[j] += np.int16(1) if keep else np.int16(0)
            if i == center:
                for j in range(w):
                    v = src[j]
                    mask[c0 + j] = (v < vlo[j]) | (v > vhi[j])
        if center < 0:
            for j in range(w):
                mask[c0 + j] = False
        for j in range(w):
            c = cnt[j]
            clean = np.float64(acc[j]) / np.float64(max(c, 1))
            clean = clean if c > 0 else np.float64(m2[j]) * 0.5
            out[c0 + j] = np.float32(min(max(clean * scale, 0.0), 1.0))


#: stands in for a missing value while sorting (larger than any count; finite, as fastmath assumes)
MISSING = 1e30


@numba.njit(cache=True, nogil=True)
def _nth_valid(srt, m, j):  # pragma: no cover - compiled
    """The median of the m smallest values of sorted column j (the valid ones; missing ones sort last)."""
    return srt[m // 2, j] if m % 2 else (srt[m // 2 - 1, j] + srt[m // 2, j]) * 0.5


@numba.njit(cache=True, nogil=True)
def _combine_missing_range(values, valid, center, k, floor, rel, out, mask, j0, j1, srt, net):  # pragma: no cover
    """:func:`_combine_range` (float64) where ``valid[i, j]`` is False for a value that does not exist (a block
    whose aligned sample lies outside its frame): median, MAD and the trimmed mean use the valid values only."""
    n = values.shape[0]
    med = np.empty(CHUNK, np.float64)
    tol = np.empty(CHUNK, np.float64)
    nv = np.empty(CHUNK, np.int64)
    acc = np.empty(CHUNK, np.float64)
    cnt = np.empty(CHUNK, np.float64)
    for c0 in range(j0, j1, CHUNK):
        w = min(CHUNK, j1 - c0)
        for j in range(w):
            nv[j] = 0
        for i in range(n):
            for j in range(w):
                ok = valid[i, c0 + j]
                srt[i, j] = np.float64(values[i, c0 + j]) if ok else MISSING
                nv[j] += 1 if ok else 0
        _sort_rows(srt, net, w)
        for j in range(w):
            med[j] = _nth_valid(srt, nv[j], j) if nv[j] > 0 else 0.0
        for i in range(n):
            for j in range(w):
                srt[i, j] = abs(np.float64(values[i, c0 + j]) - med[j]) if valid[i, c0 + j] else MISSING
        _sort_rows(srt, net, w)
        for j in range(w):
            mad = _nth_valid(srt, nv[j], j) if nv[j] > 0 else 0.0
            tol[j] = max(k * 1.4826 * mad, floor) + rel * med[j]
            acc[j] = 0.0
            cnt[j] = 0.0
        for i in range(n):
            for j in range(w):
                v = np.float64(values[i, c0 + j])
                keep = valid[i, c0 + j] and abs(v - med[j]) <= tol[j]
                acc[j] += v if keep else 0.0
                cnt[j] += 1.0 if keep else 0.0
        for j in range(w):
            out[c0 + j] = acc[j] / cnt[j] if cnt[j] > 0 else med[j]
            mask[c0 + j] = (center >= 0 and valid[center, c0 + j]
                            and abs(np.float64(values[center, c0 + j]) - med[j]) > tol[j])


#: the largest spike count :func:`combine_counts` takes (its doubled deviations stay within int16)
MAX_COUNT = 8191


def combine_counts(values: np.ndarray, rows, center: int, k: float, floor: float, rel: float, scale: float,
                   out: np.ndarray, mask: np.ndarray) -> None:
    """The streaming fast path: int16 block counts ``values[rows]`` (each <= :data:`MAX_COUNT`) ->
    ``out`` (P,) float32 ``clip(clean * scale, 0, 1)`` and ``mask`` (P,) bool, equal to
    :func:`combine_reference` followed by the same scaling. Large images are split across threads."""
    rows = np.asarray(rows, np.int64)
    n, p = rows.shape[0], values.shape[1]
    args = (values, rows, int(center), float(k), float(floor), float(rel), float(scale), out, mask)
    _run_split(_combine_counts_range, args, n, p, np.int16)


def combine_reference(values, center: int, k: float = 2.0, floor: float = 1.5, rel: float = 0.05, valid=None):
    """NumPy/CuPy reference: (N, P) block values -> (clean (P,) float64, rain (P,) bool). See the module.

    ``valid`` (N, P) bool marks the values that exist (None: all): the others are left out of every statistic.
    """
    xp = get_namespace(values)
    v = values.astype(xp.float64)
    if valid is not None:
        v = xp.where(valid, v, xp.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN columns: nothing valid, median 0
            m = xp.nan_to_num(xp.nanmedian(v, axis=0))
            mad = xp.nan_to_num(xp.nanmedian(xp.abs(v - m), axis=0))
    else:
        m = xp.median(v, axis=0)
        mad = xp.median(xp.abs(v - m), axis=0)
    tol = xp.maximum(k * 1.4826 * mad, floor) + rel * m
    with np.errstate(invalid="ignore"):
        keep = xp.abs(v - m) <= tol   # a missing (NaN) value is never kept
    c = keep.sum(axis=0)
    s = xp.where(keep, v, 0.0).sum(axis=0)
    clean = xp.where(c > 0, s / xp.maximum(c, 1), m)
    with np.errstate(invalid="ignore"):
        rain = xp.abs(v[center] - m) > tol if center >= 0 else xp.zeros(m.shape, bool)
    return clean, rain


def combine(values, center: int, k: float = 2.0, floor: float = 1.5, rel: float = 0.05, integer: bool = False,
            rows=None, valid=None):
    """(N, P) block values -> (clean (P,) float64, rain (P,) bool): numba for NumPy input, else the reference.

    ``integer=True`` promises integer values below 2**23 (spike counts): the kernel then sorts in float32,
    with the same results, twice as many pixels per vector instruction. ``rows`` (NumPy only) selects and
    orders the blocks ``values[rows]`` without copying them (a ring buffer of block counts); ``center``
    indexes ``rows``. ``valid`` (N, P) bool marks the values that exist (motion-aligned samples from outside
    their frame do not; no ``rows`` then). The kernel releases the GIL; large images are split across threads.
    """
    if get_namespace(values) is not np:
        return combine_reference(values if rows is None else values[list(rows)], center, k, floor, rel, valid)
    if valid is not None:
        return _combine_missing(np.ascontiguousarray(values), np.ascontiguousarray(valid, np.bool_), center,
                                k, floor, rel)
    values = np.ascontiguousarray(values)
    rows = np.arange(values.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    n, p = rows.shape[0], values.shape[1]
    out = np.empty(p, np.float64)
    mask = np.empty(p, np.bool_)
    args = (values, rows, int(center), float(k), float(floor), float(rel), out, mask)
    _run_split(_combine_range, args, n, p, np.float32 if integer else np.float64)
    return out, mask


def _combine_missing(values, valid, center, k, floor, rel):
    n, p = values.shape
    out = np.empty(p, np.float64)
    mask = np.empty(p, np.bool_)
    args = (values, valid, int(center), float(k), float(floor), float(rel), out, mask)
    _run_split(_combine_missing_range, args, n, p, np.float64)
    return out, mask


def _run_split(kernel, args: tuple, n: int, p: int, dtype) -> None:
    """``kernel(*args, j0, j1, scratch, network)`` over pixels [0, p): in this thread, or split across the pool's
    threads for large images (each part with its own (n, CHUNK) scratch of ``dtype``)."""
    net = _network(n)
    parts = _threads() if p >= PARALLEL_PIXELS else 1
    if parts == 1:
        kernel(*args, 0, p, np.empty((n, CHUNK), dtype), net)
        return
    bounds = [(i * p // parts, (i + 1) * p // parts) for i in range(parts)]
    list(_pool().map(lambda ab: kernel(*args, ab[0], ab[1], np.empty((n, CHUNK), dtype), net), bounds))


_NETWORKS: dict[int, np.ndarray] = {}


def _network(n: int) -> np.ndarray:
    if n not in _NETWORKS:
        _NETWORKS[n] = sorting_network(n)
    return _NETWORKS[n]


#: images with at least this many pixels are split across threads (the kernel releases the GIL)
PARALLEL_PIXELS = 65536
_POOL = None


def _threads() -> int:
    return max(1, min(4, numba.config.NUMBA_NUM_THREADS))


def _pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(_threads(), thread_name_prefix="spikevision-derain")
    return _POOL
