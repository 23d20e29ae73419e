"""Compiled hot loops of the SPS100 / M1 line-packet codec (docs/formats.md).

All kernels take the unit order from :data:`~spikevision.io._raw_layout.UNIT_TABLE`
(passed in as arrays), never from a hard-coded order, so pinning a different
table changes nothing here. Pixel bits move as bytes: a left unit's 500 pixel
bits are display columns 0..499 (byte aligned), a right unit's are display
columns 500..999, which start at bit 4 of a display byte, hence the nibble
shifts. The NumPy twins in the tests (unpackbits / delete tag columns /
packbits) check every kernel bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np

from ._raw_layout import (
    EXPECTED_TAGS,
    FRAME_WIRE_BYTES,
    PACKED_FRAME_BYTES,
    START_TAG,
    TAG_MASK,
    UNIT_BYTES,
    UNIT_HALF,
    UNIT_ROW_BYTE,
)

__all__ = ["check_frames", "check_decode", "decode_frames", "encode_packed", "find_start"]


# Indices are unsigned on purpose: numba then skips its negative-index wraparound
# checks and LLVM vectorizes the byte loops (about 10x faster than signed indices).
_U62 = np.uint64(62)  # byte 62: pixel bits 496..499 in the low nibble, tag bits 0..3 in the high nibble
_U63 = np.uint64(63)  # byte 63: tag bits 4..11
_UNIT = np.uint64(UNIT_BYTES)
_ONE = np.uint64(1)
_LO = np.uint8(0x0F)
_HI = np.uint8(0xF0)
_FOUR = np.uint8(4)


@numba.njit(cache=True, nogil=True, inline="always")
def _first_bad(buf, s, expected, mask):
    """Index of the first unit of the frame at byte ``s`` whose tag differs from the table, or -1."""
    u = np.uint64(s) + _U62
    for p in range(expected.size):
        v = np.int64(buf[u]) | (np.int64(buf[u + _ONE]) << 8)
        if (v & mask) != expected[p]:
            return p
        u += _UNIT
    return -1


@numba.njit(cache=True, nogil=True, inline="always")
def _decode_one(buf, s, row_byte, half, out):
    """Pixel bits of the frame at byte ``s`` of ``buf`` -> one canonical packed frame ``out`` (125,000 B)."""
    u = np.uint64(s)
    for p in range(row_byte.size):
        o = np.uint64(row_byte[p])
        if half[p] == 0:  # display bytes o .. o+61 and the low nibble of o+62
            for j in range(_U62):
                out[o + j] = buf[u + j]
            out[o + _U62] = (out[o + _U62] & _HI) | (buf[u + _U62] & _LO)
        else:  # display bits from o*8 + 500: shifted up by 4 bits
            o2 = o + _U62
            out[o2] = (out[o2] & _LO) | np.uint8(buf[u] << _FOUR)
            for j in range(_ONE, _U63):
                out[o2 + j] = np.uint8((buf[u + j - _ONE] >> _FOUR) | np.uint8(buf[u + j] << _FOUR))
        u += _UNIT


@numba.njit(cache=True, nogil=True, inline="always")
def _encode_one(src, expected, row_byte, half, wire, base):
    u = np.uint64(base)
    for p in range(row_byte.size):
        o = np.uint64(row_byte[p])
        tag = expected[p]
        if half[p] == 0:
            for j in range(_U62):
                wire[u + j] = src[o + j]
            wire[u + _U62] = (src[o + _U62] & _LO) | np.uint8(tag & 0xF0)
        else:
            o2 = o + _U62
            for j in range(_U62):
                wire[u + j] = np.uint8((src[o2 + j] >> _FOUR) | np.uint8(src[o2 + j + _ONE] << _FOUR))
            wire[u + _U62] = (src[o2 + _U62] >> _FOUR) | np.uint8(tag & 0xF0)
        wire[u + _U63] = np.uint8((tag >> 8) & 0xFF)
        u += _UNIT


# Single-threaded on purpose: the kernels release the GIL, so callers overlap them
# with I/O or run several in threads; on a shared 2-core machine an OpenMP
# parallel loop spins on busy cores and costs far more than it saves.
@numba.njit(cache=True, nogil=True)
def _check_frames(buf, starts, expected, mask, bad):
    for f in range(starts.size):
        bad[f] = _first_bad(buf, starts[f], expected, mask)


@numba.njit(cache=True, nogil=True)
def _check_decode(buf, starts, expected, mask, row_byte, half, out, bad):
    for f in range(starts.size):
        b = _first_bad(buf, starts[f], expected, mask)
        bad[f] = b
        if b < 0:
            _decode_one(buf, starts[f], row_byte, half, out[f])


@numba.njit(cache=True, nogil=True)
def _decode_frames(buf, starts, row_byte, half, out):
    for f in range(starts.size):
        _decode_one(buf, starts[f], row_byte, half, out[f])


@numba.njit(cache=True, nogil=True)
def _encode(packed, expected, row_byte, half, wire):
    for f in range(packed.shape[0]):
        _encode_one(packed[f], expected, row_byte, half, wire, f * FRAME_WIRE_BYTES)


@numba.njit(cache=True, nogil=True)
def _find_start(buf, lo, hi, s_lo, s_hi):
    for s in range(lo, hi + 1):
        if buf[s + 63] == s_hi and (buf[s + 62] & 0xF0) == s_lo:
            return s
    return -1


_MASK = np.int64(TAG_MASK)
_EXPECTED = EXPECTED_TAGS.astype(np.int64)


def check_frames(buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """For frames starting at byte offsets ``starts`` of ``buf``: first unit with a wrong tag, or -1 if whole."""
    bad = np.empty(starts.size, dtype=np.int64)
    if starts.size:
        _check_frames(buf, starts, _EXPECTED, _MASK, bad)
    return bad


def check_decode(buf: np.ndarray, starts: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Like :func:`check_frames`, and decode every whole frame into ``out[f]`` (canonical packed)."""
    bad = np.empty(starts.size, dtype=np.int64)
    if starts.size:
        _check_decode(buf, starts, _EXPECTED, _MASK, UNIT_ROW_BYTE, UNIT_HALF, out, bad)
    return bad


