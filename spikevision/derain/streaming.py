"""Streaming deraining for live cameras and viewers: same images as :func:`~spikevision.derain.derain`.

Packed blocks arrive as from ``SpikeStream.iter_packed`` or a camera; spike counts of
consecutive blocks of ``block`` frames are taken straight from the packed bits, kept
for one window, and each image combines the ``blocks`` counts of its window, so a
new image every ``emit_every`` frames (a multiple of ``block``) costs one block count
and one combination. Frame indices count from the first frame pushed after
construction or :meth:`StreamingDerain.reset`; images are those of the offline function
on the same frames (including the one-sided windows of the first frames and, after
:meth:`StreamingDerain.flush`, of the last ones).

Example:
    >>> import numpy as np
    >>> from spikevision.derain import StreamingDerain
    >>> sd = StreamingDerain(8, 8, method="temporal", emit_every=40)
    >>> spikes = np.zeros((800, 8, 8), np.uint8); spikes[::4] = 1
    >>> [t for t, _ in sd.push(spikes)][:3]
    [0, 40, 80]
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _bits
from ..color import check_cfa, check_even
from ._blocks import Window, check_params, window_blocks
from ._core import estimate
from ._kernels import combine_counts

__all__ = ["StreamingDerain"]


class StreamingDerain:
    """Streaming deraining (every method), an image every ``emit_every`` frames from frame ``start``.

    Args:
        height, width: frame size.
        method: "best", "temporal", "motion" or "rpca".
        emit_every: frames between images; a multiple of ``block``.
        start: frame of the first image (counted from the first frame pushed).
        cfa: Bayer pattern of a colour sensor (images are (H, W, 3) linear RGB), or None.
        demosaic_method: see :func:`spikevision.color.demosaic`.
        calibration: a :class:`spikevision.denoise.Calibration` of the sensor (see :func:`~spikevision.derain.derain`).
        **params: the method's options (``block``, ``blocks``, ``k``, ``floor``, ``rel``, ``rate``, ``lam``).

    Attributes:
        lookahead: frames after an image's frame that must arrive before it is emitted.
        mask: (H, W) bool rain mask of the image yielded last.
    """

    def __init__(self, height: int, width: int, *, method: str = "best", emit_every: int = 40, start: int = 0,
                 cfa: str | None = None, demosaic_method: str = "bilinear", calibration: Any = None, **params: Any):
        self.method, self.params = check_params(method, params)
        if height < 1 or width < 1:
            raise ValueError(f"height and width must be positive, got {height}x{width}")
        b, n = self.params["block"], self.params["blocks"]
        if not isinstance(emit_every, (int, np.integer)) or emit_every < 1 or emit_every % b:
            raise ValueError(f"emit_every must be a positive multiple of block={b} frames (blocks are shared between "
                             f"images), got {emit_every!r}; pass block= a divisor of it")
        if start < 0:
            raise ValueError(f"start must be a frame index >= 0, got {start}")
        self.cfa = check_cfa(cfa) if cfa is not None else None
        if self.cfa:
            check_even(height, width, self.cfa)
        self.height, self.width = int(height), int(width)
        self.emit_every, self.start = int(emit_every), int(start)
        self.demosaic_method = demosaic_method
        if calibration is not None:
            calibration.check_shape(self.height, self.width)
        self.calibration = calibration
        self.block, self.blocks = b, n
        self.lookback = b // 2 + (n // 2) * b
        self.lookahead = (n - n // 2) * b - b // 2 - 1
        self.npix = self.height * self.width
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        self.mask: Any = None
        self.reset()

    @property
    def first_frame_needed(self) -> int:
        """The first frame (from the stream's start) that the first image reads: feed from here."""
        return max(0, self.start - self.lookback)

    def reset(self) -> None:
        """Forget all frames: the next frame pushed is frame 0 (plus the :meth:`skip_to` offset)."""
        self._seen = 0
        self._grid0 = (self.start - self.block // 2) % self.block
        self._pending = np.zeros((self.block, self.frame_nbytes), np.uint8)
        self._fill = 0
        self._counts: OrderedDict[int, int] = OrderedDict()  # block start -> its row of the ring
        if getattr(self, "_ring", None) is None:
            self._ring = np.empty((self.blocks + 2, self.npix), np.int16)  # block counts, reused
            self._tally = np.zeros(self.frame_nbytes * 8, np.int16)
        self._free = list(range(self._ring.shape[0]))
        self._next = self.start
        self.mask = None

    def skip_to(self, frame: int) -> None:
        """Declare that the first frame pushed is frame ``frame`` of the stream (images keep stream indices)."""
        self._offset = int(frame)

    _offset = 0

    # --- input --------------------------------------------------------------
    def iter_packed(self, packed: np.ndarray) -> Iterator[tuple[int, Any]]:
        """Push canonical packed frames (n, ceil(H*W/8)); yield ``(frame_index, image)`` as images become ready.

        Images are fresh arrays; :attr:`mask` holds the rain mask of the image yielded last.
        """
        packed = np.ascontiguousarray(packed)
        if packed.ndim == 1:
            packed = packed.reshape(1, -1)
        if packed.ndim != 2 or packed.shape[1] != self.frame_nbytes or packed.dtype != np.uint8:
            raise ValueError(f"expected canonical packed frames (n, {self.frame_nbytes}) uint8 for "
                             f"{self.height}x{self.width}, got {packed.shape} {packed.dtype}; pack (n, H, W) spikes "
                             f"with spikevision._bits.pack_frames or call push()")
        i, n = 0, packed.shape[0]
        while i < n:
            if self._seen < self._grid0:  # frames before the first whole block of the grid
                m = min(n - i, self._grid0 - self._seen)
            else:
                m = min(n - i, self.block - self._fill)
                self._pending[self._fill: self._fill + m] = packed[i: i + m]
                self._fill += m
            self._seen += m
            i += m
            if self._fill == self.block:
                a = self._seen - self.block
                self._counts[a] = self._store(self._pending)
                self._fill = 0
                yield from self._emit(final=False)

    def _store(self, block: np.ndarray) -> int:
        """Count a block's spikes (bit-plane count of the packed bytes) into a free int16 row of the ring; its row."""
        if not self._free:  # images farther apart than a window keep more blocks: grow the ring
            extra = self._ring.shape[0]
            self._ring = np.concatenate([self._ring, np.empty_like(self._ring)])
            self._free = list(range(extra, 2 * extra))
        row = self._free.pop()
        if self.npix == self._ring.shape[1]:
            _bits.count_block(block, self._ring[row])
        else:  # the last packed byte holds padding bits
            _bits.count_block(block, self._tally)
            self._ring[row] = self._tally[: self.npix]
        return row

    def push_packed(self, packed: np.ndarray) -> list[tuple[int, Any]]:
        """Push packed frames; return ``[(frame_index, image), ...]`` of the images that became ready."""
        return list(self.iter_packed(packed))

    def push(self, frames: np.ndarray) -> list[tuple[int, Any]]:
        """Push unpacked (n, H, W) spikes (nonzero = spike)."""
        frames = np.asarray(frames)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.shape[1:] != (self.height, self.width):
            raise ValueError(f"frames of shape {frames.shape[1:]} do not match this deraining's "
                             f"{(self.height, self.width)}; create one with height={frames.shape[1]}, "
                             f"width={frames.shape[2]}")
        return self.push_packed(_bits.pack_frames(frames))

    def flush(self) -> list[tuple[int, Any]]:
        """End of the stream: the images still waiting for their lookahead (one-sided windows), then :meth:`reset`."""
        return list(self.iter_flush())

    def iter_flush(self) -> Iterator[tuple[int, Any]]:
        """Generator form of :meth:`flush` (:attr:`mask` follows each image); resets when exhausted."""
        yield from self._emit(final=True)
        offset = self._offset
        self.reset()
        self._offset = offset

    # --- output -------------------------------------------------------------
    def _emit(self, final: bool) -> Iterator[tuple[int, Any]]:
        while self._next < self._seen and (final or self._next + self.lookahead < self._seen):
            t = self._next
            win = window_blocks(t, self._seen, self.block, self.blocks)
            if not all(a in self._counts for a in win.starts):  # a recording shorter than a window: no image
                self._next += self.emit_every
                continue
            rows = [self._counts[a] for a in win.starts]
            if self.method == "temporal" and self.cfa is None and self.calibration is None:  # straight from the ring
                p = self.params
                img = np.empty(self.npix, np.float32)
                rain = np.empty(self.npix, np.bool_)
                combine_counts(self._ring, rows, win.center, p["k"], p["floor"], p["rel"],
                               1.0 / (self.block * float(p["rate"])), img, rain)
                img, self.mask = img.reshape(self.height, self.width), rain.reshape(self.height, self.width)
            else:
                values = self._ring[rows].astype(np.float32).reshape(len(rows), self.height, self.width)
                img, self.mask = estimate(values, Window(win.starts, win.center, self.block), self.method,
                                          self.params, self.cfa, self.demosaic_method, self.calibration)
            self._next += self.emit_every
            oldest = self._next - self.lookback
            while self._counts and next(iter(self._counts)) < oldest:
                self._free.append(self._counts.popitem(last=False)[1])
            yield t + self._offset, img
