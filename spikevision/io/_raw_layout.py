"""SPS100 / M1 line-packet wire layout: sizes, tag bits and the unit table (docs/formats.md).

A unit is 64 bytes = 512 bits, LSB first: bits 0..499 are pixels, bits
500..511 the tag. Read the unit's last two bytes as a little-endian u16 ``v``:
``line = (v >> 4) & 0x3FF`` (1..500) and ``channel = (v >> 14) & 0x3``. The low
nibble of byte 62 (``v & 0xF``) holds pixel bits 496..499.

The model used by spikevision (the only part not fixed by public documents
lives in :data:`UNIT_TABLE`):

- the 128,000 wire bytes of a frame are the raw 1000 x 1024-bit frame itself,
  row after row; each 128-byte raw row is two units (left half = raw columns
  0..511, right half = raw columns 512..1023), so each unit's tag bits are the
  raw tag columns 500..511 or 1012..1023;
- removing those tag columns leaves the 1000 x 1000 display frame: display
  columns 0..499 come from the left unit, 500..999 from the right unit
  (display = raw rows, no flip);
- which (line, channel) tag each of the 2000 units of a frame carries, and in
  which order the units come, is :data:`UNIT_TABLE`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "HEIGHT", "WIDTH", "RAW_WIDTH", "UNIT_BYTES", "UNIT_PIXELS", "UNITS_PER_FRAME", "LINES", "CHANNELS",
    "FRAME_WIRE_BYTES", "PACKED_FRAME_BYTES", "ROW_BYTES", "UNIT_TABLE", "TAG_MASK", "START_TAG", "END_TAG",
    "tag_value", "unit_tags", "table_index",
]

HEIGHT = 1000  #: display rows
WIDTH = 1000  #: display columns (raw width minus the 2 x 12 tag columns)
RAW_WIDTH = 1024  #: raw bits per row, tag columns included
UNIT_BYTES = 64  #: bytes per line-packet unit (500 pixel bits + 12 tag bits)
UNIT_PIXELS = 500  #: pixel bits per unit
UNITS_PER_FRAME = 2000  #: 500 lines x 4 channels
LINES = 500  #: line numbers run 1..500
CHANNELS = 4  #: channel numbers run 0..3
FRAME_WIRE_BYTES = UNITS_PER_FRAME * UNIT_BYTES  #: 128,000 wire bytes per frame
ROW_BYTES = RAW_WIDTH // 8  #: 128 raw bytes per row (two units)
PACKED_FRAME_BYTES = HEIGHT * WIDTH // 8  #: 125,000 canonical packed bytes per frame
TAG_MASK = 0xFFF0  #: the 12 tag bits of the u16 read from a unit's last two bytes


def tag_value(line, channel):
    """The tag bits of ``(line, channel)`` as they sit in the little-endian u16 of a unit's last two bytes.

    Works on ints and on integer arrays: ``(line << 4) | (channel << 14)``.
    """
    return (line << 4) | (channel << 14)


START_TAG = tag_value(500, 0)  #: first unit of every frame: (line 500, channel 0)
END_TAG = tag_value(500, 3)  #: last unit of every frame: (line 500, channel 3)


def _build_unit_table() -> np.ndarray:
    rows = np.repeat(np.arange(HEIGHT), 2)
    half = np.tile(np.arange(2), HEIGHT)
    bottom = rows >= HEIGHT // 2
    line = np.where(bottom, rows - (HEIGHT // 2 - 1), HEIGHT // 2 - rows)
    channel = half + 2 * bottom
    table = np.stack([line, channel, rows, half], axis=1).astype(np.int16)
    table.flags.writeable = False
    return table


UNIT_TABLE: np.ndarray = _build_unit_table()
"""Wire order of the 2000 units of a frame: row ``p`` = the p-th unit after the frame start.

Columns: ``line`` (1..500), ``channel`` (0..3), ``row`` (display/raw row 0..999),
``half`` (0: raw columns 0..511 -> display 0..499; 1: raw 512..1023 -> display 500..999).

