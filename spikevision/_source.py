"""Frame sources: where a :class:`~spikevision.stream.SpikeStream` gets its bits.

A source knows how its frames are stored (bytes per frame, per-frame header,
stored width with head columns, row order) and returns contiguous frame ranges
either decoded to display-oriented uint8 or as canonical packed bytes
(see :mod:`spikevision._bits`). Sources never read more than the frames asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import _bits
from .errors import FormatError

__all__ = ["FrameSource", "StoredLayout", "ArraySource", "PositionedFile", "FileSource"]


class FrameSource(Protocol):
    """What a SpikeStream needs from its storage."""

    n_frames: int
    height: int
    width: int

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        """Canonical packed frames [start, stop) as (n, ceil(H*W/8)) uint8."""

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Display-oriented frames [start, stop) as (n, H, W) uint8 (0/1)."""


@dataclass(frozen=True)
class StoredLayout:
    """How frames sit in a byte buffer.

    Attributes:
        height, width: display size after dropping head columns.
        stored_width: pixels per stored row (width + head columns).
        header: bytes before every frame (e.g. a 16-byte time header).
        flip: stored rows are bottom-up (vidar ``.dat`` convention).
    """

    height: int
    width: int
    stored_width: int
    header: int = 0
    flip: bool = False

    @property
    def frame_bytes(self) -> int:
        return _bits.frame_nbytes(self.height, self.stored_width)

    @property
    def stride(self) -> int:
        return self.header + self.frame_bytes

    @property
    def canonical(self) -> bool:
        """True when stored bytes already are canonical packed frames."""
        return self.header == 0 and self.stored_width == self.width and not self.flip

    def decode(self, raw: np.ndarray, n: int, out: np.ndarray | None = None) -> np.ndarray:
        return _bits.decode_rows(
            raw, n, self.height, self.width, stride=self.stride, header=self.header,
            stored_width=self.stored_width, flip=self.flip, out=out,
        )

    def from_canonical(self, packed: np.ndarray) -> np.ndarray:
        """Lay canonical packed frames (n, F) out as stored frames (n, stride); headers and head columns are 0."""
        packed = np.asarray(packed, dtype=np.uint8)
        n = packed.shape[0]
        if self.canonical:
            return packed
        out = np.zeros((n, self.stride), dtype=np.uint8)
        if self.stored_width % 8 == 0 and self.width % 8 == 0:
            rows = packed.reshape(n, self.height, self.width // 8)
            if self.flip:
                rows = rows[:, ::-1]
            body = out[:, self.header:].reshape(n, self.height, self.stored_width // 8)
            body[:, :, : self.width // 8] = rows
            return out
        frames = _bits.unpack_frames(packed, self.height, self.width)
        if self.stored_width != self.width:
            wide = np.zeros((n, self.height, self.stored_width), dtype=np.uint8)
            wide[:, :, : self.width] = frames
            frames = wide
        out[:, self.header:] = _bits.pack_frames(frames, flip=self.flip)
        return out

    def count(self, raw: np.ndarray, n: int, counts: np.ndarray) -> None:
        """Add per-stored-pixel spike counts of ``n`` stored frames to ``counts`` (8 * frame_bytes,) int64.

        Counting needs no row order, so stored bytes are counted in place (no flip, no copy);
        :meth:`display_counts` maps the result to display pixels.
        """
        rows = np.asarray(raw).reshape(-1)[: n * self.stride].reshape(n, self.stride)
        _bits.count_bits(rows[:, self.header : self.header + self.frame_bytes], counts)

    def display_counts(self, counts: np.ndarray) -> np.ndarray:
        """(H, W) display-oriented view of per-stored-pixel counts from :meth:`count`."""
        c = counts[: self.height * self.stored_width].reshape(self.height, self.stored_width)[:, : self.width]
        return c[::-1] if self.flip else c

    def to_canonical(self, raw: np.ndarray, n: int) -> np.ndarray:
        if self.canonical:
            return np.asarray(raw).reshape(-1)[: n * self.stride].reshape(n, self.stride)
        return _bits.repack_rows(
            raw, n, self.height, self.width, stride=self.stride, header=self.header,
            stored_width=self.stored_width, flip=self.flip,
        )


class ArraySource:
    """Frames held in an in-memory (or memmapped) (N, stride) uint8 array."""

    def __init__(self, buffer: np.ndarray, layout: StoredLayout):
        buffer = np.asarray(buffer, dtype=np.uint8) if not isinstance(buffer, np.memmap) else buffer
        if buffer.ndim != 2 or buffer.shape[1] != layout.stride:
            raise ValueError(f"buffer must be (N, {layout.stride}) uint8, got {buffer.shape}")
        self.buffer = buffer
        self.layout = layout
        self.n_frames = buffer.shape[0]
        self.height = layout.height
        self.width = layout.width

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        return self.layout.to_canonical(self.buffer[start:stop], stop - start)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        return self.layout.decode(self.buffer[start:stop], stop - start, out=out)

    def read_stored(self, start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) as stored (n, stride) bytes, no copy."""
        return self.buffer[start:stop]


class PositionedFile:
    """A file read with positioned reads into one reused buffer.

    Positioned reads keep memory flat however long the file is (a memmap
    would grow the resident set with every page touched). Picklable: the
    descriptor is reopened by path, so streams travel to process pools.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._fd: int | None = None
        self._buf = np.empty(0, dtype=np.uint8)

    def _buffer(self, nbytes: int) -> np.ndarray:
        """A reused buffer of ``nbytes`` bytes (grown when needed)."""
        if self._buf.size < nbytes:
            self._buf = np.empty(nbytes, dtype=np.uint8)
        return self._buf[:nbytes]

    def _pread(self, view: memoryview, pos: int) -> None:
        """Fill ``view`` from byte ``pos``; short reads (pipes, network filesystems) are continued."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        got = 0
        while got < len(view):
            more = os.preadv(self._fd, [view[got:]], pos + got)
            if more == 0:
                raise FormatError(f"{self.path}: file shrank since it was opened (no bytes at {pos + got:,}); "
                                  f"reopen it with spikevision.open")
            got += more

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_fd"] = None
        state["_buf"] = np.empty(0, dtype=np.uint8)
        return state

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class FileSource(PositionedFile):
    """Frames in a flat binary file (vidar ``.dat``), read with positioned reads.

    :attr:`memmap` gives zero-copy random access when that is wanted.
    """

    def __init__(self, path: str | os.PathLike, layout: StoredLayout, n_frames: int, offset: int = 0):
        super().__init__(path)
        self.layout = layout
        self.n_frames = n_frames
        self.height = layout.height
        self.width = layout.width
        self.offset = offset

    def _read_raw(self, start: int, stop: int) -> np.ndarray:
        view = self._buffer((stop - start) * self.layout.stride)
        if view.size:
            self._pread(memoryview(view), self.offset + start * self.layout.stride)
        return view

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        packed = self.layout.to_canonical(self._read_raw(start, stop), stop - start)
        # a canonical layout returns a view of the reused read buffer: copy it out (repack_rows copies)
        return packed.copy() if self.layout.canonical else packed

    def read_stored(self, start: int, stop: int) -> np.ndarray:
        """Frames [start, stop) as stored bytes in a reused buffer (valid until the next read)."""
        return self._read_raw(start, stop)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        return self.layout.decode(self._read_raw(start, stop), stop - start, out=out)

    @property
    def memmap(self) -> np.ndarray:
        """Read-only (N, stride) memmap of the frames, for zero-copy random access."""
        if self.n_frames == 0:
            return np.zeros((0, self.layout.stride), dtype=np.uint8)
        return np.memmap(self.path, dtype=np.uint8, mode="r", offset=self.offset,
                         shape=(self.n_frames, self.layout.stride))
