"""SPS100/M1 line packets: tag bits, kernels against slow references, streaming, fault injection, files."""

import os
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikevision as sv
from spikevision.errors import FormatError
from spikevision.io import raw
from spikevision.io._raw_kernels import check_frames, decode_frames, find_start
from spikevision.io._raw_source import RawFileSource

F = raw.FRAME_WIRE_BYTES
U = raw.UNIT_BYTES
P = raw.PACKED_FRAME_BYTES


# --- independent slow references (bit arrays, no kernels) -------------------
def bits_of(data) -> np.ndarray:
    return np.unpackbits(np.frombuffer(bytes(data), np.uint8), bitorder="little")


def tag_from_bits(unit_bits: np.ndarray) -> tuple[int, int]:
    """(line, channel) read from unit bits 500..509 and 510..511, LSB first, as docs/formats.md words it."""
    line = sum(int(unit_bits[500 + i]) << i for i in range(10))
    channel = int(unit_bits[510]) | (int(unit_bits[511]) << 1)
    return line, channel


_SLOT_OF_TAG = {(int(r[0]), int(r[1])): (int(r[2]), int(r[3])) for r in raw.UNIT_TABLE}


def reference_decode(wire) -> np.ndarray:
    """Clean unit-aligned stream -> (T, 1000, 1000): rows placed by looking each unit's tag up, tag columns deleted."""
    b = bits_of(wire).reshape(-1, raw.UNITS_PER_FRAME, 512)
    frames = []
    for fr in b:
        assert tag_from_bits(fr[0]) == (500, 0) and tag_from_bits(fr[-1]) == (500, 3)
        rawf = np.full((1000, 1024), 2, np.uint8)
        for ub in fr:
            row, half = _SLOT_OF_TAG[tag_from_bits(ub)]
            rawf[row, 512 * half : 512 * (half + 1)] = ub
        assert (rawf != 2).all()  # every (row, half) filled
        d = np.delete(rawf, np.r_[500:512], axis=1)
        d = np.delete(d, np.r_[1000:1012], axis=1)  # what were columns 1012..1023
        frames.append(d)
    return np.array(frames).reshape(-1, 1000, 1000)


def reference_encode(frames: np.ndarray) -> bytes:
    """(T, 1000, 1000) -> wire: raw 1000x1024 frames with tag bits inserted, units in UNIT_TABLE order."""
    out = []
    for x in frames:
        rawf = np.zeros((1000, 2, 512), np.uint8)
        rawf[:, 0, :500] = x[:, :500]
        rawf[:, 1, :500] = x[:, 500:]
        for line, ch, row, half in raw.UNIT_TABLE:
            v = (int(line) << 4) | (int(ch) << 14)
            rawf[row, half, 500:] = [(v >> (4 + i)) & 1 for i in range(12)]
        units = [rawf[row, half] for _, _, row, half in raw.UNIT_TABLE]
        out.append(np.packbits(np.array(units).reshape(-1), bitorder="little").tobytes())
    return b"".join(out)


def packed(x: np.ndarray) -> np.ndarray:
    return np.packbits(x.reshape(len(x), -1), axis=1, bitorder="little")


def spikes(seed: int, t: int, p: float = 0.3) -> np.ndarray:
    return (np.random.default_rng(seed).random((t, 1000, 1000)) < p).astype(np.uint8)


@pytest.fixture(scope="module")
def clip():
    x = spikes(7, 5)
    return x, raw.encode_frames(x)


def parse(wire, chunk: int | None = None):
    p = raw.LinePacketParser()
    wire = np.frombuffer(bytes(wire), np.uint8) if not isinstance(wire, np.ndarray) else wire
    step = chunk or max(1, wire.size)
    outs = [p.feed(wire[i : i + step]) for i in range(0, wire.size, step)]
    outs.append(p.finish())
    st = p.stats
    assert st.bytes_in == wire.size == st.frames * F + st.skipped_bytes
    return np.concatenate(outs), st


