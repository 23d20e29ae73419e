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

import numba
import numpy as np

from . import _bits
from .errors import FormatError

__all__ = ["FrameSource", "StoredLayout", "ArraySource", "PositionedFile", "FileSource", "CropSource",
           "decode_window"]


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

    def window_bits(self, r0: int, r1: int, c0: int, c1: int) -> tuple[int, int]:
        """Bits [lo, hi) of a stored frame (header included) that hold display rows r0..r1-1, columns c0..c1-1.

        ``lo`` is the bit of pixel (r0, c0) without flip, of (r1-1, c0) with flip (the first stored row
        of the window); ``hi`` ends after column c1-1 of the last stored row of the window.
        """
        first = self.height - r1 if self.flip else r0
        lo = self.header * 8 + first * self.stored_width + c0
        return lo, lo + (r1 - r0 - 1) * self.stored_width + (c1 - c0)

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

    def read_window(self, start: int, stop: int, rows: tuple[int, int], cols: tuple[int, int]):
        """Stored bytes of frames [start, stop) that hold a window; see :meth:`FileSource.read_window`."""
        lo, _ = self.layout.window_bits(*rows, *cols)
        return np.ascontiguousarray(self.buffer[start:stop]).reshape(-1), self.layout.stride, lo


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

    def read_window(self, start: int, stop: int, rows: tuple[int, int], cols: tuple[int, int]):
        """Read only the bytes of frames [start, stop) that hold display rows ``rows``, columns ``cols``.

        Returns ``(raw, stride, bit0)``: frame i of the window starts at bit ``8 * i * stride + bit0`` of
        the flat uint8 buffer ``raw`` (a reused buffer, valid until the next read); stored rows follow
        ``layout.stored_width`` bits apart. When the window's bytes are at least half a frame, the frames
        are read in one positioned read (the gaps between windows included); otherwise one read per frame
        fetches only the window's byte range.
        """
        n, stride = stop - start, self.layout.stride
        lo_bit, hi_bit = self.layout.window_bits(*rows, *cols)
        lo, hi = lo_bit // 8, -(-hi_bit // 8)
        span = hi - lo
        if n <= 1 or 2 * span >= stride:
            view = self._buffer(max(0, (n - 1) * stride + span))
            if n:
                self._pread(memoryview(view), self.offset + start * stride + lo)
            return view, stride, lo_bit - 8 * lo
        view = self._buffer(n * span)
        mv = memoryview(view)
        pos = self.offset + start * stride + lo
        for i in range(n):
            self._pread(mv[i * span: (i + 1) * span], pos + i * stride)
        return view, span, lo_bit - 8 * lo

    @property
    def memmap(self) -> np.ndarray:
        """Read-only (N, stride) memmap of the frames, for zero-copy random access."""
        if self.n_frames == 0:
            return np.zeros((0, self.layout.stride), dtype=np.uint8)
        return np.memmap(self.path, dtype=np.uint8, mode="r", offset=self.offset,
                         shape=(self.n_frames, self.layout.stride))


@numba.njit(cache=True, nogil=True)
def _decode_window(raw, f0, f1, stride, bit0, row_bits, h, w, flip, out):
    for f in range(f0, f1):
        fb = f * stride * 8 + bit0
        for r in range(h):
            k = fb + ((h - 1 - r) if flip else r) * row_bits
            c = 0
            while c < w and (k + c) & 7:  # bits up to the next byte boundary
                kk = k + c
                out[f, r, c] = (raw[kk >> 3] >> (kk & 7)) & 1
                c += 1
            b = (k + c) >> 3
            while c + 8 <= w:  # whole bytes
                v = raw[b]
                for i in range(8):
                    out[f, r, c + i] = (v >> i) & 1
                c += 8
                b += 1
            while c < w:
                kk = k + c
                out[f, r, c] = (raw[kk >> 3] >> (kk & 7)) & 1
                c += 1


@numba.njit(cache=True, nogil=True)
def _decode_window_aligned(raw, f0, f1, stride, byte0, row_bytes, h, wb, flip, lut, out64):
    for f in range(f0, f1):
        fb = f * stride + byte0
        for r in range(h):
            base = fb + ((h - 1 - r) if flip else r) * row_bytes
            j = f * h + r
            for b in range(wb):
                out64[j, b] = lut[raw[base + b]]


