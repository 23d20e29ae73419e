"""Framing of wire bytes with carry-over: vidar rows (own framer) and M1 line packets (io.raw parser)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikevision import _bits
from spikevision.camera._errors import CameraURLError
from spikevision.camera.framing import RowFramer, encode_rows, feed_counted, make_framer

from ._wire import ref_vidar_decode, vidar_frames


def _feed_split(framer, wire: bytes, cuts) -> np.ndarray:
    parts, a = [], 0
    for b in sorted(set(cuts)) + [len(wire)]:
        parts.append(framer.feed(wire[a:b]))
        a = b
    return np.concatenate(parts) if parts else np.zeros((0, framer.frame_nbytes), np.uint8)


def test_encode_rows_bit_positions_by_hand():
    # 2 rows x 8 columns + 8 head columns; a spike at display (row 0, col 1) and (row 1, col 7)
    f = np.zeros((1, 2, 8), np.uint8)
    f[0, 0, 1] = 1
    f[0, 1, 7] = 1
    wire = encode_rows(f, head_columns=8, header_bytes=2, flip=True)
    # header (2 zero bytes), then stored row 0 = display row 1, stored row 1 = display row 0
    assert wire.tolist() == [0, 0, 0b1000_0000, 0, 0b0000_0010, 0]


@pytest.mark.parametrize("head, header, flip", [(0, 0, False), (0, 2, False), (8, 0, True), (8, 2, False)])
@pytest.mark.parametrize("n", [1, 3])
def test_row_framer_output_never_aliases_the_fed_buffer(rng, head, header, flip, n):
    frames = vidar_frames(rng, n, 2, 8)
    wire = encode_rows(frames, head_columns=head, header_bytes=header, flip=flip)
    out = RowFramer(2, 8, head_columns=head, header_bytes=header, flip=flip).feed(wire)
    wire[:] = 0xFF  # the caller reuses its buffer
    np.testing.assert_array_equal(out, _bits.pack_frames(frames))


def test_row_framer_matches_reference_on_the_vidar_wire_form(rng):
    frames = vidar_frames(rng, 7)
    wire = encode_rows(frames).tobytes()
    assert len(wire) == 7 * 13000
    np.testing.assert_array_equal(ref_vidar_decode(wire), frames)
    fr = RowFramer()
    out = fr.feed(wire)
    np.testing.assert_array_equal(_bits.unpack_frames(out, 250, 400), frames)
    assert fr.stats.frames == 7 and fr.stats.bytes_in == len(wire)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), header=st.sampled_from([0, 16]), seed=st.integers(0, 2**31),
       cuts=st.lists(st.integers(0, 4 * 13016), max_size=12))
def test_row_framer_carry_over_at_any_split(n, header, seed, cuts):
    rng = np.random.default_rng(seed)
    frames = vidar_frames(rng, n)
    hdr = rng.integers(0, 256, (n, header), dtype=np.uint8) if header else None
    wire = encode_rows(frames, header_bytes=header, header=hdr).tobytes()
    ref = ref_vidar_decode(wire, header=header)
    fr = RowFramer(header_bytes=header)
    out = _feed_split(fr, wire, [c for c in cuts if c <= len(wire)])
    np.testing.assert_array_equal(_bits.unpack_frames(out, 250, 400), ref)
    assert fr.stats.dropped_frames == 0


def test_row_framer_odd_sizes_fall_back_to_bit_decoding(rng):
    frames = vidar_frames(rng, 3, h=10, w=12)  # 12 + 4 head columns: rows not byte-aligned in width
    wire = encode_rows(frames, head_columns=4).tobytes()
    fr = RowFramer(10, 12, head_columns=4)
    out = _feed_split(fr, wire, [5, 21, 22])
    np.testing.assert_array_equal(_bits.unpack_frames(out, 10, 12), frames)


@pytest.mark.parametrize("carry,lost,expect_dropped", [
    (0, 13000, 1),          # exactly one whole frame lost at a boundary
    (0, 3 * 13000, 3),
    (500, 12500, 1),        # the partial frame is torn, the loss ends on the next boundary
    (500, 13000, 2),        # torn frame + the next one
    (0, 100, 1),            # part of a frame lost: it is dropped, the rest skipped
    (1000, 27000, 3),
])
def test_row_framer_gap_with_known_byte_count_is_exact(rng, carry, lost, expect_dropped):
    frames = vidar_frames(rng, 8)
    wire = encode_rows(frames).tobytes()
    fr = RowFramer()
    out1 = fr.feed(wire[:13000 + carry])  # frame 0 whole, ``carry`` bytes of frame 1
    fr.gap(lost)
    out2 = fr.feed(wire[13000 + carry + lost:])
    assert fr.stats.dropped_frames == expect_dropped
    got = np.concatenate([out1, out2])
    kept = [0] + list(range(1 + expect_dropped, 8))
    np.testing.assert_array_equal(_bits.unpack_frames(got, 250, 400), frames[kept])


def test_row_framer_gap_of_unknown_size_drops_the_partial_frame(rng):
    frames = vidar_frames(rng, 4)
    wire = encode_rows(frames).tobytes()
    fr = RowFramer()
    a = fr.feed(wire[:13000 + 77])
    _, lost, resync = feed_counted(fr, b"")
    assert (lost, resync) == (0, False)
    fr.gap(None)
    b = fr.feed(wire[2 * 13000:])  # the next transfer starts on a frame boundary
    assert fr.stats.dropped_frames == 1 and fr.stats.torn_frames == 1 and fr.stats.resyncs == 1
    np.testing.assert_array_equal(_bits.unpack_frames(np.concatenate([a, b]), 250, 400), frames[[0, 2, 3]])


def test_row_framer_truncated_tail_is_counted_never_emitted(rng):
    frames = vidar_frames(rng, 3)
    wire = encode_rows(frames).tobytes()[:-10]
    fr = RowFramer()
    assert fr.feed(wire).shape[0] == 2
    assert fr.finish().shape[0] == 0
    s = fr.stats
    assert (s.frames, s.dropped_frames, s.torn_frames, s.skipped_bytes) == (2, 1, 1, 12990)


def test_make_framer_choices():
    assert make_framer("vidar").wire_frame_bytes == 13000
    assert make_framer("vidar", header_bytes=16).wire_frame_bytes == 13016
    assert make_framer("packed", height=4, width=8).wire_frame_bytes == 4
    with pytest.raises(CameraURLError, match="height and width"):
        make_framer("packed")
    with pytest.raises(CameraURLError, match="vidar, m1, packed"):
        make_framer("yuv")


def test_m1_line_packets_through_the_raw_parser(rng):
    raw = pytest.importorskip("spikevision.io.raw")
    frames = (rng.random((3, 1000, 1000)) < 0.2).astype(np.uint8)
    wire = np.asarray(raw.encode_frames(frames)).tobytes()
    fr = make_framer("m1")
    out = _feed_split(fr, wire, [1, 64 * 777 + 5, 128000, 200001])
    np.testing.assert_array_equal(_bits.unpack_frames(out, 1000, 1000), frames)
    assert fr.stats.frames == 3 and fr.stats.dropped_frames == 0
