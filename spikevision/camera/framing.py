"""Turning a camera's wire bytes into canonical packed frames, across transfer boundaries.

Two wire layouts are in use (docs/formats.md):

- ``"m1"``: SPS100 / M1 64-byte line packets (docs/formats.md), framed by
  :class:`spikevision.io.raw.LinePacketParser` (tags, double-marker lock,
  resync and loss counting live there; :class:`LinePacketFramer` adapts it and
  keeps the loss count exact when the host knows how many bytes it lost).
- ``"vidar"``: whole 250 x 416-bit frames, rows bottom-up as in ``.dat``, 16
  head columns per row dropped after decoding, optionally a 16-byte time header
  before every frame (vidar .dat layout). There is no sync marker, so alignment follows
  the byte count; a transfer the host knows it lost is reported with
  :meth:`RowFramer.gap` (exact re-alignment when the lost byte count is known).
  ``"packed"`` is the same framer with no head columns, header or flip (frames
  already canonical, e.g. from a vendor SDK).

Every framer has ``feed(data) -> (n, F) uint8``, ``finish()``, ``gap(nbytes)``
and ``stats`` (a :class:`FramingStats`); carry-over between ``feed`` calls keeps
partial frames whatever the transfer sizes. Framing is vectorized: one NumPy
slicing pass over all complete frames of a transfer.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .. import _bits
from .._source import StoredLayout
from ..io import raw
from ..io.raw import RawStats
from ._errors import CameraURLError

__all__ = ["FramingStats", "Framer", "RowFramer", "LinePacketFramer", "make_framer", "LAYOUTS",
           "encode_rows", "feed_counted", "gap_counted"]

log = logging.getLogger(__name__)

LAYOUTS = ("vidar", "m1", "packed")


@dataclass
class FramingStats(RawStats):
    """Counters of a framer: the fields of :class:`spikevision.io.raw.RawStats`, same meaning.

    ``units`` is counted by the ``"m1"`` layout only; a row framer has no sync
    marker to lose, so it is always ``locked``.
    """

    locked: bool = True


class Framer(Protocol):
    """What a camera backend needs from a framer."""

    height: int
    width: int
    wire_frame_bytes: int

    def feed(self, data) -> np.ndarray: ...

    def finish(self) -> np.ndarray: ...

    def gap(self, nbytes: int | None = None) -> None: ...

    @property
    def stats(self) -> FramingStats: ...


class RowFramer:
    """Frames stored as rows of packed bits (the vidar USB layout), with carry-over.

    Args:
        height, width: display size (250 x 400 for vidar).
        head_columns: extra bits per row to drop (16 for the 250 x 416 wire form).
        header_bytes: bytes before every frame (0, or 16 for the time header).
        flip: rows are bottom-up on the wire (True for vidar, like ``.dat``).
    """

    def __init__(self, height: int = 250, width: int = 400, *, head_columns: int = 16, header_bytes: int = 0,
                 flip: bool = True):
        if height < 1 or width < 1 or head_columns < 0 or header_bytes < 0:
            raise ValueError("height/width must be >= 1 and head_columns/header_bytes >= 0")
        if ((width + head_columns) * height) % 8:
            raise ValueError(f"{height} rows of {width + head_columns} bits are not a whole number of bytes")
        self.height, self.width = height, width
        self.layout = StoredLayout(height, width, width + head_columns, header_bytes, flip)
        self.wire_frame_bytes = self.layout.stride
        self.frame_nbytes = _bits.frame_nbytes(height, width)
        self._carry = bytearray()
        self._skip = 0
        self._stats = FramingStats()

    @property
    def stats(self) -> FramingStats:
        """A snapshot of the counters."""
        return dataclasses.replace(self._stats)

    def _convert(self, buf: np.ndarray, n: int) -> np.ndarray:
        if n == 0:
            return np.empty((0, self.frame_nbytes), np.uint8)
        out = self.layout.to_canonical(buf, n)
        # frames handed out never alias the caller's buffer (a canonical layout returns a view of it)
        return out.copy() if np.may_share_memory(out, buf) else out

    def feed(self, data) -> np.ndarray:
        """Consume wire bytes; return the complete frames they finish, as (n, F) canonical packed."""
        buf = _bits.as_bytes(data)
        self._stats.bytes_in += buf.size
        if self._skip:
            k = min(self._skip, buf.size)
            self._skip -= k
            self._stats.skipped_bytes += k
            buf = buf[k:]
        stride = self.wire_frame_bytes
        parts = []
        if self._carry:
            need = stride - len(self._carry)
            if buf.size < need:
                self._carry += buf.tobytes()
                return np.empty((0, self.frame_nbytes), np.uint8)
            self._carry += buf[:need].tobytes()
            parts.append(self._convert(np.frombuffer(bytes(self._carry), np.uint8), 1))
            self._carry.clear()
            buf = buf[need:]
        n = buf.size // stride
        if n:
            parts.append(self._convert(buf, n))
        rest = buf[n * stride:]
        if rest.size:
            self._carry += rest.tobytes()
        out = parts[0] if len(parts) == 1 else (np.concatenate(parts) if parts else
                                                  np.empty((0, self.frame_nbytes), np.uint8))
        self._stats.frames += out.shape[0]
        return out

    def gap(self, nbytes: int | None = None) -> None:
        """Report that ``nbytes`` wire bytes were lost here (None: unknown amount).

        With a known count the framer re-aligns exactly and counts every frame
        that lost bytes (a frame partly received is torn, never emitted). With
        an unknown count the partial frame is discarded and the next byte fed is
        taken as a frame start (transfers that hold whole frames make this exact).
        """
        stride = self.wire_frame_bytes
        self._stats.resyncs += 1
        if nbytes is None:
            if self._carry or self._skip:
                self._stats.dropped_frames += 1
                self._stats.torn_frames += 1 if self._carry else 0
            self._stats.skipped_bytes += len(self._carry)
            self._carry.clear()
            self._skip = 0
            return
        if nbytes <= 0:
            return
        pos = (len(self._carry) if not self._skip else stride - self._skip) + nbytes
        whole, off = divmod(pos, stride)
        # every frame the loss touches is dropped; one being skipped was already counted
        self._stats.dropped_frames += whole + (1 if off else 0) - (1 if self._skip else 0)
        if self._carry:
            self._stats.torn_frames += 1
        self._stats.skipped_bytes += len(self._carry)
        self._carry.clear()
        self._skip = (stride - off) if off else 0

    def finish(self) -> np.ndarray:
        """End of stream: a trailing partial frame is counted as dropped (and torn)."""
        if self._carry:
            self._stats.dropped_frames += 1
            self._stats.torn_frames += 1
            self._stats.skipped_bytes += len(self._carry)
            self._carry.clear()
        self._skip = 0
        return np.empty((0, self.frame_nbytes), np.uint8)


class LinePacketFramer:
    """M1 line packets (docs/formats.md) through :class:`spikevision.io.raw.LinePacketParser`."""

    def __init__(self):
        self._parser = raw.LinePacketParser()
        self.height, self.width = raw.HEIGHT, raw.WIDTH
        self.wire_frame_bytes = raw.FRAME_WIRE_BYTES
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        self._filler = 0

    @property
    def stats(self) -> FramingStats:
        """A snapshot of the parser's counters, without the zero filler fed by :meth:`gap`."""
        st = FramingStats(**vars(self._parser.stats))
        st.bytes_in -= self._filler
        st.skipped_bytes -= self._filler
        return st

    def feed(self, data) -> np.ndarray:
        return self._parser.feed(data)

    def gap(self, nbytes: int | None = None) -> None:
        """Account for ``nbytes`` lost wire bytes (None: unknown; the tags alone then reveal the loss).

        The parser estimates lost frames from the stream distance between the last
        good frame and the relock; feeding the same number of zero bytes (tag line 0,
        which never occurs, so they can neither lock nor complete a frame) keeps that
        distance true and the dropped-frame count exact.
        """
        if nbytes:
            out = self._parser.feed(np.zeros(int(nbytes), np.uint8))
            self._filler += int(nbytes)
            if out.shape[0]:  # impossible with valid tags; never hand out frames made of filler
                raise AssertionError("zero filler completed a frame")

    def finish(self) -> np.ndarray:
        return self._parser.finish()


