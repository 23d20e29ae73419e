"""TFI, texture from inter-spike interval: intensity = 1 / ISI around a frame.

Zhu et al., "A retina-inspired sampling method for visual texture
reconstruction", ICME 2019. A pixel fires once per threshold of integrated
light, so the interval between the spikes around a frame estimates 1 / rate.

Conventions (``convention=``), with ``h = window // 2``:

- ``"spikevision"`` (default): last spike L in ``[at - h, at]``, next spike N in ``(at, at + h]``
  (both clipped to the data). A side without a spike is replaced by the nearest
  time it could be (one frame beyond the searched range), so the ISI ``N - L`` is a
  lower bound and the intensity an upper bound, never a made-up constant. Image =
  ``1 / (ISI * rate)`` clipped to [0, 1]; 1.0 = a spike every tick when ``rate=1``.
  Causal up to a lookahead of h frames, so streaming gives the same images.
- ``"spikezoo"``: Spike-Zoo's ``TFIModel``: L in ``[max(at - h + 1, 1), at]``, N in
  ``(at, at + h]``; ISI = 2h when a side is missing (a spike at frame 0 counts as
  missing, as there); image = 1 / ISI (then divided by ``rate``, clipped).
- ``"spikecv"``: SpikeCV's ``TFI.spikes2images``: unbounded search, L = last spike
  *before* ``at``, N = first spike *at or after* ``at``; image = uint8(255 / ISI), 0
  where a side is missing. Returned as ``uint8 / 255`` (float32).

Example:
    >>> import numpy as np
    >>> from spikevision.recon import tfi
    >>> spikes = np.zeros((41, 1, 1), np.uint8); spikes[::4] = 1
    >>> float(tfi(spikes, at=21)[0, 0])
    0.25
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._input import Spikes, check_frame, check_rate, check_window, output_like, read_window, shape_of, xp_of
from .exposure import resolve_rate
from .tfp import _check_convention

__all__ = ["tfi", "tfi_bounds", "last_spike", "first_spike", "isi_table"]


def last_spike(frames, upto: int):
    """Index of the last spike in ``frames[0 : upto + 1]`` per pixel, -1 where there is none."""
    xp = xp_of(frames)
    seg = frames[: upto + 1][::-1]
    has = seg.any(axis=0)
    return xp.where(has, upto - seg.argmax(axis=0).astype(xp.int64), -1)


def first_spike(frames, after: int):
    """Index of the first spike in ``frames[after + 1 :]`` per pixel, -1 where there is none."""
    xp = xp_of(frames)
    seg = frames[after + 1 :]
    if seg.shape[0] == 0:
        return xp.full(frames.shape[1:], -1, dtype=xp.int64)
    has = seg.any(axis=0)
    return xp.where(has, after + 1 + seg.argmax(axis=0).astype(xp.int64), -1)


def tfi_bounds(at: int, n_frames: int, window: int, convention: str = "spikevision") -> tuple[int, int]:
    """Frames [start, stop) that TFI reads for frame ``at`` under ``convention``."""
    h = window // 2
    if convention == "spikecv":
        return 0, n_frames
    return max(0, at - h), min(n_frames, at + h + 1)


def isi_table(rate: float = 1.0, size: int = 256) -> np.ndarray:
    """``table[isi] = min(1, 1 / (isi * rate))`` as float32 (entry 0 unused): the spikevision TFI intensity."""
    isi = np.arange(size, dtype=np.float64)
    with np.errstate(divide="ignore"):
        tab = np.minimum(1.0, 1.0 / (isi * rate))
    tab[0] = 1.0
    return tab.astype(np.float32)


def tfi(spikes: Spikes, at: int, window: int = 41, *, convention: str = "spikevision", rate: float | str = 1.0) -> Any:
    """Reconstruct frame ``at`` from the inter-spike interval around it.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        window: search window, ``h = window // 2`` frames on each side (41 = the anchors' h = 20);
            up to 253 so that an ISI fits in one byte. Ignored by "spikecv" (unbounded).
        convention: "spikevision" (default), "spikezoo" or "spikecv" (see the module docstring).
        rate: firing rate shown as intensity 1 (ignored by "spikecv"), or "auto" (measured over the frames read).

    Returns:
        (H, W) float32 image in [0, 1] on the caller's backend.
    """
    _check_convention(convention)
    t_len, _, _ = shape_of(spikes)
    at = check_frame(at, t_len)
    window = check_window(window, high=253)
    h = window // 2
    rate = check_rate(resolve_rate(rate, spikes, max(0, at - h), min(t_len, at + h + 1)))
    xp = xp_of(spikes)
    a, b = tfi_bounds(at, t_len, window, convention)
    frames = read_window(spikes, a, b)
    c = at - a
    if convention == "spikevision":
        last = last_spike(frames, c)                     # -1 where none: one frame before the searched range
        nxt = first_spike(frames, c)
        nxt = xp.where(nxt < 0, b - a, nxt)              # one frame after it
        isi = (nxt - last).astype(xp.int64)
        table = xp.asarray(isi_table(rate))
        img = table[isi]
    elif convention == "spikezoo":
        # Spike-Zoo searches [max(at - h + 1, 1), at] and (at, at + h] in absolute frame
        # indices and takes index 0 as "no spike"; its loop would index past the data
        # when at + h >= T, here the search stops at the last frame instead.
        none = xp.full(frames.shape[1:], -1, xp.int64)
        lo = max(at - h + 1, 1)
        last = last_spike(frames[lo - a : c + 1], c - (lo - a)) if lo <= at else none
        last_abs = xp.where(last < 0, 0, last + lo)
        nxt = first_spike(frames[: min(at + h, t_len - 1) + 1 - a], c)
        nxt_abs = xp.where(nxt < 0, 0, nxt + a)
        isi = (nxt_abs - last_abs).astype(xp.float32)
        missing = (last_abs == 0) | (nxt_abs == 0) | (isi == 0)
        isi = xp.where(missing, xp.float32(2 * h), isi)
        img = xp.clip((xp.float32(1.0) / isi) / xp.float32(rate), 0.0, 1.0)
    else:
        last = last_spike(frames, c - 1) if c >= 1 else xp.full(frames.shape[1:], -1, xp.int64)
        nxt = first_spike(frames, c - 1)
        isi = (nxt - last).astype(xp.float32)
        u8 = (xp.float32(255.0) / isi).astype(xp.uint8)
        u8 = xp.where((last < 0) | (nxt < 0), xp.uint8(0), u8)
        img = u8.astype(xp.float32) / xp.float32(255.0)
    return output_like(img, spikes)
