"""SPS100 / M1 raw line packets (docs/formats.md): streaming codec and ``.raw``/``.bin`` files.

Wire format: a sequence of 64-byte units, each 500 pixel bits (LSB first)
plus a 12-bit tag in bits 500..511; the unit's last two bytes, read as a
little-endian u16 ``v``, give ``line = (v >> 4) & 0x3FF`` (1..500) and
``channel = (v >> 14) & 0x3``. 2000 units (500 lines x 4 channels) make a
frame of 1000 rows x 1024 raw bits (128,000 bytes); dropping the tag columns
500..511 and 1012..1023 leaves the 1000 x 1000 display frame (not flipped).
A frame starts with a unit tagged (500, 0) and ends with one tagged (500, 3).

Model (the tag-to-row mapping is not public; it lives in :data:`UNIT_TABLE`
and nowhere else): a frame's 2000 units come in raw-row order, two per row
(left unit = raw columns 0..511 -> display 0..499, right unit = raw columns
512..1023 -> display 500..999), so a frame's wire bytes are its raw frame.
Channels 0/1 read the top half (left/right), 2/3 the bottom half, with line
numbers counted from the horizontal midline outwards: row 0 is (500, 0) and
(500, 1), row 499 is line 1 of channels 0/1, row 500 line 1 of channels 2/3,
row 999 is (500, 2) and (500, 3).

Parsing (:class:`LinePacketParser`) locks on a frame start (a unit tagged
(500, 0), at any byte offset) only when all 2000 tags of the frame follow the table;
a lost, extra or corrupted unit tears the frame: it is dropped, counted, and
the parser relocks at the next intact frame. Tags carry no frame number, so a
loss of exactly k x 128,000 bytes cannot be seen in the data; transports that
know their losses feed that many zero bytes instead. The readout rate is not
in the file: ``fps`` is metadata (default 20000 Hz).

Example:
    >>> import numpy as np, spikevision as sv
    >>> x = (np.random.default_rng(0).random((4, 1000, 1000)) < 0.1).astype(np.uint8)
    >>> sv.save("clip.raw", x)                             # doctest: +SKIP
    >>> s = sv.open("clip.raw", fps=40000)                 # doctest: +SKIP
    >>> bool((s.unpack() == x).all())                      # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from .. import _bits
from ..errors import FormatError
from ..stream import DEFAULT_FPS, SpikeStream, StreamMeta
from ._atomic import atomic_path
from ._boundary import content_errors, regular_file
from ._raw_kernels import encode_packed as _encode_packed
from ._raw_layout import (
    FRAME_WIRE_BYTES,
    HEIGHT,
    PACKED_FRAME_BYTES,
    RAW_WIDTH,
    UNIT_BYTES,
    UNIT_TABLE,
    UNITS_PER_FRAME,
    WIDTH,
    table_index,
    tag_value,
    unit_tags,
)
from ._raw_parser import LinePacketParser, RawStats
from ._raw_source import RawFileSource, index_file

__all__ = [
    "HEIGHT", "WIDTH", "RAW_WIDTH", "UNIT_BYTES", "UNITS_PER_FRAME", "FRAME_WIRE_BYTES", "PACKED_FRAME_BYTES",
    "UNIT_TABLE", "encode_frames", "encode_packed", "unit_tags", "tag_value", "table_index", "LinePacketParser",
    "RawStats", "RawFileSource",
    "read", "write", "sniff", "OPTIONS", "WRITE_OPTIONS",
]

log = logging.getLogger(__name__)

OPTIONS = ("fps", "strict")
WRITE_OPTIONS = ()

_WRITE_BLOCK_FRAMES = 64  # frames encoded per write (8 MB of wire bytes)

_MODEL = "raw-row order; ch0/1 top, ch2/3 bottom; lines from the midline (spikevision.io.raw.UNIT_TABLE)"


def encode_packed(packed: np.ndarray) -> np.ndarray:
    """Canonical packed 1000x1000 frames (n, 125000) uint8 -> 1-D wire bytes (n * 128000) with proper tags."""
    packed = np.asarray(packed)
    if packed.ndim == 1 and packed.size % PACKED_FRAME_BYTES == 0:
        packed = packed.reshape(-1, PACKED_FRAME_BYTES)
    if packed.ndim != 2 or packed.shape[1] != PACKED_FRAME_BYTES or packed.dtype != np.uint8:
        raise FormatError(f"expected canonical packed 1000x1000 frames as (n, {PACKED_FRAME_BYTES}) uint8, got "
                          f"{packed.dtype} {packed.shape}; pack (T, 1000, 1000) spikes with encode_frames instead")
    return _encode_packed(packed)


def encode_frames(frames: np.ndarray) -> np.ndarray:
    """Encode (T, 1000, 1000) display frames (nonzero = spike) as SPS100/M1 wire bytes.

    Args:
        frames: (T, 1000, 1000) or one (1000, 1000) frame, any dtype.

    Returns:
        1-D uint8 array of ``T * 128000`` bytes: 2000 tagged 64-byte units per
        frame in :data:`UNIT_TABLE` order.
    """
    frames = np.asarray(frames)
    if frames.ndim == 2:
        frames = frames[None]
    if frames.ndim != 3 or frames.shape[1:] != (HEIGHT, WIDTH):
        raise FormatError(f"SPS100/M1 line packets carry 1000x1000 frames, got an array of shape {frames.shape}; "
                          f"pass (T, 1000, 1000) spikes")
    return _encode_packed(_bits.pack_frames(frames))


# --- files ----------------------------------------------------------------
def _describe_tags(path: Path) -> str:
    with open(path, "rb") as f:
        head = np.frombuffer(f.read(2 * FRAME_WIRE_BYTES), dtype=np.uint8)
    lines, channels = unit_tags(head)
    valid = int((table_index(lines, channels) >= 0).sum())
    return f"{valid:,} of the first {lines.size:,} units carry a valid (line, channel) tag"


def read(path: str | os.PathLike, *, fps: float | None = None, strict: bool = False) -> SpikeStream:
    """Open an SPS100/M1 raw line-packet capture (``.raw``/``.bin``) lazily as a 1000x1000 SpikeStream.

    The file is scanned once in constant memory to index its complete frames;
    frames are decoded when read. Losses (torn frames, garbage, a capture cut
    off or started mid-frame) are skipped with a warning and recorded in
    ``stream.meta.provenance`` (``resyncs``, ``dropped_frames``, ``tag_errors``,
    ``torn_frames``, ``skipped_bytes``).

    Args:
        path: the capture.
        fps: readout rate in Hz. The rate is not stored in the file; default 20000.
        strict: raise :class:`~spikevision.errors.FormatError` on any loss instead of warning.
    """
    p = regular_file(path)
    size = p.stat().st_size
    if size == 0:
        raise FormatError(f"{p}: empty file; an SPS100/M1 raw capture holds {FRAME_WIRE_BYTES:,} bytes per frame "
                          f"- check that the capture finished writing, or open the right file")
    if size % UNIT_BYTES:
        whole = size - size % UNIT_BYTES
        raise FormatError(f"{p}: size {size:,} is not a multiple of the {UNIT_BYTES}-byte line-packet unit "
                          f"({size % UNIT_BYTES} trailing bytes); if it is a raw capture cut off mid-unit, drop "
                          f"the partial unit (truncate -s {whole} '{p}'), otherwise open it with its real format "
                          f"(format='dat', CLI --format dat, for vidar frames)")
    with content_errors(p, "the raw capture", "check that it is readable and copy it again"):
        offsets, st = index_file(p)
    if offsets.size == 0:
        raise FormatError(f"{p}: no complete frame with valid line/channel tags in {size:,} bytes "
                          f"({_describe_tags(p)}); this is not an SPS100/M1 line-packet capture (for vidar "
                          f"frames use format='dat', CLI --format dat), or it holds less than one whole frame")
    lost = st.dropped_frames or st.tag_errors or st.torn_frames or st.skipped_bytes
    if lost:
        msg = (f"{p}: {st.dropped_frames} dropped frame(s), {st.tag_errors} tag error(s), {st.resyncs} resync(s), "
               f"{st.skipped_bytes:,} byte(s) outside complete frames; {offsets.size} complete frame(s) kept")
        if strict:
            raise FormatError(msg + "; pass strict=False (CLI: drop --strict) to read the complete frames "
                              "and skip the damaged parts")
        warnings.warn(msg + " (damaged parts skipped)", stacklevel=3)
    prov = {
        "format": "raw", "path": str(p), "resyncs": st.resyncs,
        "dropped_frames": st.dropped_frames, "tag_errors": st.tag_errors, "torn_frames": st.torn_frames,
        "skipped_bytes": st.skipped_bytes, "unit_table": _MODEL,
    }
    meta = StreamMeta(fps=DEFAULT_FPS if fps is None else float(fps), sensor="sps100", flip=False, provenance=prov)
    log.debug("indexed %s: %d frames", p, offsets.size)
    return SpikeStream(RawFileSource(p, offsets), meta)


def write(path: str | os.PathLike, stream: SpikeStream) -> None:
    """Write a 1000x1000 stream as SPS100/M1 line packets, atomically (temporary file + rename).

    ``read(write(x)) == x`` bit for bit. Other sizes are refused: the format
    has no header and carries 1000x1000 frames only.
    """
    h, w = stream.height, stream.width
    if (h, w) != (HEIGHT, WIDTH):
        raise FormatError(f"cannot write a {h}x{w} stream as SPS100/M1 raw line packets: the format carries "
                          f"1000x1000 frames only; save it as .dat or .h5 instead (sv.save('out.h5', stream))")
    if len(stream) == 0:
        raise FormatError("nothing to write: the stream has 0 frames and an empty raw file cannot be read back; "
                          "write at least one frame")
    with atomic_path(path) as tmp:  # checks the output path before anything is written
        with open(tmp, "wb") as f:
            block = min(_WRITE_BLOCK_FRAMES, len(stream))
            wire = np.empty(block * FRAME_WIRE_BYTES, dtype=np.uint8)  # reused for every block
            for packed in stream.iter_packed(block):
                f.write(_encode_packed(packed, out=wire).data)
            f.flush()
            os.fsync(f.fileno())


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True when ``head`` starts with at least two 64-byte units whose tags follow :data:`UNIT_TABLE`."""
    n = min(len(head) // UNIT_BYTES, 8)
    if n < 2:
        return False
    lines, channels = unit_tags(head[: n * UNIT_BYTES])
    idx = table_index(lines, channels)
    if (idx < 0).any():
        return False
    return bool((np.diff(idx) % UNITS_PER_FRAME == 1).all())

