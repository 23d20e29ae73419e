"""Optical-flow error metrics: EPE, AAE, Fl and n-pixel outlier rates, with validity masks.

Definitions (Baker et al., IJCV 2011; Menze and Geiger, CVPR 2015 (KITTI); docs/flow.md):

- EPE: mean end-point error ``|f - g|`` (pixels);
- AAE: mean angle between the space-time vectors ``(u, v, 1)`` of estimate and truth (degrees);
- Fl ("Fl-all"): fraction of pixels with EPE > 3 px AND EPE > 5 % of ``|g|``;
- ``outliers(f, g, n)``: fraction of pixels with EPE > n px (1, 3, 5 px in :func:`flow_metrics`).

All take (H, W, 2) or (..., H, W, 2) fields of any backend (NumPy, CuPy; torch via NumPy) and an
optional boolean ``valid`` mask of shape (..., H, W) (pixels with ground truth); they return Python
floats over the valid pixels, NaN when none is valid.

Example:
    >>> import numpy as np
    >>> from spikevision.metrics import epe
    >>> g = np.zeros((4, 4, 2), np.float32); f = g.copy(); f[..., 0] = 3; f[..., 1] = 4
    >>> epe(f, g)
    5.0
"""

from __future__ import annotations

import math
from typing import Any

from ..backend import backend_name, get_namespace, to_numpy

__all__ = ["epe", "aae", "fl_all", "outliers", "flow_metrics"]


def _pair(flow: Any, gt: Any, valid: Any):
    if backend_name(flow) == "torch" or backend_name(gt) == "torch" or backend_name(valid) == "torch":
        flow, gt = to_numpy(flow), to_numpy(gt)
        valid = None if valid is None else to_numpy(valid)
    xp = get_namespace(flow)
    if backend_name(gt) != backend_name(flow):
        gt = xp.asarray(to_numpy(gt))
    f = xp.asarray(flow, dtype=xp.float64)
    g = xp.asarray(gt, dtype=xp.float64)
    if f.shape != g.shape:
        raise ValueError(f"flow fields differ in shape: {f.shape} vs {g.shape}; compare fields of the same size")
    if f.ndim < 3 or f.shape[-1] != 2:
        raise ValueError(f"expected (H, W, 2) or (..., H, W, 2) flow fields, got shape {f.shape}")
    if valid is None:
        m = xp.ones(f.shape[:-1], dtype=bool)
    else:
        if backend_name(valid) != backend_name(f):
            valid = xp.asarray(to_numpy(valid))
        m = xp.asarray(valid).astype(bool)
        if m.shape != f.shape[:-1]:
            raise ValueError(f"valid mask of shape {m.shape} does not match the fields' {f.shape[:-1]}; "
                             f"pass one boolean per pixel")
    return xp, f, g, m


def _mean(xp, values, m) -> float:
    n = int(m.sum())
    return float(values[m].sum()) / n if n else math.nan


def _err(xp, f, g):
    return xp.sqrt(((f - g) ** 2).sum(axis=-1))


def epe(flow: Any, gt: Any, valid: Any = None) -> float:
    """Mean end-point error in pixels over the valid pixels."""
    xp, f, g, m = _pair(flow, gt, valid)
    return _mean(xp, _err(xp, f, g), m)


def aae(flow: Any, gt: Any, valid: Any = None) -> float:
    """Mean angular error in degrees between ``(u, v, 1)`` and ``(u_gt, v_gt, 1)`` over the valid pixels."""
    xp, f, g, m = _pair(flow, gt, valid)
    dot = 1.0 + (f * g).sum(axis=-1)
    nf = xp.sqrt(1.0 + (f * f).sum(axis=-1))
    ng = xp.sqrt(1.0 + (g * g).sum(axis=-1))
    ang = xp.degrees(xp.arccos(xp.clip(dot / (nf * ng), -1.0, 1.0)))
    return _mean(xp, ang, m)


def fl_all(flow: Any, gt: Any, valid: Any = None) -> float:
    """Fraction of valid pixels with EPE > 3 px and > 5 % of the true magnitude (KITTI's Fl-all, as a fraction)."""
    xp, f, g, m = _pair(flow, gt, valid)
    e = _err(xp, f, g)
    bad = (e > 3.0) & (e > 0.05 * xp.sqrt((g * g).sum(axis=-1)))
    return _mean(xp, bad.astype(xp.float64), m)


def outliers(flow: Any, gt: Any, threshold: float = 3.0, valid: Any = None) -> float:
    """Fraction of valid pixels whose EPE exceeds ``threshold`` pixels."""
    xp, f, g, m = _pair(flow, gt, valid)
    return _mean(xp, (_err(xp, f, g) > float(threshold)).astype(xp.float64), m)


def flow_metrics(flow: Any, gt: Any, valid: Any = None) -> dict[str, float]:
    """All flow metrics at once: ``{"epe", "aae", "fl", "out1", "out3", "out5"}``."""
    xp, f, g, m = _pair(flow, gt, valid)
    e = _err(xp, f, g)
    dot = 1.0 + (f * g).sum(axis=-1)
    ang = xp.degrees(xp.arccos(xp.clip(dot / (xp.sqrt(1.0 + (f * f).sum(axis=-1)) *
                                              xp.sqrt(1.0 + (g * g).sum(axis=-1))), -1.0, 1.0)))
    fl = (e > 3.0) & (e > 0.05 * xp.sqrt((g * g).sum(axis=-1)))
    out = {"epe": _mean(xp, e, m), "aae": _mean(xp, ang, m), "fl": _mean(xp, fl.astype(xp.float64), m)}
    for n in (1, 3, 5):
        out[f"out{n}"] = _mean(xp, (e > n).astype(xp.float64), m)
    return out
