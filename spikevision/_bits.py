"""Bit packing kernels shared by every reader, writer and streaming consumer.

Canonical packed layout (used by :class:`~spikevision.stream.SpikeStream`,
the HDF5 container and camera blocks): each frame is the display-oriented
(H, W) bit plane flattened row-major, pixel ``k = r * W + c`` stored in bit
``k % 8`` of byte ``k // 8`` counting from the least significant bit, i.e.
``np.packbits(frame.ravel(), bitorder="little")``. A frame takes
``ceil(H * W / 8)`` bytes. The vidar ``.dat`` layout is the same bit order with
file rows stored bottom-up; :func:`decode_rows` reads both.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

__all__ = [
    "LUT64",
    "as_bytes",
    "frame_nbytes",
    "pack_frames",
    "unpack_frames",
    "decode_rows",
    "repack_rows",
    "count_bits",
    "count_block",
]

# LUT[b] holds the 8 output bytes (0/1) of byte b, LSB first, as one
# little-endian uint64, so one table look-up writes 8 pixels.
LUT64 = np.zeros(256, dtype=np.uint64)
for _b in range(256):
    _v = 0
    for _i in range(8):
        if (_b >> _i) & 1:
            _v |= 1 << (8 * _i)
    LUT64[_b] = _v
del _b, _v, _i


def as_bytes(data) -> np.ndarray:
    """A flat uint8 view (or contiguous copy) of wire bytes: bytes, bytearray, memoryview or a NumPy array."""
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    try:
        return np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    except TypeError:
        raise TypeError(f"expected wire bytes (bytes, bytearray, memoryview or a NumPy array), "
                        f"got {type(data).__name__}") from None


def frame_nbytes(height: int, width: int) -> int:
    """Bytes of one packed frame in the canonical layout."""
    return (height * width + 7) // 8


#: Below this many output pixels kernels run on the calling thread: waking the
#: worker pool costs more than it saves, and spinning workers hurt on busy cores.
PARALLEL_MIN_PIXELS = 1 << 22


def _n_chunks(pixels: int) -> int:
    return numba.get_num_threads() * 4 if pixels >= PARALLEL_MIN_PIXELS else 1


@numba.njit(cache=True, nogil=True)
def _decode_aligned_rows(raw, j0, j1, stride, header, row_bytes, h, wb, flip, lut, out64):
    for j in range(j0, j1):
        f = j // h
        r = j - f * h
        sr = h - 1 - r if flip else r
        base = f * stride + header + sr * row_bytes
        for b in range(wb):
            out64[j, b] = lut[raw[base + b]]


@numba.njit(parallel=True, cache=True, nogil=True)
def _decode_aligned_parallel(raw, n_chunks, stride, header, row_bytes, h, wb, flip, lut, out64):
    total = out64.shape[0]
    size = (total + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        _decode_aligned_rows(raw, c * size, min(total, (c + 1) * size), stride, header, row_bytes, h, wb, flip,
                             lut, out64)


@numba.njit(cache=True, nogil=True)
def _decode_bits_rows(raw, j0, j1, stride, header, stored_w, h, w, flip, out):
    for j in range(j0, j1):
        f = j // h
        r = j - f * h
        sr = h - 1 - r if flip else r
        fbase = f * stride + header
        k = sr * stored_w
        for c in range(w):
            kk = k + c
            out[f, r, c] = (raw[fbase + (kk >> 3)] >> (kk & 7)) & 1


@numba.njit(parallel=True, cache=True, nogil=True)
def _decode_bits_parallel(raw, n_chunks, stride, header, stored_w, h, w, flip, out):
    total = out.shape[0] * h
    size = (total + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        _decode_bits_rows(raw, c * size, min(total, (c + 1) * size), stride, header, stored_w, h, w, flip, out)


def decode_rows(
    raw: np.ndarray,
    n: int,
    height: int,
    width: int,
    *,
    stride: int | None = None,
    header: int = 0,
    stored_width: int | None = None,
    flip: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Decode ``n`` packed frames into a (n, height, width) uint8 array.

    Args:
        raw: 1-D uint8 buffer holding ``n`` frames, ``stride`` bytes apart.
        n: number of frames.
        height, width: output (display) size.
        stride: bytes from one frame to the next (default: packed frame size).
        header: bytes to skip at the start of every frame (e.g. 16 for a time header).
        stored_width: pixels per stored row; columns ``width..stored_width-1``
            are dropped (e.g. 416 stored, 400 kept: the vidar "head" columns).
        flip: stored rows are bottom-up (vidar ``.dat``); display row r is stored row H-1-r.
        out: optional preallocated C-contiguous (n, height, width) uint8 output.
    """
    sw = width if stored_width is None else stored_width
    if stride is None:
        stride = header + frame_nbytes(height, sw)
    if out is None:
        out = np.empty((n, height, width), dtype=np.uint8)
    elif out.shape != (n, height, width) or out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint8 array of shape {(n, height, width)}")
    if n == 0:
        return out
    raw = np.ascontiguousarray(raw).reshape(-1)
    if raw.size < (n - 1) * stride + header + frame_nbytes(height, sw):
        raise ValueError(f"buffer of {raw.size} bytes is too small for {n} frames")
    chunks = _n_chunks(n * height * width)
    if sw % 8 == 0 and width % 8 == 0:
        out64 = out.reshape(n * height, width).view(np.uint64)
        if chunks == 1:
            _decode_aligned_rows(raw, 0, n * height, stride, header, sw // 8, height, width // 8, flip, LUT64, out64)
        else:
            _decode_aligned_parallel(raw, chunks, stride, header, sw // 8, height, width // 8, flip, LUT64, out64)
    elif chunks == 1:
        _decode_bits_rows(raw, 0, n * height, stride, header, sw, height, width, flip, out)
    else:
        _decode_bits_parallel(raw, chunks, stride, header, sw, height, width, flip, out)
    return out


def unpack_frames(packed: np.ndarray, height: int, width: int, out: np.ndarray | None = None) -> np.ndarray:
    """Unpack canonical packed frames (n, F) into (n, H, W) uint8."""
    packed = np.asarray(packed, dtype=np.uint8)
    if packed.ndim == 1:
        packed = packed.reshape(1, -1)
    n = packed.shape[0]
    f = frame_nbytes(height, width)
    if packed.shape[1] != f:
        raise ValueError(f"packed frames have {packed.shape[1]} bytes, expected {f} for {height}x{width}")
    return decode_rows(packed, n, height, width, out=out)


def pack_frames(frames: np.ndarray, *, flip: bool = False) -> np.ndarray:
    """Pack (n, H, W) spikes (nonzero = spike) into canonical (n, ceil(H*W/8)) bytes.

    With ``flip=True`` rows are written bottom-up (the vidar ``.dat`` layout).
    """
    frames = np.asarray(frames)
    if frames.ndim == 2:
        frames = frames[None]
    if frames.ndim != 3:
        raise ValueError(f"expected (T, H, W) spikes, got shape {frames.shape}")
    if flip:
        frames = frames[:, ::-1]
    if frames.dtype.kind not in "biu":  # np.packbits reads any nonzero integer as 1; floats need a test
        frames = frames != 0
    return np.packbits(frames.reshape(frames.shape[0], -1), axis=1, bitorder="little")


def repack_rows(
    raw: np.ndarray, n: int, height: int, width: int, *, stride: int, header: int, stored_width: int, flip: bool
) -> np.ndarray:
    """Convert stored frames (any header/head columns/flip) to new canonical packed frames (never a view)."""
    row_b = stored_width // 8
    if stored_width % 8 == 0 and width % 8 == 0:
        raw = np.asarray(raw).reshape(-1)[: n * stride].reshape(n, stride)
        rows = raw[:, header : header + height * row_b].reshape(n, height, row_b)
        if flip:
            rows = rows[:, ::-1]
        return rows[:, :, : width // 8].copy().reshape(n, -1)  # always a new array, never a view of ``raw``
    frames = decode_rows(raw, n, height, width, stride=stride, header=header, stored_width=stored_width, flip=flip)
    return pack_frames(frames)


@numba.njit(cache=True, nogil=True)
def _count_bits_columns(packed, b0, b1, lut, counts):
    # Each uint64 "lane" holds 8 byte-sized counters (one per bit of a packed
    # byte): adding LUT[v] counts 8 pixels at once. Lanes are flushed to int64
    # before any byte counter can pass 255.
    n = packed.shape[0]
    if b0 >= b1:
        return
    lanes = np.zeros(b1 - b0, dtype=np.uint64)
    for i0 in range(0, n, 255):
        i1 = min(n, i0 + 255)
        for i in range(i0, i1):
            for b in range(b0, b1):
                lanes[b - b0] += lut[packed[i, b]]
        for b in range(b0, b1):
            v = lanes[b - b0]
            for k in range(8):
                counts[8 * b + k] += (v >> np.uint64(8 * k)) & np.uint64(0xFF)
            lanes[b - b0] = 0


@numba.njit(cache=True, nogil=True)
def _count_bits_planes(packed, planes, counts, add):
    # Bit plane k of every byte is counted in its own uint8 row (``planes[k]``): the
    # shift-and-add runs along a packed row and vectorises (32-64 bytes per instruction),
    # where the LUT form gathers. Rows of at most 255 frames at a time, so no counter
    # wraps; each plane row stays in L1 while the frames stream past it.
    n, f = packed.shape
    if not add:
        counts[:] = 0
    for i0 in range(0, n, 255):
        i1 = min(n, i0 + 255)
        for k in range(8):
            a = planes[k]
            a[:] = 0
            for i in range(i0, i1):
                row = packed[i]
                for b in range(f):
                    a[b] += (row[b] >> k) & 1
        for b in range(f):
            for k in range(8):
                counts[8 * b + k] += planes[k, b]


@numba.njit(parallel=True, cache=True, nogil=True)
def _count_bits_parallel(packed, lut, counts, n_chunks):
    f = packed.shape[1]
    width = (f + n_chunks - 1) // n_chunks
    for c in numba.prange(n_chunks):
        _count_bits_columns(packed, c * width, min(f, (c + 1) * width), lut, counts)


def count_block(packed: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write per-pixel spike counts of C-contiguous packed frames (n, F) into ``out`` (8*F,), any numeric dtype.

    The fast path for short blocks (e.g. 40 frames): no int64 tally, no conversion pass.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    if packed.ndim != 2 or out.shape != (packed.shape[1] * 8,):
        raise ValueError("count_block: out must have 8 entries per packed byte")
    _count_bits_planes(packed, _planes(packed.shape[1]), out, False)
    return out


_PLANES: dict[tuple[int, int], np.ndarray] = {}


def _planes(nbytes: int) -> np.ndarray:
    """The (8, nbytes) uint8 scratch of the bit-plane counter, one per frame size and thread."""
    key = (nbytes, threading.get_ident())
    if key not in _PLANES:
        if len(_PLANES) > 32:
            _PLANES.clear()
        _PLANES[key] = np.empty((8, nbytes), np.uint8)
    return _PLANES[key]


def count_bits(packed: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Add per-pixel spike counts of packed frames (n, F) to ``counts`` (8*F,) int64.

    ``packed`` may be a strided view (e.g. frames with their headers sliced off): it is not copied.
    """
    packed = np.asarray(packed, dtype=np.uint8)
    if packed.ndim != 2 or counts.shape != (packed.shape[1] * 8,):
        raise ValueError("count_bits: counts must have 8 entries per packed byte")
    chunks = _n_chunks(packed.size * 8)
    if chunks == 1 and packed.flags.c_contiguous:
        _count_bits_planes(packed, _planes(packed.shape[1]), counts, True)
    elif chunks == 1:
        _count_bits_columns(packed, 0, packed.shape[1], LUT64, counts)
    else:
        _count_bits_parallel(packed, LUT64, counts, chunks)
    return counts
