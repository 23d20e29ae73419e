"""Automatic exposure: the firing rate shown as white when none is given (``rate="auto"``).

A reconstruction is a firing rate (spikes per tick); ``rate`` is the rate drawn as
intensity 1. The physical default (``rate=1``: one spike every readout) makes
low-light recordings nearly black, so images meant for people use a robust
normalisation instead: the ``percentile`` (99.5 by default) of the per-pixel
firing rate over the frames being shown maps to 1.0. A percentile rather than
the maximum ignores hot pixels and specular highlights (at most 0.5% of the
pixels clip), the same rule as the auto-levels of image viewers.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import auto_rate
    >>> spikes = (np.random.default_rng(0).random((400, 16, 16)) < 0.04).astype(np.uint8)
    >>> 0.04 < auto_rate(spikes) < 0.08
    True
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ..stream import SpikeStream
from ._input import Spikes, shape_of

__all__ = ["auto_rate", "resolve_rate", "AUTO_PERCENTILE"]

#: Percentile of the per-pixel firing rate that ``rate="auto"`` maps to intensity 1.
AUTO_PERCENTILE = 99.5


def auto_rate(spikes: Spikes, start: int | None = None, stop: int | None = None,
              percentile: float = AUTO_PERCENTILE) -> float:
    """The firing rate (spikes per tick) that ``rate="auto"`` shows as white.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        start, stop: frames whose firing rate is measured (default: all; a stream reads only these).
        percentile: percentile of the per-pixel rate mapped to 1.0, in (0, 100].

    Returns:
        A positive rate in (0, 1]. A stream without any spike gives 1.0 (the physical scale).
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile!r}")
    t_len = shape_of(spikes)[0]
    a, b, _ = slice(start, stop).indices(t_len)
    if b <= a:
        raise ValueError(f"no frames in [{start}, {stop}) of a {t_len}-frame stream to measure the exposure on")
    if isinstance(spikes, SpikeStream):
        rates = spikes[a:b].firing_rate()
    else:
        rates = to_numpy(spikes[a:b] != 0).mean(axis=0, dtype=np.float64)
    value = float(np.percentile(rates, percentile))
    if value <= 0:
        value = float(rates.max())
    return min(1.0, value) if value > 0 else 1.0


def resolve_rate(rate: float | str, spikes: Spikes, start: int | None = None, stop: int | None = None) -> float:
    """``rate`` as a number: ``"auto"`` becomes :func:`auto_rate` over frames [start, stop)."""
    if isinstance(rate, str):
        if rate != "auto":
            raise ValueError(f"rate must be a positive number or 'auto', got {rate!r}")
        return auto_rate(spikes, start, stop)
    return rate
