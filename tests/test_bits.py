"""Bit kernels against np.unpackbits and against bits set one by one."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikevision import _bits


def test_single_bits_by_hand():
    # 2x8 frame, one byte per row: set pixel (r, c) -> byte (r*8 + c) // 8, bit c.
    for r in range(2):
        for c in range(8):
            frame = np.zeros((1, 2, 8), np.uint8)
            frame[0, r, c] = 1
            packed = _bits.pack_frames(frame)
            expected = np.zeros(2, np.uint8)
            expected[r] = 1 << c
            assert packed.tolist() == [expected.tolist()]
            assert (_bits.unpack_frames(packed, 2, 8) == frame).all()


def test_flip_reverses_stored_rows():
    frame = np.zeros((1, 2, 8), np.uint8)
    frame[0, 0, 3] = 1  # top display row
    stored = _bits.pack_frames(frame, flip=True)
    assert stored.tolist() == [[0, 1 << 3]]  # lands in the last stored row
    assert (_bits.decode_rows(stored, 1, 2, 8, flip=True) == frame).all()


@settings(max_examples=60, deadline=None)
@given(t=st.integers(1, 5), h=st.integers(1, 12), w=st.integers(1, 40), flip=st.booleans(),
       header=st.sampled_from([0, 3, 16]), head=st.sampled_from([0, 8, 16]), seed=st.integers(0, 2**32 - 1))
def test_decode_matches_unpackbits(t, h, w, flip, header, head, seed):
    rng = np.random.default_rng(seed)
    sw = w + head
    fb = _bits.frame_nbytes(h, sw)
    raw = rng.integers(0, 256, (t, header + fb), dtype=np.uint8)
    bits = np.unpackbits(raw[:, header:], axis=1, bitorder="little")[:, : h * sw].reshape(t, h, sw)
    expected = bits[:, ::-1, :w] if flip else bits[:, :, :w]
    got = _bits.decode_rows(raw, t, h, w, stride=header + fb, header=header, stored_width=sw, flip=flip)
    assert (got == expected).all()


def test_decode_into_preallocated_out_and_shape_check():
    raw = np.arange(250, dtype=np.uint8)
    out = np.empty((1, 10, 200), np.uint8)
    assert _bits.decode_rows(raw, 1, 10, 200, out=out) is out
    with pytest.raises(ValueError):
        _bits.decode_rows(raw, 1, 10, 200, out=np.empty((1, 10, 199), np.uint8))
    with pytest.raises(ValueError, match="too small"):
        _bits.decode_rows(raw[:100], 1, 10, 200)


def test_count_bits_matches_sum(rng):
    frames = (rng.random((37, 9, 13)) < 0.4).astype(np.uint8)
    packed = _bits.pack_frames(frames)
    counts = np.zeros(packed.shape[1] * 8, np.int64)
    _bits.count_bits(packed, counts)
    assert (counts[: 9 * 13].reshape(9, 13) == frames.sum(0)).all()
    assert counts[9 * 13 :].sum() == 0


@pytest.mark.parametrize("n", [1, 40, 255, 256, 600])
def test_count_bits_all_paths_match_unpackbits(rng, n):
    """The bit-plane counter (contiguous input), the LUT counter (strided) and count_block agree with
    np.unpackbits, across the 255-frame flushes of the uint8 plane counters."""
    packed = rng.integers(0, 256, (n, 23), dtype=np.uint8)
    packed[:, 0] = 255  # every bit set: the counters' worst case
    ref = np.unpackbits(packed, axis=1, bitorder="little").sum(0)
    counts = np.full(23 * 8, 5, np.int64)
    _bits.count_bits(packed, counts)
    assert (counts == ref + 5).all()
    wide = np.zeros((n, 30), np.uint8)
    wide[:, 3:26] = packed
    strided = np.zeros(23 * 8, np.int64)
    _bits.count_bits(wide[:, 3:26], strided)
    assert (strided == ref).all()
    for dtype in (np.int16, np.float32, np.int64):
        out = np.full(23 * 8, 9, dtype)
        assert (_bits.count_block(packed, out) == ref).all()


def test_parallel_and_serial_paths_agree(rng, monkeypatch):
    raw = rng.integers(0, 256, (6, 3 + 40 * 24 // 8), dtype=np.uint8)
    packed = rng.integers(0, 256, (300, 17), dtype=np.uint8)
    results = []
    for threshold in (0, 1 << 40):  # everything parallel, then everything serial
        monkeypatch.setattr(_bits, "PARALLEL_MIN_PIXELS", threshold)
        counts = np.zeros(17 * 8, np.int64)
        results.append((
            _bits.decode_rows(raw, 6, 40, 24, header=3, flip=True),
            _bits.decode_rows(raw, 6, 40, 21, header=3, stored_width=24, flip=True),
            _bits.count_bits(packed, counts).copy(),
        ))
    for a, b in zip(*results):
        assert (a == b).all()
    assert (results[0][2] == np.unpackbits(packed, axis=1, bitorder="little").sum(0)).all()


def test_pack_reads_any_nonzero_as_a_spike():
    ints = np.array([[[0, 2, -1, 0, 7, 0, 0, 255]]], dtype=np.int64)
    floats = ints.astype(np.float32) * 0.5
    assert _bits.pack_frames(ints).tolist() == [[0b10010110]]
    assert _bits.pack_frames(floats).tolist() == [[0b10010110]]