@numba.njit(parallel=True, cache=True, nogil=True)
def _decode_window_parallel(raw, n, n_chunks, stride, bit0, row_bits, h, w, flip, out):
    size = (n + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        _decode_window(raw, c * size, min(n, (c + 1) * size), stride, bit0, row_bits, h, w, flip, out)


@numba.njit(parallel=True, cache=True, nogil=True)
def _decode_window_aligned_parallel(raw, n, n_chunks, stride, byte0, row_bytes, h, wb, flip, lut, out64):
    size = (n + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        _decode_window_aligned(raw, c * size, min(n, (c + 1) * size), stride, byte0, row_bytes, h, wb, flip, lut,
                               out64)


def decode_window(raw: np.ndarray, n: int, stride: int, bit0: int, row_bits: int, height: int, width: int,
                  flip: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """Decode a (n, height, width) window of packed frames (LSB-first bits) to uint8 0/1.

    Pixel (f, r, c) is bit ``8 * f * stride + bit0 + s * row_bits + c`` of the flat buffer ``raw``,
    with ``s = height - 1 - r`` when ``flip`` (rows stored bottom-up, vidar ``.dat``) and ``s = r``
    otherwise.
    """
    if out is None:
        out = np.empty((n, height, width), dtype=np.uint8)
    elif out.shape != (n, height, width) or out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint8 array of shape {(n, height, width)}")
    if n:
        last = 8 * (n - 1) * stride + bit0 + (height - 1) * row_bits + width
        raw = np.ascontiguousarray(raw).reshape(-1)
        if bit0 < 0 or raw.size * 8 < last:
            raise ValueError(f"buffer of {raw.size} bytes is too small for {n} windows")
        chunks = min(n, _bits._n_chunks(n * height * width))  # threads only for large reads
        if bit0 % 8 == 0 and row_bits % 8 == 0 and width % 8 == 0:  # whole bytes: 8 pixels per look-up
            out64 = out.reshape(n * height, width).view(np.uint64)
            args = (raw, stride, bit0 // 8, row_bits // 8, height, width // 8, flip, _bits.LUT64, out64)
            if chunks > 1:
                _decode_window_aligned_parallel(args[0], n, chunks, *args[1:])
            else:
                _decode_window_aligned(args[0], 0, n, *args[1:])
        elif chunks > 1:
            _decode_window_parallel(raw, n, chunks, stride, bit0, row_bits, height, width, flip, out)
        else:
            _decode_window(raw, 0, n, stride, bit0, row_bits, height, width, flip, out)
    return out


class CropSource:
    """A rectangle (rows r0..r1-1, columns c0..c1-1, display orientation) of every frame of another source.

    Sources that can (``read_window``: ``.dat`` files and in-memory buffers) read only the bytes
    of the rectangle; others (HDF5 chunks hold whole frames) read whole packed frames and
    decode only the rectangle.
    """

    def __init__(self, base: FrameSource, rows: tuple[int, int], cols: tuple[int, int]):
        if isinstance(base, CropSource):  # a crop of a crop is one crop of the original
            rows = (base.rows[0] + rows[0], base.rows[0] + rows[1])
            cols = (base.cols[0] + cols[0], base.cols[0] + cols[1])
            base = base.base
        if not (0 <= rows[0] < rows[1] <= base.height and 0 <= cols[0] < cols[1] <= base.width):
            raise ValueError(f"crop rows {rows[0]}..{rows[1]}, columns {cols[0]}..{cols[1]} is empty or outside "
                             f"the {base.height}x{base.width} frame")
        self.base = base
        self.rows, self.cols = (int(rows[0]), int(rows[1])), (int(cols[0]), int(cols[1]))
        self.n_frames = base.n_frames
        self.height = self.rows[1] - self.rows[0]
        self.width = self.cols[1] - self.cols[0]

    def _window(self, start: int, stop: int):
        """(raw, stride, bit0, row_bits, flip) of frames [start, stop); see :func:`decode_window`."""
        read_window = getattr(self.base, "read_window", None)
        if read_window is not None:
            raw, stride, bit0 = read_window(start, stop, self.rows, self.cols)
            layout = self.base.layout
            return raw, stride, bit0, layout.stored_width, layout.flip
        packed = self.base.read_packed(start, stop)
        bit0 = self.rows[0] * self.base.width + self.cols[0]
        return packed.reshape(-1), packed.shape[1] if packed.ndim == 2 else 0, bit0, self.base.width, False

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        raw, stride, bit0, row_bits, flip = self._window(start, stop)
        return decode_window(raw, stop - start, stride, bit0, row_bits, self.height, self.width, flip, out)

    def count(self, start: int, stop: int, counts: np.ndarray) -> None:
        """Add the per-pixel spike counts of frames [start, stop) to ``counts`` ((H, W) int64 of the crop).

        Stored rows a whole number of bytes apart (every real sensor) are counted from the packed
        window bytes, 8 pixels per add (:func:`spikevision._bits.count_bits`); others are decoded first.
        """
        n = stop - start
        if n <= 0:
            return
        raw, stride, bit0, row_bits, flip = self._window(start, stop)
        if row_bits % 8:
            counts += self.read_frames(start, stop).sum(axis=0, dtype=np.int64)
            return
        byte0, off = divmod(bit0, 8)
        row_bytes, wb = row_bits // 8, (off + self.width + 7) // 8
        raw = np.ascontiguousarray(raw).reshape(-1)
        if byte0 + (n - 1) * stride + (self.height - 1) * row_bytes + wb > raw.size:
            raise ValueError(f"buffer of {raw.size} bytes is too small for {n} windows")
        rows = np.lib.stride_tricks.as_strided(raw[byte0:], shape=(n, self.height, wb),
                                               strides=(stride, row_bytes, 1), writeable=False)
        bits = _bits.count_bits(rows.reshape(n, self.height * wb), np.zeros(self.height * wb * 8, np.int64))
        c = bits.reshape(self.height, wb * 8)[:, off: off + self.width]
        counts += c[::-1] if flip else c

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        frames = self.read_frames(start, stop)
        if not frames.shape[0]:
            return np.zeros((0, _bits.frame_nbytes(self.height, self.width)), dtype=np.uint8)
        return _bits.pack_frames(frames)

    def close(self) -> None:
        close = getattr(self.base, "close", None)
        if close:
            close()