def unit(line: int, channel: int, fill: int = 0) -> bytearray:
    """A hand-built 64-byte unit: pixel bits = fill, tag bits set one by one."""
    b = np.full(512, fill, np.uint8)
    for i in range(10):
        b[500 + i] = (line >> i) & 1
    b[510], b[511] = channel & 1, (channel >> 1) & 1
    return bytearray(np.packbits(b, bitorder="little").tobytes())


# --- tag bits ---------------------------------------------------------------
def test_constants():
    assert (raw.HEIGHT, raw.WIDTH, raw.RAW_WIDTH, raw.UNIT_BYTES, raw.UNITS_PER_FRAME) == (1000, 1000, 1024, 64, 2000)
    assert raw.FRAME_WIRE_BYTES == 128_000 and raw.PACKED_FRAME_BYTES == 125_000


@pytest.mark.parametrize("bit", range(12))
def test_each_tag_bit(bit):
    b = np.zeros(512, np.uint8)
    b[500 + bit] = 1
    data = np.packbits(b, bitorder="little").tobytes()
    v = int.from_bytes(data[62:64], "little")
    assert v == 1 << (4 + bit)
    lines, channels = raw.unit_tags(data)
    assert (int(lines[0]), int(channels[0])) == ((1 << bit, 0) if bit < 10 else (0, 1 << (bit - 10)))


@pytest.mark.parametrize("line,channel", [(500, 0), (500, 3), (1, 2), (257, 1), (0x3FF, 3)])
def test_hand_built_unit_tags(line, channel):
    for fill in (0, 1):  # pixel bits (incl. 496..499 sharing byte 62) never leak into the tag
        u = unit(line, channel, fill)
        lines, channels = raw.unit_tags(u)
        assert (int(lines[0]), int(channels[0])) == (line, channel) == tag_from_bits(bits_of(u))
        v = int.from_bytes(u[62:64], "little")
        assert ((v >> 4) & 0x3FF, (v >> 14) & 3) == (line, channel)


def test_unit_table_is_a_coherent_model():
    t = raw.UNIT_TABLE
    assert t.shape == (2000, 4) and not t.flags.writeable
    assert tuple(t[0, :2]) == (500, 0) and tuple(t[-1, :2]) == (500, 3)
    assert len({(a, b) for a, b in t[:, :2].tolist()}) == 2000
    assert len({(a, b) for a, b in t[:, 2:].tolist()}) == 2000
    assert t[:, 0].min() == 1 and t[:, 0].max() == 500 and set(t[:, 1].tolist()) == {0, 1, 2, 3}
    # the marker pair (500, 3) -> (500, 0) never occurs inside a frame
    pairs = list(zip(t[:-1, :2].tolist(), t[1:, :2].tolist()))
    assert ([500, 3], [500, 0]) not in pairs


def test_encoder_tags_read_bit_by_bit(clip):
    _, wire = clip
    b = bits_of(wire[: 2 * F]).reshape(-1, 512)
    got = [tag_from_bits(u) for u in b]
    want = [(int(a), int(c)) for a, c in raw.UNIT_TABLE[:, :2]] * 2
    assert got == want


# --- kernels against the slow references --------------------------------------
def test_encode_matches_reference(clip):
    x, wire = clip
    assert wire.dtype == np.uint8 and wire.shape == (5 * F,)
    assert wire[: 2 * F].tobytes() == reference_encode(x[:2])
    assert (raw.encode_packed(packed(x)) == wire).all()


def test_decode_matches_reference(clip):
    x, wire = clip
    ref = reference_decode(wire[: 2 * F])
    assert (ref == x[:2]).all()
    starts = np.arange(2, dtype=np.int64) * F
    assert (decode_frames(wire, starts) == packed(ref)).all()
    assert (check_frames(wire, starts) == -1).all()