The mapping of (line, channel) tags to rows and the order of units between the
frame markers are NOT publicly documented. This table is the one place that
holds them; the encoder, the parser, the file reader and the tests all read it.
Model chosen here: units arrive in raw-row order (row 0 left, row 0 right,
row 1 left, ...), so a frame's wire bytes are its raw 1000 x 1024 frame; the
top half of the sensor is read by channels 0 (left) and 1 (right) with lines
counted from the sensor's horizontal midline outwards (row 0 = line 500,
row 499 = line 1), the bottom half by channels 2 (left) and 3 (right)
(row 500 = line 1, row 999 = line 500). Hence the first unit is (500, 0), the
last is (500, 3) and every (line, channel) pair appears exactly once.

To pin it on a real camera: capture a few frames of a known, asymmetric scene
(e.g. a card covering the top-left quadrant, or a bright bar moved along one
edge), list the tags with :func:`unit_tags` on the 2000 units that follow a
(500, 3) -> (500, 0) marker pair, and note which rows/halves light up for each
(line, channel). Replace :func:`_build_unit_table` with that order (keeping the
four columns), save a few frames of the capture as a golden file in the tests,
and every codec path follows.
"""


def _check_table(table: np.ndarray) -> None:
    assert table.shape == (UNITS_PER_FRAME, 4)
    tags = table[:, 0].astype(np.int64) * CHANNELS + table[:, 1]
    assert np.unique(tags).size == UNITS_PER_FRAME, "every (line, channel) pair must appear once per frame"
    slots = table[:, 2].astype(np.int64) * 2 + table[:, 3]
    assert np.unique(slots).size == UNITS_PER_FRAME, "every (row, half) must be filled once per frame"
    assert tuple(table[0, :2]) == (LINES, 0) and tuple(table[-1, :2]) == (LINES, 3), "frame markers"
    assert table[:, 0].min() >= 1 and table[:, 0].max() <= LINES


_check_table(UNIT_TABLE)

#: expected masked tag (u16) of the p-th unit of a frame
EXPECTED_TAGS: np.ndarray = tag_value(UNIT_TABLE[:, 0].astype(np.int64),
                                      UNIT_TABLE[:, 1].astype(np.int64)).astype(np.uint16)
#: first display byte of the p-th unit's row in a canonical packed frame
UNIT_ROW_BYTE: np.ndarray = (UNIT_TABLE[:, 2].astype(np.int64) * (WIDTH // 8))
#: 0 = left unit (display columns 0..499), 1 = right unit (500..999)
UNIT_HALF: np.ndarray = UNIT_TABLE[:, 3].astype(np.int64)

_INDEX_OF_TAG = np.full(1 << 12, -1, dtype=np.int64)
_INDEX_OF_TAG[EXPECTED_TAGS.astype(np.int64) >> 4] = np.arange(UNITS_PER_FRAME)
_INDEX_OF_TAG.flags.writeable = False


def unit_tags(data: bytes | bytearray | memoryview | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(line, channel) of every whole 64-byte unit in ``data`` (units taken from byte 0).

    Example:
        >>> from spikevision.io import raw
        >>> lines, channels = raw.unit_tags(raw.encode_frames(np.zeros((1, 1000, 1000), np.uint8)))
        >>> (int(lines[0]), int(channels[0])), (int(lines[-1]), int(channels[-1]))
        ((500, 0), (500, 3))
    """
    buf = np.frombuffer(data, dtype=np.uint8) if not isinstance(data, np.ndarray) else data.reshape(-1)
    n = buf.size // UNIT_BYTES
    u = buf[: n * UNIT_BYTES].reshape(n, UNIT_BYTES)
    v = u[:, 62].astype(np.uint16) | (u[:, 63].astype(np.uint16) << 8)
    return ((v >> 4) & 0x3FF).astype(np.int16), ((v >> 14) & 0x3).astype(np.int8)


def table_index(line: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Position in :data:`UNIT_TABLE` of each (line, channel) tag, or -1 for a tag that is not in it."""
    line = np.asarray(line, dtype=np.int64)
    channel = np.asarray(channel, dtype=np.int64)
    ok = (line >= 0) & (line < 1024) & (channel >= 0) & (channel < CHANNELS)
    key = np.where(ok, (line | (channel << 10)), 0)
    return np.where(ok, _INDEX_OF_TAG[key], -1)