def make_framer(layout: str = "vidar", *, height: int | None = None, width: int | None = None,
                header_bytes: int = 0, head_columns: int | None = None, flip: bool | None = None) -> Framer:
    """A framer for a wire layout: ``"vidar"`` (250x416 rows, bottom-up), ``"m1"`` or ``"packed"``."""
    if layout == "m1":
        fr = LinePacketFramer()
        if (height, width) not in ((None, None), (fr.height, fr.width)):
            raise CameraURLError(f"the m1 layout is {fr.height}x{fr.width}; drop height/width or use layout=packed")
        return fr
    if layout == "vidar":
        return RowFramer(height or 250, width or 400, head_columns=16 if head_columns is None else head_columns,
                         header_bytes=header_bytes, flip=True if flip is None else flip)
    if layout == "packed":
        if height is None or width is None:
            raise CameraURLError("layout=packed needs height and width (e.g. ?height=1000&width=1000)")
        return RowFramer(height, width, head_columns=head_columns or 0, header_bytes=header_bytes,
                         flip=bool(flip))
    raise CameraURLError(f"unknown wire layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def encode_rows(frames: np.ndarray, *, head_columns: int = 16, header_bytes: int = 0, flip: bool = True,
                header: np.ndarray | None = None) -> np.ndarray:
    """Encode (T, H, W) 0/1 frames in the row layout :class:`RowFramer` reads (the vidar wire form).

    Head columns are written as zeros; ``header`` (T, header_bytes) uint8 fills
    the per-frame headers (zeros when None). Returns 1-D uint8 wire bytes.
    """
    frames = np.asarray(frames)
    if frames.ndim != 3:
        raise ValueError(f"expected (T, H, W) frames, got shape {frames.shape}")
    _, h, w = frames.shape
    out = StoredLayout(h, w, w + head_columns, header_bytes, flip).from_canonical(_bits.pack_frames(frames))
    if header_bytes and header is not None:
        out[:, :header_bytes] = header
    return out.reshape(-1)


def feed_counted(framer: Framer, data) -> tuple[np.ndarray, int, bool]:
    """``framer.feed(data)`` plus what changed: (frames, frames lost, resync happened)."""
    before = framer.stats
    out = framer.feed(data)
    after = framer.stats
    return out, after.dropped_frames - before.dropped_frames, after.resyncs != before.resyncs


def gap_counted(framer: Framer, nbytes: int | None) -> int:
    """``framer.gap(nbytes)`` plus the number of frames it counted as lost."""
    before = framer.stats.dropped_frames
    framer.gap(nbytes)
    return framer.stats.dropped_frames - before