def test_decode_at_odd_offsets(clip):
    x, wire = clip
    buf = np.concatenate([np.full(3, 0xAB, np.uint8), wire[:F], np.zeros(5, np.uint8), wire[F : 2 * F]])
    starts = np.array([3, 3 + F + 5], dtype=np.int64)
    assert (decode_frames(buf, starts) == packed(x[:2])).all()


def test_check_frames_reports_first_bad_unit(clip):
    _, wire = clip
    w = wire[: 2 * F].copy()
    w[F + 17 * U + 63] ^= 0x01  # frame 1, unit 17: one line bit
    w[F + 900 * U + 62] ^= 0x10  # and unit 900
    w[5 * U + 62] ^= 0x0F  # frame 0: pixel bits 496..499 only, tag intact
    assert check_frames(w, np.array([0, F], dtype=np.int64)).tolist() == [-1, 17]


def test_encode_frames_rejects_bad_shapes():
    with pytest.raises(FormatError, match="1000x1000"):
        raw.encode_frames(np.zeros((2, 250, 400), np.uint8))
    with pytest.raises(FormatError, match="encode_frames"):
        raw.encode_packed(np.zeros((2, 12500), np.uint8))
    assert raw.encode_frames(np.zeros((1000, 1000), bool)).shape == (F,)


# --- streaming ------------------------------------------------------------
def test_parse_clean_stream_against_reference(clip):
    x, wire = clip
    got, st = parse(wire)
    assert (got == packed(reference_decode(wire))).all() and (got == packed(x)).all()
    assert (st.frames, st.units, st.resyncs, st.tag_errors, st.dropped_frames, st.torn_frames, st.skipped_bytes) == \
        (5, 5 * 2000, 0, 0, 0, 0, 0)


def test_parse_accepts_bytes_types(clip):
    x, wire = clip
    one = wire[:F]
    for data in (one.tobytes(), bytearray(one.tobytes()), memoryview(one.tobytes()), one, one.view(np.uint16)):
        p = raw.LinePacketParser()
        got = p.feed(data)
        assert got.shape == (1, P) and (got[0] == packed(x[:1])[0]).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31), t=st.integers(1, 3),
       cuts=st.lists(st.integers(0, 3 * 128_000), max_size=12))
def test_round_trip_random_splits(seed, t, cuts):
    x = spikes(seed, t, p=0.5)
    wire = raw.encode_frames(x)
    edges = sorted({0, wire.size, *[c for c in cuts if c <= wire.size]})
    p = raw.LinePacketParser()
    outs = [p.feed(wire[a:b]) for a, b in zip(edges[:-1], edges[1:])]
    outs.append(p.finish())
    got = np.concatenate(outs)
    assert got.shape == (t, P) and (got == packed(x)).all()
    assert (p.stats.frames, p.stats.dropped_frames, p.stats.skipped_bytes, p.stats.tag_errors) == (t, 0, 0, 0)


def test_frames_are_returned_as_soon_as_complete(clip):
    x, wire = clip
    p = raw.LinePacketParser()
    assert p.feed(wire[: F - 1]).shape == (0, P)
    assert not p.stats.locked and p.stats.frames == 0  # a lock needs the whole frame's tags
    got = p.feed(wire[F - 1 : F])
    assert got.shape == (1, P) and p.stats.locked and p.stats.frames == 1


def test_transfer_buffers_can_be_reused_after_feed(clip):
    # a USB backend hands the same buffer back to the driver: the parser must copy what it carries over
    x, wire = clip
    p = raw.LinePacketParser()
    transfer = bytearray(50_000)
    outs = []
    for a in range(0, 3 * F, len(transfer)):
        piece = wire[a : min(a + len(transfer), 3 * F)]
        transfer[: piece.size] = piece.tobytes()
        outs.append(p.feed(memoryview(transfer)[: piece.size]))
        transfer[:] = bytes(len(transfer))  # the driver overwrites it
    assert (np.concatenate(outs) == packed(x[:3])).all()


