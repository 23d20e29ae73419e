"""Spike-level metrics: firing-time precision/recall, inter-spike-interval error, rate-map error.

Spike trains are compared pixel by pixel against a reference (e.g. the clean twin of a simulated noisy
stream, same scene and seed). Firing-time matching follows the coincidence criterion used for spike
trains (Kistler, Gerstner & van Hemmen, Neural Computation 1997): a spike matches a reference spike of
the same pixel within +-``k`` ticks, each reference spike matched at most once (greedy in time order,
which is a maximum matching for an interval tolerance). Every function takes SpikeStreams or (T, H, W)
arrays of equal shape and an optional (H, W) bool ``mask`` of the pixels to score (e.g. excluding the
image border or known defects).

Example:
    >>> import numpy as np
    >>> from spikevision.metrics import spike_precision_recall
    >>> ref = np.zeros((10, 1, 1), np.uint8); ref[[2, 6]] = 1
    >>> out = np.zeros_like(ref); out[[3, 9]] = 1
    >>> spike_precision_recall(out, ref, k=1)["precision"]
    0.5
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from ..errors import FormatError

__all__ = ["spike_precision_recall", "isi_error", "rate_map_error"]


def _frames(x: Any) -> np.ndarray:
    from ..backend import to_numpy
    from ..stream import SpikeStream

    a = x.unpack() if isinstance(x, SpikeStream) else to_numpy(x)
    a = np.asarray(a)
    if a.ndim != 3:
        raise FormatError(f"spike metrics take (T, H, W) spikes or a SpikeStream, got shape {a.shape}")
    return a != 0


def _pair(spikes: Any, reference: Any, mask: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b = _frames(spikes), _frames(reference)
    if a.shape != b.shape:
        raise FormatError(f"spikes {a.shape} and reference {b.shape} differ in shape; compare the same frames "
                          f"of the same sensor (slice both to the same range)")
    t = a.shape[0]
    m = np.ones(a.shape[1:], bool) if mask is None else np.asarray(mask, dtype=bool)
    if m.shape != a.shape[1:]:
        raise FormatError(f"mask has shape {m.shape}, expected {a.shape[1:]} (one flag per pixel)")
    return a.reshape(t, -1)[:, m.ravel()], b.reshape(t, -1)[:, m.ravel()], m


@numba.njit(cache=True, nogil=True)
def _match(a, b, k):  # pragma: no cover - compiled
    t, p = a.shape
    matched = 0
    ta = np.empty(t, np.int64)
    tb = np.empty(t, np.int64)
    for j in range(p):
        na = 0
        nb = 0
        for i in range(t):
            if a[i, j]:
                ta[na] = i
                na += 1
            if b[i, j]:
                tb[nb] = i
                nb += 1
        x = 0
        y = 0
        while x < na and y < nb:
            d = ta[x] - tb[y]
            if d > k:
                y += 1
            elif d < -k:
                x += 1
            else:
                matched += 1
                x += 1
                y += 1
    return matched


def spike_precision_recall(spikes: Any, reference: Any, k: int = 1, *, mask: Any = None) -> dict:
    """Precision, recall and F1 of firing times within +-``k`` ticks of the reference's, per pixel.

    Returns:
        ``{"precision", "recall", "f1", "matched", "spikes", "reference"}`` (precision is 1.0 with no spike,
        recall 1.0 with no reference spike).
    """
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an integer >= 0 (ticks of tolerance), got {k!r}")
    a, b, _ = _pair(spikes, reference, mask)
    matched = int(_match(np.ascontiguousarray(a), np.ascontiguousarray(b), int(k)))
    na, nb = int(a.sum()), int(b.sum())
    p = matched / na if na else 1.0
    r = matched / nb if nb else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "matched": matched,
            "spikes": na, "reference": nb}


def _mean_isi(x: np.ndarray) -> np.ndarray:
    t = x.shape[0]
    n = x.sum(0)
    idx = np.arange(t)[:, None]
    first = np.where(x, idx, t).min(0)
    last = np.where(x, idx, -1).max(0)
    return np.where(n >= 2, (last - first) / np.maximum(n - 1, 1), np.nan)


def isi_error(spikes: Any, reference: Any, *, mask: Any = None) -> dict:
    """Error of each pixel's mean inter-spike interval (span / (n - 1)) against the reference's.

    Pixels with fewer than two spikes in either stream are not scored (their interval is undefined).

    Returns:
        ``{"mean_rel", "median_rel", "mean_abs", "pixels"}``: relative and absolute (ticks) errors, pixels scored.
    """
    a, b, _ = _pair(spikes, reference, mask)
    ia, ib = _mean_isi(a), _mean_isi(b)
    ok = np.isfinite(ia) & np.isfinite(ib)
    if not ok.any():
        return {"mean_rel": float("nan"), "median_rel": float("nan"), "mean_abs": float("nan"), "pixels": 0}
    d = np.abs(ia[ok] - ib[ok])
    rel = d / ib[ok]
    return {"mean_rel": float(rel.mean()), "median_rel": float(np.median(rel)), "mean_abs": float(d.mean()),
            "pixels": int(ok.sum())}


def rate_map_error(spikes: Any, reference: Any, *, mask: Any = None) -> dict:
    """Error of the firing-rate map (spikes per tick over the whole stream) against the reference's.

    Returns:
        ``{"rmse", "mae", "bias", "pixels"}`` in spikes per tick (bias = mean of spikes - reference).
    """
    a, b, _ = _pair(spikes, reference, mask)
    d = a.mean(0) - b.mean(0)
    if d.size == 0:
        return {"rmse": float("nan"), "mae": float("nan"), "bias": float("nan"), "pixels": 0}
    return {"rmse": float(np.sqrt(np.mean(d * d))), "mae": float(np.mean(np.abs(d))), "bias": float(d.mean()),
            "pixels": int(d.size)}
