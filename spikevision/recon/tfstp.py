"""TFSTP, texture from short-term plasticity: a synapse model driven by the spikes.

Zheng et al., "High-speed image reconstruction through short-term plasticity
for spiking cameras", CVPR 2021. Every pixel drives a Tsodyks-Markram synapse;
at each spike with interval dt (ticks since the previous spike)::

    R <- 1 - (1 - R (1 - u)) exp(-dt / D)
    u <- u0 + (u + f (1 - u) - u0) exp(-dt / F)

and the firing rate is read back by inverting the steady state of each variable::

    rho_R = -1 / (D ln((1 - R) / (1 - R (1 - u))))
    rho_u = -1 / (F ln((u - u0) / (f - u0 + u (1 - f))))

The state starts at R = 1, u = u0, with the "previous spike" at tick -1 (as in
SpikeCV's ``STPFilter``), and is updated causally over the frames before ``at``.

Conventions (``convention=``):

- ``"spikevision"`` (default): image = (rho_R + rho_u) / 2 / ``rate``, clipped to [0, 1]
  (each rho estimates spikes per tick, so their mean is on the TFP/TFI scale),
  computed in float64; pixels that never fired are 0.
- ``"spikecv"``: SpikeCV's ``TFSTP.spikes2images_online`` as published, including its
  substitution of F for f in the rho_u denominator (``F - u0 + u (1 - f)``), rho_u + rho_R
  min-max normalised to 0..255, truncated to uint8 and histogram-equalised with
  ``cv2.equalizeHist``; float32 state like its torch code (equal up to float
  rounding). Returned as ``uint8 / 255``. A constant image (max == min) gives 0.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import tfstp
    >>> s = np.zeros((400, 1, 1), np.uint8); s[3::4] = 1
    >>> round(float(tfstp(s, at=399)[0, 0]), 3)
    0.25
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ._input import (
    Spikes,
    check_engine,
    check_frame,
    check_rate,
    on_cpu,
    output_like,
    read_packed,
    read_window,
    shape_of,
    xp_of,
)
from .exposure import resolve_rate
from .tfp import _check_convention

__all__ = ["tfstp", "tfstp_series", "STP_DEFAULTS"]

#: SpikeCV's TFSTP defaults: u0 = 0.15, D = 0.05 * 20, F = 0.5 * 20, f = 0.15 (ticks).
STP_DEFAULTS = {"u0": 0.15, "D": 1.0, "F": 10.0, "f": 0.15}

_BLOCK = 512
_MAX_TABLE = 1 << 20


def _check_params(u0: float, D: float, F: float, f: float) -> None:
    if not (0 < u0 < 1 and 0 <= f < 1 and D > 0 and F > 0):
        raise ValueError(f"TFSTP parameters need 0 < u0 < 1, 0 <= f < 1, D > 0, F > 0; got u0={u0}, D={D}, F={F}, "
                         f"f={f}; the published defaults are {STP_DEFAULTS}")


def _table_len(D: float, F: float) -> int:
    """Length of the exp(-dt / D), exp(-dt / F) tables: exp(-760) underflows to 0 in float32 and float64."""
    return int(760 * max(D, F)) + 2


def _decode(R, u, xp, convention: str, u0: float, D: float, F: float, f: float, rate: float):
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rho_r = -1.0 / (D * xp.log((1 - R) / (1 - R * (1 - u))))
        if convention == "spikecv":
            rho_u = -1.0 / (F * xp.log((u - u0) / (F - u0 + u * (1 - f))))
            img = (rho_u + rho_r).astype(xp.float32)
            lo, hi = img.min(), img.max()
            if not hi > lo:
                return xp.zeros(img.shape, xp.float32)
            u8 = ((img - lo) / (hi - lo) * xp.float32(255)).astype(xp.uint8)
            import cv2

            from ..backend import to_numpy

            eq = cv2.equalizeHist(np.ascontiguousarray(to_numpy(u8)))
            return xp.asarray(eq).astype(xp.float32) / xp.float32(255.0)
        rho_u = -1.0 / (F * xp.log((u - u0) / (f - u0 + u * (1 - f))))
        img = (rho_r + rho_u) / (2.0 * rate)
        img = xp.where(xp.isnan(img), 0.0, img)
        return xp.clip(img, 0.0, 1.0).astype(xp.float32)


def tfstp_series(spikes: Spikes, targets: Iterable[int], *, convention: str = "spikevision", start: int = 0,
                 u0: float = 0.15, D: float = 1.0, F: float = 10.0, f: float = 0.15,
                 rate: float | str = 1.0, engine: str = "auto") -> Iterator[tuple[int, object]]:
    """Run the synapses once from frame ``start`` and yield ``(t, image)`` at each sorted target frame.

    ``engine``: "auto" (a compiled kernel over packed bits for CPU data, identical results),
    "numba" or "reference" (the NumPy/CuPy implementation, one vectorised step per frame).
    """
    _check_convention(convention)
    if convention == "spikezoo":
        raise ValueError("Spike-Zoo has no TFSTP; use convention='spikevision' or 'spikecv'")
    _check_params(u0, D, F, f)
    check_engine(engine)
    shape_of(spikes)
    targets = sorted(int(t) for t in targets)
    if not targets:
        return
    rate = check_rate(resolve_rate(rate, spikes, start, targets[-1] + 1))
    compiled = on_cpu(spikes) and _table_len(D, F) <= _MAX_TABLE
    if engine == "numba" and not compiled:
        raise ValueError("the compiled TFSTP kernel needs CPU data and D, F below 1000 ticks; use engine='auto'")
    run = _series_compiled if compiled and engine != "reference" else _series_reference
    yield from run(spikes, targets, convention, start, u0, D, F, f, rate)


def _series_reference(spikes, targets, convention, start, u0, D, F, f, rate):
    _, h, w = shape_of(spikes)
    xp = xp_of(spikes)
    dt_type = xp.float32 if convention == "spikecv" else xp.float64
    R = xp.ones((h, w), dt_type)
    u = xp.full((h, w), u0, dt_type)
    prev = xp.zeros((h, w), dt_type)
    ti = 0
    for a in range(start, targets[-1] + 1, _BLOCK):
        b = min(a + _BLOCK, targets[-1] + 1)
        block = read_window(spikes, a, b)
        for i in range(b - a):
            t = a + i
            fired = block[i] != 0
            cur = xp.where(fired, dt_type(t - start + 1), prev)
            dt = cur - prev
            e_d = xp.exp(-dt / dt_type(D))
            e_f = xp.exp(-dt / dt_type(F))
            R = xp.where(fired, 1 - (1 - R * (1 - u)) * e_d, R)
            u = xp.where(fired, u0 + (u + f * (1 - u) - u0) * e_f, u)
            R, u = R.astype(dt_type), u.astype(dt_type)
            prev = cur
            while ti < len(targets) and targets[ti] == t:
                yield t, output_like(_decode(R, u, xp, convention, u0, D, F, f, rate), spikes)
                ti += 1


def _series_compiled(spikes, targets, convention, start, u0, D, F, f, rate):
    from . import _kernels as K

    _, h, w = shape_of(spikes)
    dtype = np.float32 if convention == "spikecv" else np.float64
    steps = np.arange(_table_len(D, F), dtype=dtype)
    exp_d = np.exp(-steps / dtype(D))
    exp_f = np.exp(-steps / dtype(F))
    R = np.ones(h * w, dtype)
    u = np.full(h * w, u0, dtype)
    prev = np.zeros(h * w, np.int64)
    ti = 0
    a = start
    while ti < len(targets):
        b = min(targets[ti] + 1, a + _BLOCK)     # stop at the next target
        K.stp_run(read_packed(spikes, a, b), a - start + 1, R, u, prev, exp_d, exp_f, dtype(u0), dtype(f), dtype(1),
                  h * w, K.LOWBIT)
        a = b
        while ti < len(targets) and targets[ti] == b - 1:
            img = _decode(R.reshape(h, w), u.reshape(h, w), np, convention, u0, D, F, f, rate)
            yield b - 1, output_like(img, spikes)
            ti += 1


def tfstp(spikes: Spikes, at: int, *, convention: str = "spikevision", u0: float = 0.15, D: float = 1.0,
          F: float = 10.0, f: float = 0.15, rate: float | str = 1.0, history: int | None = None,
          engine: str = "auto") -> Any:
    """Reconstruct frame ``at`` with the short-term-plasticity model.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        convention: "spikevision" (default) or "spikecv" (see the module docstring).
        u0, D, F, f: synapse parameters in ticks (SpikeCV's defaults).
        rate: firing rate shown as intensity 1 ("spikevision" only), or "auto" (measured over the frames run).
        history: run the synapses over only this many frames before ``at`` (default: from frame 0).
        engine: "auto" (compiled kernel on CPU data), "numba" or "reference" (NumPy/CuPy); same results.

    Returns:
        (H, W) float32 image in [0, 1] on the caller's backend.
    """
    t_len, _, _ = shape_of(spikes)
    at = check_frame(at, t_len)
    start = 0 if history is None else max(0, at - int(history))
    for _, img in tfstp_series(spikes, [at], convention=convention, start=start, u0=u0, D=D, F=F, f=f, rate=rate,
                               engine=engine):
        return img
    raise AssertionError("unreachable")