@pytest.mark.parametrize("damage", ["none", "lost unit", "extra bytes", "corrupt tag"])
def test_small_transfers_give_the_same_frames_and_counters(clip, damage):
    # transfers far smaller than a frame: the partial frame is assembled across many feeds, also across a tear
    x, wire = clip
    k = F + 700 * U
    stream = {"none": wire, "lost unit": np.concatenate([wire[:k], wire[k + U :]]),
              "extra bytes": np.concatenate([wire[:k], np.full(100, 0xAB, np.uint8), wire[k:]]),
              "corrupt tag": wire.copy()}[damage]
    if damage == "corrupt tag":
        stream[2 * F + 700 * U + 63] ^= 0x40
    whole, st_whole = parse(stream)
    for chunk in (1000, 4096):
        got, st = parse(stream, chunk=chunk)
        assert (got == whole).all() and st == st_whole
    assert whole.shape[0] == (5 if damage == "none" else 4)


def test_empty_input():
    p = raw.LinePacketParser()
    assert p.feed(b"").shape == (0, P)
    assert p.finish().shape == (0, P)
    assert p.stats == raw.RawStats()


def test_garbage_before_first_frame_capture_started_mid_frame(clip):
    x, wire = clip
    junk = np.random.default_rng(1).integers(0, 256, 37, dtype=np.uint8)
    tail = wire[F - 10 * U : F]  # the end of a frame: its last unit is the (500, 3) marker
    stream = np.concatenate([junk, tail, wire[F:]])
    got, st = parse(stream, chunk=50_000)
    assert (got == packed(x[1:])).all()
    assert st.skipped_bytes == 37 + 10 * U and st.dropped_frames == 0 and st.resyncs == 0 and st.tag_errors == 0


def test_garbage_before_the_first_frame_costs_no_frame(clip):
    # the frame right after random bytes has no (500, 3) marker before it: its own 2000 tags are enough to lock
    x, wire = clip
    junk = np.random.default_rng(2).integers(0, 256, 1001, dtype=np.uint8)
    got, st = parse(np.concatenate([junk, wire[: 3 * F]]), chunk=30_001)
    assert (got == packed(x[:3])).all()
    assert st.skipped_bytes == 1001 and st.dropped_frames == 0 and st.tag_errors == 0


def test_dropped_unit_relocks_within_one_frame(clip):
    x, wire = clip
    k = 1 * F + 700 * U
    stream = np.concatenate([wire[:k], wire[k + U :]])  # unit 700 of frame 1 lost
    got, st = parse(stream, chunk=77_777)
    assert (got == packed(x[[0, 2, 3, 4]])).all()
    assert (st.dropped_frames, st.torn_frames, st.tag_errors, st.resyncs) == (1, 1, 1, 1)
    assert st.units == 4 * 2000 + 700
    # relock within one frame: frame 2 comes out as soon as its bytes are in
    p = raw.LinePacketParser()
    assert len(p.feed(stream[: 3 * F - U])) == 2 and p.stats.locked and p.stats.resyncs == 1


def test_lost_bytes_off_the_unit_grid(clip):
    # 37 bytes lost: every later unit sits off the 64-byte grid; the marker search works at byte granularity
    x, wire = clip
    k = F + 123 * U + 5
    got, st = parse(np.concatenate([wire[:k], wire[k + 37 :]]), chunk=99_999)
    assert (got == packed(x[[0, 2, 3, 4]])).all()
    assert (st.dropped_frames, st.tag_errors, st.resyncs, st.skipped_bytes) == (1, 1, 1, F - 37)


