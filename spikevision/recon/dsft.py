"""DSFT, the differential of spike firing time: the ISI that spans each frame.

The input representation of BSF (Zhao et al., "Boosting spike camera image
reconstruction from a perspective of dealing with spike fluctuations", CVPR 2024)
and related learned methods: ``d(t) = N(t) - L(t)`` with L the last spike at or
before t and N the first spike after t (docs/algorithms.md, DSFT). Computed in
O(T * H * W) by propagating the last spike forward and the next spike backward.

Example:
    >>> import numpy as np
    >>> from spikevision.recon import dsft
    >>> s = np.zeros((8, 1, 1), np.uint8); s[[1, 4, 6]] = 1
    >>> dsft(s)[:, 0, 0].tolist()
    [0, 3, 3, 3, 2, 2, 0, 0]
"""

from __future__ import annotations

from typing import Any

from ._input import Spikes, read_window, shape_of, to_caller, xp_of

__all__ = ["dsft", "last_next"]


def last_next(spikes: Spikes) -> tuple[Any, Any]:
    """Per frame and pixel, the last spike at or before t and the first spike after t (-1 where none).

    Returns:
        (last, next): two (T, H, W) int32 arrays of frame indices, within the frames given.
    """
    t_len, h, w = shape_of(spikes)
    xp = xp_of(spikes)
    frames = read_window(spikes, 0, t_len)
    last = xp.empty((t_len, h, w), dtype=xp.int32)
    nxt = xp.empty((t_len, h, w), dtype=xp.int32)
    cur = xp.full((h, w), -1, dtype=xp.int32)
    for t in range(t_len):
        cur = xp.where(frames[t] != 0, xp.int32(t), cur)
        last[t] = cur
    cur = xp.full((h, w), -1, dtype=xp.int32)
    for t in range(t_len - 1, -1, -1):
        nxt[t] = cur
        cur = xp.where(frames[t] != 0, xp.int32(t), cur)
    return last, nxt


def dsft(spikes: Spikes, *, fill: int = 0) -> Any:
    """DSFT ``d(t) = next(t) - last(t)`` of every frame, within the frames given.

    Args:
        spikes: SpikeStream or (T, H, W) array of any backend (nonzero = spike);
            slice it to bound the search (a stream is read whole).
        fill: value where a side has no spike in the data (0 = unknown).

    Returns:
        (T, H, W) int32 on the caller's backend.
    """
    last, nxt = last_next(spikes)
    xp = xp_of(last)
    return to_caller(xp.where((last < 0) | (nxt < 0), xp.int32(fill), nxt - last), spikes)