def decode_frames(buf: np.ndarray, starts: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Decode frames at byte offsets ``starts`` of ``buf`` to canonical packed (n, 125000), tags unchecked."""
    if out is None:
        out = np.empty((starts.size, PACKED_FRAME_BYTES), dtype=np.uint8)
    if starts.size:
        _decode_frames(buf, starts, UNIT_ROW_BYTE, UNIT_HALF, out)
    return out


def encode_packed(packed: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Canonical packed 1000x1000 frames (n, 125000) uint8 -> 1-D wire bytes (n * 128000) with tags.

    ``out``: a 1-D uint8 buffer of at least ``n * 128000`` bytes to encode into (reused by
    writers); the result is then its first ``n * 128000`` bytes.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    nbytes = packed.shape[0] * FRAME_WIRE_BYTES
    wire = np.empty(nbytes, dtype=np.uint8) if out is None else out[:nbytes]
    if packed.shape[0]:
        _encode(packed, _EXPECTED, UNIT_ROW_BYTE, UNIT_HALF, wire)
    return wire


def find_start(buf: np.ndarray, lo: int, hi: int) -> int:
    """First candidate frame start ``s`` in ``[lo, hi]``: a unit tagged (500, 0) at byte ``s``, or -1.

    A candidate is only taken once all 2000 tags of the frame from ``s`` follow the table
    (:func:`check_frames`): pixel bits that mimic one tag are 1 in 4096 byte offsets of noise, and
    mimicking 2000 tags 64 bytes apart is out of reach, so the previous frame's end marker is not
    needed (a frame after garbage or after a lost end-marker unit is kept). Needs
    ``hi + UNIT_BYTES <= buf.size``.
    """
    if hi < lo:
        return -1
    return int(_find_start(buf, lo, hi, START_TAG & 0xF0, START_TAG >> 8))