def test_burst_loss_counts_the_frame_slots_that_arrived(clip):
    # the first half of frame 1 and the last quarter of frame 3 arrive (frame 2 vanished entirely): the wire has
    # no frame counter, so the estimate is the arrived bytes between good frames, rounded to frames (min 1)
    x, wire = clip
    stream = np.concatenate([wire[: F + F // 2], wire[3 * F + 1500 * U :]])
    got, st = parse(stream)
    assert (got == packed(x[[0, 4]])).all()
    assert (st.dropped_frames, st.tag_errors, st.resyncs) == (1, 1, 1)


def test_known_gap_filled_with_zeros_gives_exact_count(clip):
    # a transport that knows how many bytes it lost feeds that many zero bytes (tag line 0 never occurs):
    # the count is then exact, even for a loss of exactly two frames that the tags alone cannot see
    x, wire = clip
    stream = np.concatenate([wire[: F + F // 2], np.zeros(2 * F, np.uint8), wire[3 * F + F // 2 :]])
    got, st = parse(stream, chunk=200_000)
    assert (got == packed(x[[0, 4]])).all()
    assert (st.dropped_frames, st.torn_frames, st.tag_errors, st.resyncs) == (3, 1, 1, 1)


def test_dropped_end_marker_unit_costs_only_its_frame(clip):
    x, wire = clip
    k = 2 * F - U
    got, st = parse(np.concatenate([wire[:k], wire[k + U :]]))
    assert (got == packed(x[[0, 2, 3, 4]])).all()
    assert (st.dropped_frames, st.tag_errors, st.resyncs) == (1, 1, 1)


def test_extra_unit_inside_a_frame(clip):
    x, wire = clip
    k = 2 * F + 1234 * U
    stream = np.concatenate([wire[:k], wire[5 * U : 6 * U], wire[k:]])
    got, st = parse(stream, chunk=100_000)
    assert (got == packed(x[[0, 1, 3, 4]])).all()
    assert (st.dropped_frames, st.tag_errors, st.resyncs) == (1, 1, 1)


@pytest.mark.parametrize("which", ["line", "channel", "start-marker"])
def test_corrupted_tag(clip, which):
    x, wire = clip
    w = wire.copy()
    u = 3 * F + (0 if which == "start-marker" else 999 * U)
    if which == "channel":
        w[u + 63] ^= 0x40
    else:
        w[u + 62] ^= 0x20
    got, st = parse(w)
    assert (got == packed(x[[0, 1, 2, 4]])).all()
    assert (st.dropped_frames, st.torn_frames, st.tag_errors, st.resyncs) == (1, 1, 1, 1)


def _mimic_frame(seed: int, at_byte: int) -> np.ndarray:
    """A display frame whose pixel bits put a (500, 3) -> (500, 0) marker pair off the unit grid."""
    x = spikes(seed, 1)
    w = raw.encode_frames(x)
    s = at_byte  # fake frame start, not a multiple of 64
    w[s - 2 : s] = np.frombuffer(raw.tag_value(500, 3).to_bytes(2, "little"), np.uint8)
    w[s + 62 : s + 64] = np.frombuffer(raw.tag_value(500, 0).to_bytes(2, "little"), np.uint8)
    mimic = reference_decode(w)
    assert (raw.encode_frames(mimic) == w).all()  # the pattern is pure pixel data
    return mimic


def test_pixels_mimicking_a_start_do_not_lock(clip):
    x, wire = clip
    m = _mimic_frame(3, at_byte=40 * U + 21)
    wm = raw.encode_frames(m)
    assert find_start(wm, 40 * U + 21, wm.size - U) == 40 * U + 21  # the mimic is there...
    junk = np.random.default_rng(4).integers(0, 256, 500, dtype=np.uint8)
    stream = np.concatenate([junk, wm[U:], wire[: 2 * F]])  # (the mimic's frame lost its first unit)
    got, st = parse(stream, chunk=64_000)
    assert (got == packed(x[:2])).all()  # ...and is not taken: lock at the real frame after it
    assert st.skipped_bytes == 500 + F - U and st.tag_errors == 0 and st.dropped_frames == 0
    # while locked the mimic is plain pixel data
    got, st = parse(np.concatenate([wire[:F], wm, wire[F : 2 * F]]))
    assert (got == packed(np.concatenate([x[:1], m, x[1:2]]))).all() and st.skipped_bytes == 0


def test_mimic_inside_a_torn_frame_is_not_taken(clip):
    x, wire = clip
    m = _mimic_frame(5, at_byte=1500 * U + 9)
    wm = raw.encode_frames(m)
    torn = np.concatenate([wm[: 100 * U], wm[101 * U :]])  # the mimic frame loses unit 100
    got, st = parse(np.concatenate([wire[:F], torn, wire[F : 3 * F]]))
    assert (got == packed(x[[0, 1, 2]])).all()
    assert (st.dropped_frames, st.tag_errors, st.resyncs) == (1, 1, 1)


def test_truncated_tail(clip):
    x, wire = clip
    p = raw.LinePacketParser()
    got = p.feed(wire[: 3 * F + F // 2])
    assert (got == packed(x[:3])).all() and p.stats.dropped_frames == 0
    assert p.finish().shape == (0, P)
    st = p.stats
    assert (st.frames, st.dropped_frames, st.torn_frames, st.skipped_bytes, st.locked) == (3, 1, 1, F // 2, False)


def test_truncated_inside_a_lost_stretch(clip):
    x, wire = clip
    stream = np.concatenate([wire[: F + 10 * U], wire[F + 11 * U : 2 * F + 7]])
    got, st = parse(stream)
    assert (got == packed(x[:1])).all() and st.dropped_frames == 1 and st.resyncs == 0


def test_new_stream_after_finish(clip):
    x, wire = clip
    p = raw.LinePacketParser()
    p.feed(wire[: F + 5])
    p.finish()
    got = p.feed(wire[F : 2 * F])  # a new stream starts on a frame boundary: the stream start stands in for (500, 3)
    assert (got == packed(x[1:2])).all() and p.stats.frames == 2


# --- files ------------------------------------------------------------------
def test_save_open_round_trip(tmp_path, clip):
    x, wire = clip
    path = tmp_path / "x.raw"
    sv.save(path, sv.from_array(x[:3]))
    assert path.read_bytes() == wire[: 3 * F].tobytes()
    s = sv.open(path)
    assert isinstance(s.source, RawFileSource) and s.shape == (3, 1000, 1000) and s.fps == 20000
    assert s.meta.sensor == "sps100" and not s.meta.flip and s.meta.provenance["format"] == "raw"
    assert (s.unpack() == x[:3]).all() and (s[1] == x[1]).all()
    assert (s[1:3].packed() == packed(x[1:3])).all()
    assert sv.open(path, fps=40000).fps == 40000
    s2 = pickle.loads(pickle.dumps(s.source))
    assert (s2.read_frames(2, 3) == x[2:3]).all()
    s.close()


def test_bin_extension_and_sniff(tmp_path, clip):
    x, wire = clip
    path = tmp_path / "cap.bin"
    path.write_bytes(wire[: 2 * F].tobytes())
    assert (sv.open(path).unpack() == x[:2]).all()
    other = tmp_path / "cap.data"
    other.write_bytes(wire[5 * U : 2 * F].tobytes())
    assert raw.sniff(other, other.read_bytes()[:512])
    assert not raw.sniff(other, bytes(np.random.default_rng(0).integers(0, 256, 512, dtype=np.uint8)))
    assert not raw.sniff(other, wire[:U].tobytes())


def test_damaged_file_warns_and_records_losses(tmp_path, clip):
    x, wire = clip
    k = 2 * F + 10 * U
    data = np.concatenate([wire[F - 3 * U : F], wire[F:k], wire[k + U :]])  # starts mid-frame, unit lost in frame 2
    path = tmp_path / "damaged.raw"
    path.write_bytes(data.tobytes())
    with pytest.warns(UserWarning, match="1 dropped frame"):
        s = sv.open(path)
    assert (s.unpack() == x[[1, 3, 4]]).all()
    assert (s[1:3].unpack() == x[[3, 4]]).all() and (s[0:2].unpack() == x[[1, 3]]).all()  # reads across the gap
    prov = s.meta.provenance
    assert (prov["resyncs"], prov["dropped_frames"], prov["tag_errors"]) == (1, 1, 1)
    assert prov["skipped_bytes"] == data.size - 3 * F
    with pytest.raises(FormatError, match="strict=False"):
        sv.open(path, strict=True)


def test_index_scan_carries_over_between_reads(tmp_path, clip):
    from spikevision.io._raw_source import index_file

    _, wire = clip
    k = F + 300 * U + 3
    data = np.concatenate([wire[F - 2 * U : F], wire[:k], wire[k + 41 :]])
    path = tmp_path / "d.raw"
    path.write_bytes(data.tobytes())
    want = (2 * U + np.array([0, F + (F - 41), 2 * F + (F - 41), 3 * F + (F - 41)])).tolist()
    for chunk in (1, 3, 128):  # reads of 128,000 B force carry-over of every partial frame
        offsets, st = index_file(path, chunk_frames=chunk)
        assert offsets.tolist() == want and (st.dropped_frames, st.resyncs) == (1, 1)


def test_clean_file_is_silent(tmp_path, clip):
    _, wire = clip
    path = tmp_path / "clean.raw"
    path.write_bytes(wire[:F].tobytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(sv.open(path, strict=True)) == 1


def test_file_changed_after_indexing(tmp_path, clip):
    _, wire = clip
    path = tmp_path / "c.raw"
    path.write_bytes(wire[: 2 * F].tobytes())
    s = sv.open(path)
    w = wire[: 2 * F].copy()
    w[F + 63] ^= 0xFF
    path.write_bytes(w.tobytes())
    with pytest.raises(FormatError, match="reopen"):
        s.unpack()


@pytest.mark.parametrize("content,match", [
    (b"", "empty file"),
    (bytes(F + 37), "not a multiple of the 64-byte.*truncate -s 128000"),
    (bytes(2 * F), "no complete frame with valid line/channel tags.*format='dat'"),
])
def test_bad_files(tmp_path, content, match):
    path = tmp_path / "bad.raw"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=match):
        sv.open(path)


def test_random_bytes_file(tmp_path):
    path = tmp_path / "noise.raw"
    path.write_bytes(np.random.default_rng(3).integers(0, 256, 3 * F, dtype=np.uint8).tobytes())
    with pytest.raises(FormatError, match="not an SPS100/M1 line-packet capture"):
        sv.open(path)


def test_write_in_blocks_reuses_one_buffer(tmp_path, clip, monkeypatch):
    x, wire = clip
    monkeypatch.setattr(raw, "_WRITE_BLOCK_FRAMES", 2)  # 7 frames: blocks of 2, 2, 2 and 1
    path = tmp_path / "x.raw"
    sv.save(path, sv.from_array(x))
    assert path.read_bytes() == wire.tobytes()


def test_write_refuses_other_sizes_and_writes_nothing_half(tmp_path, clip):
    x, _ = clip
    with pytest.raises(FormatError, match="250x400.*1000x1000 frames only.*\\.h5"):
        sv.save(tmp_path / "a.raw", np.zeros((2, 250, 400), np.uint8))
    with pytest.raises(FormatError, match="0 frames"):
        sv.save(tmp_path / "b.raw", sv.from_array(x[:1])[0:0])
    with pytest.raises(FormatError, match="do not apply"):
        sv.save(tmp_path / "c.raw", x[:1], flip=True)

    class Broken(RawFileSource):
        def read_packed(self, start, stop):
            if start >= 64:
                raise OSError("disk went away")
            return np.zeros((stop - start, P), np.uint8)

    s = sv.SpikeStream(Broken(tmp_path / "none", np.arange(100, dtype=np.int64) * F))
    with pytest.raises(OSError, match="went away"):
        sv.save(tmp_path / "d.raw", s)
    assert os.listdir(tmp_path) == []
