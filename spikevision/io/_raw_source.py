"""Lazy frame source over an SPS100 / M1 raw line-packet file: index once, decode on demand."""

from __future__ import annotations

import os

import numpy as np

from .. import _bits
from .._source import PositionedFile
from ..errors import FormatError
from ._raw_kernels import check_decode
from ._raw_layout import FRAME_WIRE_BYTES, HEIGHT, PACKED_FRAME_BYTES, WIDTH
from ._raw_parser import LinePacketParser, RawStats

__all__ = ["RawFileSource", "index_file"]

_SCAN_FRAMES = 128  # frames per read while indexing: 16 MB, constant memory whatever the file size


def index_file(path: str | os.PathLike, chunk_frames: int = _SCAN_FRAMES) -> tuple[np.ndarray, RawStats]:
    """Scan a raw file once with :class:`LinePacketParser` (tags only, no decoding).

    Returns:
        The byte offset of every complete frame (int64, increasing) and the parser's counters.
    """
    parser = LinePacketParser()
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        buf = np.empty(max(1, min(size, chunk_frames * FRAME_WIRE_BYTES)), dtype=np.uint8)
        view = memoryview(buf)
        while True:
            got = f.readinto(view)
            if not got:
                break
            parser._scan(buf[:got])
    index = parser._index or []
    parser.finish()
    offsets = np.concatenate(index) if index else np.zeros(0, dtype=np.int64)
    return offsets.astype(np.int64, copy=False), parser.stats


class RawFileSource(PositionedFile):
    """A :class:`~spikevision._source.FrameSource` over the complete frames of a raw file.

    Args:
        path: the raw file.
        offsets: byte offset of every complete frame (from :func:`index_file`).

    Frames are read with positioned reads (contiguous runs in one read) and
    decoded by the same kernel as the streaming parser; tags are re-checked, so
    a file changed after indexing raises instead of returning wrong frames.
    """

    height = HEIGHT
    width = WIDTH

    def __init__(self, path: str | os.PathLike, offsets: np.ndarray):
        super().__init__(path)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.n_frames = int(self.offsets.size)

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        """Canonical packed frames [start, stop) as (n, 125000) uint8."""
        if not 0 <= start <= stop <= self.n_frames:
            raise IndexError(f"frames [{start}, {stop}) out of range for {self.n_frames} frames")
        n = stop - start
        out = np.empty((n, PACKED_FRAME_BYTES), dtype=np.uint8)
        if n == 0:
            return out
        offs = self.offsets[start:stop]
        buf = self._buffer(n * FRAME_WIRE_BYTES)
        mv = memoryview(buf)
        cuts = np.flatnonzero(np.diff(offs) != FRAME_WIRE_BYTES) + 1
        for a, b in zip(np.r_[0, cuts], np.r_[cuts, n]):
            self._pread(mv[a * FRAME_WIRE_BYTES : b * FRAME_WIRE_BYTES], int(offs[a]))
        starts = np.arange(n, dtype=np.int64) * FRAME_WIRE_BYTES
        bad = check_decode(buf, starts, out)
        if (bad >= 0).any():
            f = int(np.flatnonzero(bad >= 0)[0])
            raise FormatError(f"{self.path}: frame {start + f} (byte {int(offs[f]):,}) no longer has valid "
                              f"line/channel tags; the file changed since it was opened: reopen it")
        return out

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Display-oriented frames [start, stop) as (n, 1000, 1000) uint8 (raw data is not flipped)."""
        return _bits.unpack_frames(self.read_packed(start, stop), HEIGHT, WIDTH, out=out)
