"""Streaming framer for SPS100 / M1 line packets (docs/formats.md).

:class:`LinePacketParser` takes wire bytes in chunks of any size (USB
transfers, file blocks) and returns the complete frames found, as canonical
packed frames. It locks onto a frame start (a unit tagged (500, 0), at any byte
offset) only when all 2000 tags of the frame from there follow
:data:`~spikevision.io._raw_layout.UNIT_TABLE`; while locked, every frame is
checked the same way. A frame with a wrong tag (a lost, extra or corrupted
unit) is torn: it is dropped, counted, and the parser searches for the next
start from the byte after the torn frame's start, so it relocks at the first
intact frame (within one frame of the damage).

Limit of the format: tags give a unit's place in its frame, not the frame's
number, so a loss of exactly k x 128,000 bytes keeps every tag in sequence and
is invisible in the data (the splice would pass as a frame). A transport that
knows it lost ``n`` bytes (a failed USB transfer) should feed ``n`` zero bytes
in their place: line 0 never occurs, so the zeros tear the frame and keep the
dropped-frame count exact.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .._bits import as_bytes
from ._raw_kernels import check_decode, check_frames, find_start
from ._raw_layout import FRAME_WIRE_BYTES, PACKED_FRAME_BYTES, UNIT_BYTES, UNITS_PER_FRAME

__all__ = ["RawStats", "LinePacketParser"]

log = logging.getLogger(__name__)

_SEARCH, _LOCKED, _LOST = 0, 1, 2
_EMPTY = np.empty(0, dtype=np.uint8)


@dataclass
class RawStats:
    """Counters of a :class:`LinePacketParser` (cumulative over ``feed``/``finish`` calls).

    Attributes:
        bytes_in: bytes fed.
        units: 64-byte units received in sequence while locked (whole frames plus
            the in-sequence prefix of torn frames).
        frames: complete frames returned.
        resyncs: locks regained after a loss (the first lock of a stream is not a resync).
        tag_errors: tag discontinuities seen while locked (a unit whose (line, channel)
            is not the one the table expects there), one per loss event.
        dropped_frames: frames not returned because of loss: per loss, the frame slots
            between the last good frame and the relock (``max(1, round(gap / 128000))``),
            plus an incomplete trailing frame at :meth:`LinePacketParser.finish`. Frames
            lost upstream without a single byte arriving are invisible (the wire
            carries no frame counter).
        torn_frames: frames begun while locked but not completed (a tag error inside
            them, or the stream ended in them).
        skipped_bytes: bytes that are not part of a returned frame and no longer
            buffered (before the first lock, torn frames, garbage between frames);
            ``bytes_in == frames * 128000 + skipped_bytes + buffered``.
        locked: the parser currently follows the frame sequence.
    """

    bytes_in: int = 0
    units: int = 0
    frames: int = 0
    resyncs: int = 0
    tag_errors: int = 0
    dropped_frames: int = 0
    torn_frames: int = 0
    skipped_bytes: int = 0
    locked: bool = False


class LinePacketParser:
    """Frame SPS100 / M1 line-packet bytes fed in arbitrary chunks.

    Partial units and frames are carried over between :meth:`feed` calls (at
    most about one frame is buffered). Not thread-safe: feed it from one thread.

    Example:
        >>> import numpy as np
        >>> from spikevision.io import raw
        >>> x = (np.random.default_rng(0).random((3, 1000, 1000)) < 0.1).astype(np.uint8)
        >>> wire = raw.encode_frames(x)
        >>> p = raw.LinePacketParser()
        >>> frames = np.concatenate([p.feed(wire[:1000]), p.feed(wire[1000:]), p.finish()])
        >>> frames.shape, bool((frames == np.packbits(x.reshape(3, -1), axis=1, bitorder="little")).all())
        ((3, 125000), True)
    """

    def __init__(self) -> None:
        self.stats = RawStats()
        self._index: list[np.ndarray] | None = None  # frame offsets, kept only while indexing a file (_scan)
        self._acc = np.empty(FRAME_WIRE_BYTES, dtype=np.uint8)  # a partial frame, filled in place while locked
        self._reset_stream()

    def _reset_stream(self) -> None:
        self._carry = _EMPTY
        self._base = 0  # stream offset of self._carry[0]
        self._state = _SEARCH
        self._search_at = 0  # stream offset from which to look for a frame start
        self._last_end = 0  # stream offset right after the last good frame
        self.stats.locked = False

    # --- public ---------------------------------------------------------
    def feed(self, data: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
        """Consume wire bytes; return the complete frames they finish as (n, 125000) uint8 (n may be 0)."""
        return self._push(as_bytes(data), decode=True)

    def finish(self) -> np.ndarray:
        """End of stream: count an incomplete trailing frame as dropped and start a new stream.

        Returns the frames still held (always none: :meth:`feed` returns every
        complete frame at once), as a (0, 125000) array, so callers can
        concatenate it like any other feed result.
        """
        st = self.stats
        pending = self._carry.size
        if self._state == _LOCKED and pending:
            st.torn_frames += 1
            st.dropped_frames += 1
            log.info("stream ended inside a frame: %d trailing bytes dropped", pending)
        elif self._state == _LOST:
            st.dropped_frames += self._gap_frames(self._base + pending)
        self._reset_stream()
        self._update()
        return np.empty((0, PACKED_FRAME_BYTES), dtype=np.uint8)

    # --- internals ------------------------------------------------------
    def _scan(self, data: np.ndarray) -> None:
        """Like :meth:`feed` without decoding: append the stream offsets of whole frames to ``self._index``."""
        if self._index is None:
            self._index = []
        self._push(as_bytes(data), decode=False)

    def _update(self) -> None:
        st = self.stats
        st.skipped_bytes = st.bytes_in - st.frames * FRAME_WIRE_BYTES - self._carry.size
        st.locked = self._state == _LOCKED

    def _gap_frames(self, stream_pos: int) -> int:
        return max(1, int((stream_pos - self._last_end) / FRAME_WIRE_BYTES + 0.5))

    def _push(self, arr: np.ndarray, decode: bool) -> np.ndarray:
        self.stats.bytes_in += arr.size
        carry = self._carry
        cap = (carry.size + arr.size) // FRAME_WIRE_BYTES
        out = np.empty((cap, PACKED_FRAME_BYTES), dtype=np.uint8) if decode else None
        n = 0
        if carry.size and self._state == _LOCKED:
            # complete the carried partial frame in self._acc with the head of arr, then frame arr in place;
            # small transfers are appended in place, so each byte is copied once however small they are
            acc, c = self._acc, carry.size
            need = FRAME_WIRE_BYTES - c
            take = min(need, arr.size)
            if carry.base is not acc:
                acc[:c] = carry
            acc[c : c + take] = arr[:take]
            if take < need:
                self._carry = acc[: c + take]
                self._update()
                return out[:0] if decode else None
            self._carry = _EMPTY
            n = self._consume(acc, out, n)  # leaves a copy (never a view of acc) as the carry
            arr = arr[need:]
            carry = self._carry
        buf = np.concatenate([carry, arr]) if carry.size else arr
        n = self._consume(buf, out, n)
        self._update()
        return out[:n] if decode else None

    def _consume(self, buf: np.ndarray, out: np.ndarray | None, n: int) -> int:
        """Frame ``buf`` (stream offset ``self._base``); keep the unresolved tail as the new carry."""
        st = self.stats
        size = buf.size
        pos = 0  # first byte of buf not yet returned or discarded
        while True:
            if self._state == _LOCKED:
                k = (size - pos) // FRAME_WIRE_BYTES
                if k == 0:
                    break
                if out is not None and n + k > out.shape[0]:  # kernels do not bounds-check: never write past out
                    raise AssertionError(f"framing overran its output ({n} + {k} > {out.shape[0]} frames)")
                starts = pos + np.arange(k, dtype=np.int64) * FRAME_WIRE_BYTES
                bad = check_decode(buf, starts, out[n : n + k]) if out is not None else check_frames(buf, starts)
                fails = np.flatnonzero(bad >= 0)
                ok = k if fails.size == 0 else int(fails[0])
                if self._index is not None and ok:
                    self._index.append(self._base + starts[:ok])
                n += ok
                st.frames += ok
                st.units += ok * UNITS_PER_FRAME
                pos += ok * FRAME_WIRE_BYTES
                self._last_end = self._base + pos
                if ok < k:
                    unit = int(bad[ok])
                    st.units += unit
                    st.tag_errors += 1
                    st.torn_frames += 1
                    self._state = _LOST
                    self._search_at = self._base + pos + 1
                    log.info("line-packet tag discontinuity at stream byte %d (unit %d of the frame); resyncing",
                             self._base + pos + unit * UNIT_BYTES, unit)
                continue
            lo = max(self._search_at - self._base, 0)
            hi = size - UNIT_BYTES
            s = find_start(buf, lo, hi)
            if s < 0:
                # a start unit may straddle the next chunk: keep the bytes a later start needs
                self._search_at = self._base + max(lo, hi + 1)
                pos = max(pos, size - UNIT_BYTES + 1)
                break
            if s + FRAME_WIRE_BYTES > size:
                self._search_at = self._base + s
                pos = max(pos, s)
                break
            if check_frames(buf, np.array([s], dtype=np.int64))[0] >= 0:
                self._search_at = self._base + s + 1  # pixel data or a torn frame mimicking a start
                continue
            if self._state == _LOST:
                st.resyncs += 1
                st.dropped_frames += self._gap_frames(self._base + s)
                log.info("relocked at stream byte %d", self._base + s)
            self._state = _LOCKED
            pos = s
        self._carry = buf[pos:].copy()
        self._base += pos
        return n
