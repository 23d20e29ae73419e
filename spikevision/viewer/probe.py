"""Pixel readout: the spike train of one pixel, its spike count and last inter-spike interval.

Reads only the bytes holding that pixel's bit from canonical packed frames
(see :mod:`spikevision._bits`), so hovering over a multi-GB file stays instant.

Example:
    >>> import numpy as np, spikevision as sv
    >>> s = np.zeros((10, 2, 2), np.uint8); s[[2, 5, 9], 1, 0] = 1
    >>> r = readout(sv.from_array(s), at=8, row=1, col=0, window=9)
    >>> (r.count, r.last_isi, r.last_spike)
    (2, 3, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stream import SpikeStream

__all__ = ["PixelReadout", "pixel_train", "pixel_train_packed", "readout", "train_readout"]


@dataclass(frozen=True)
class PixelReadout:
    """What the status line shows for the pixel under the cursor.

    Attributes:
        row, col: pixel position (display orientation).
        count: spikes in the window ending at ``at`` (inclusive).
        window: frames counted.
        last_spike: frame index of the last spike at or before ``at``, or None.
        last_isi: frames between the last two spikes at or before ``at``, or None.
    """

    row: int
    col: int
    count: int
    window: int
    last_spike: int | None
    last_isi: int | None


def train_readout(train: np.ndarray, first: int, row: int, col: int, window: int) -> PixelReadout:
    """Readout of pixel (row, col) from its 0/1 train over frames [first, first + len(train)).

    ``count`` covers the last ``window`` frames of the train; the last spike and ISI the whole train.
    """
    window = max(1, int(window))
    idx = np.flatnonzero(train) + first
    return PixelReadout(row, col, int(train[-window:].sum()), min(window, train.size),
                        int(idx[-1]) if idx.size else None, int(idx[-1] - idx[-2]) if idx.size >= 2 else None)


def pixel_train_packed(packed: np.ndarray, width: int, row: int, col: int) -> np.ndarray:
    """The 0/1 spike train of pixel (row, col) from canonical packed frames (n, F)."""
    k = row * width + col
    return ((packed[:, k >> 3] >> (k & 7)) & 1).astype(np.uint8)


def pixel_train(spikes: SpikeStream, row: int, col: int, start: int, stop: int) -> np.ndarray:
    """The 0/1 spike train of pixel (row, col) over frames [start, stop) (reads packed bytes only)."""
    start, stop = max(0, start), min(len(spikes), stop)
    if stop <= start:
        return np.zeros(0, np.uint8)
    return pixel_train_packed(spikes[start:stop].packed(), spikes.width, row, col)


def readout(spikes: SpikeStream, at: int, row: int, col: int, window: int = 255,
            isi_span: int = 1024) -> PixelReadout:
    """Spike count over the ``window`` frames ending at ``at`` and the last ISI, for pixel (row, col).

    The last two spikes are searched over ``max(window, isi_span)`` frames up to ``at``
    (a longer ISI reads as None), so one readout touches a bounded number of frames.
    """
    if not (0 <= row < spikes.height and 0 <= col < spikes.width):
        raise IndexError(f"pixel ({row}, {col}) is outside the {spikes.height}x{spikes.width} frame")
    window = max(1, int(window))
    span = max(window, int(isi_span))
    a = max(0, at + 1 - span)
    return train_readout(pixel_train(spikes, row, col, a, at + 1), a, row, col, window)
