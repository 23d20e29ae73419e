"""TFP, texture from playback: the firing rate in a window around a frame.

Zhu et al., "A retina-inspired sampling method for visual texture
reconstruction", ICME 2019. The rate of a spike-camera pixel estimates its
light intensity; averaging the spikes of a window of frames estimates the rate.

Conventions (``convention=``):

- ``"spikevision"`` (default): the window is frames ``[at - window//2, at - window//2 + window)``
  clipped to the data; image = spikes / frames in the window / ``rate``, clipped
  to [0, 1]. Intensity scale: 1.0 = one spike per readout tick when ``rate=1``.
- ``"spikezoo"``: Spike-Zoo's ``TFPModel``: the mean of frames ``[at - h, at + h]`` with
  ``h = window // 2`` (the whole window must lie in the data), divided by ``rate``
  (0.6 for REDS_BASE) and clipped to [0, 1].
- ``"spikecv"``: SpikeCV's ``TFP.spikes2frame``: frames ``[at - h, at + h + 1)``, mean x 255
  truncated to uint8. SpikeCV accepts ``at + h == T`` (then only 2h frames are
  averaged); this is reproduced. Returned as ``uint8 / 255`` (float32): multiply by
  255 and round to get SpikeCV's uint8 image exactly.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import tfp
    >>> spikes = np.zeros((41, 2, 2), np.uint8); spikes[::4] = 1
    >>> round(float(tfp(spikes, at=20, window=41)[0, 0]), 4)  # 11 spikes in 41 frames
    0.2683
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._input import Spikes, check_frame, check_rate, check_window, output_like, read_window, shape_of, xp_of
from .exposure import resolve_rate

__all__ = ["tfp", "tfp_bounds", "CONVENTIONS"]

CONVENTIONS = ("spikevision", "spikezoo", "spikecv")


def _check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
    return convention


def tfp_bounds(at: int, n_frames: int, window: int, convention: str = "spikevision") -> tuple[int, int]:
    """Frames [start, stop) that TFP averages for frame ``at`` under ``convention``.

    Raises:
        ValueError: for "spikezoo"/"spikecv" when the window leaves the data (those toolkits need it whole).
    """
    h = window // 2
    if convention == "spikevision":
        a = at - h
        return max(0, a), min(n_frames, a + window)
    if convention == "spikezoo":
        a, b = at - h, at + h + 1
        if a < 0 or b > n_frames:
            raise ValueError(f"convention 'spikezoo' needs frames {a}..{b - 1} around frame {at}, but the input has "
                             f"{n_frames} frames; choose {h} <= at < {n_frames - h} or convention='spikevision'")
        return a, b
    a, b = at - h, at + h + 1
    if a < 0 or at + h > n_frames:
        raise ValueError(f"convention 'spikecv' needs frames {a}..{at + h - 1} at least around frame {at}, but the "
                         f"input has {n_frames} frames; choose {h} <= at <= {n_frames - h} or convention='spikevision'")
    return a, min(b, n_frames)


def tfp_scale(n: int, rate: float) -> np.float32:
    """Multiplier from a spike count over ``n`` frames to intensity (spikevision convention).

    ``float32(1 / (n * rate))`` rounded up by at most one ulp where needed so that the
    full-scale count ``n * rate`` maps to exactly 1.0 (41 * float32(1/41) is 0.99999994).
    """
    s = np.float32(1.0 / (n * rate))
    if np.float32(n * rate) * s < np.float32(1.0):
        s = np.nextafter(s, np.float32(np.inf))
    return s


def tfp(spikes: Spikes, at: int, window: int = 41, *, convention: str = "spikevision", rate: float | str = 1.0) -> Any:
    """Reconstruct frame ``at`` by texture from playback.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike).
        at: frame index (negative counts from the end).
        window: frames averaged (41 = the anchors' h = 20), 1..255.
        convention: "spikevision" (default), "spikezoo" or "spikecv" (see the module docstring).
        rate: firing rate shown as intensity 1 ("spikevision" and "spikezoo"; ignored by "spikecv"), or "auto"
            (:func:`~spikevision.recon.auto_rate` over the frames read).

    Returns:
        (H, W) float32 image in [0, 1] on the caller's backend.
    """
    _check_convention(convention)
    t_len, _, _ = shape_of(spikes)
    at = check_frame(at, t_len)
    window = check_window(window)
    a, b = tfp_bounds(at, t_len, window, convention)
    rate = check_rate(resolve_rate(rate, spikes, a, b))
    xp = xp_of(spikes)
    frames = read_window(spikes, a, b)
    counts = frames.sum(axis=0, dtype=xp.int32)
    n = b - a
    if convention == "spikevision":
        img = xp.minimum(counts.astype(xp.float32) * tfp_scale(n, rate), xp.float32(1.0))
    elif convention == "spikezoo":
        mean = counts.astype(xp.float32) / xp.float32(n)
        img = xp.clip(mean / xp.float32(rate), 0.0, 1.0)
    else:
        mean = counts.astype(xp.float32) / xp.float32(n)
        u8 = (mean * xp.float32(255.0)).astype(xp.uint8)
        img = u8.astype(xp.float32) / xp.float32(255.0)
    return output_like(img, spikes)
