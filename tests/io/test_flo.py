"""Middlebury .flo: byte-exact against a reference built value by value with struct."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spikevision.errors import FormatError, TruncatedFileError
from spikevision.io.flo import read_flo, write_flo


def ref_flo_bytes(flow: np.ndarray, order: str = "<") -> bytes:
    """Independent reference: the Middlebury layout written one value at a time."""
    h, w, _ = flow.shape
    out = [struct.pack(order + "f", 202021.25), struct.pack(order + "i", w), struct.pack(order + "i", h)]
    for r in range(h):
        for c in range(w):
            out.append(struct.pack(order + "ff", float(flow[r, c, 0]), float(flow[r, c, 1])))
    return b"".join(out)


def test_magic_is_pieh():
    assert struct.pack("<f", 202021.25) == b"PIEH"


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_write_is_byte_exact_and_round_trips(h, w, seed):
    rng = np.random.default_rng(seed)
    flow = (rng.standard_normal((h, w, 2)) * 10).astype(np.float32)
    flow[0, 0, 0] = 1e10  # "unknown flow" marker survives
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.flo"
        assert write_flo(path, flow) == path
        assert path.read_bytes() == ref_flo_bytes(flow)
        back = read_flo(path)
        assert back.dtype == np.float32 and back.shape == (h, w, 2)
        np.testing.assert_array_equal(back, flow)


def test_reads_reference_file(tmp_path):
    flow = np.arange(3 * 5 * 2, dtype=np.float32).reshape(3, 5, 2) - 7.5
    path = tmp_path / "r.flo"
    path.write_bytes(ref_flo_bytes(flow))
    got = read_flo(path)
    np.testing.assert_array_equal(got, flow)
    assert got[1, 4, 0] == flow[1, 4, 0]  # u of row 1, column 4
    assert got[2, 0, 1] == 2 * 5 * 2 + 1 - 7.5  # v interleaved right after u


def test_reads_big_endian_file(tmp_path):
    flow = np.random.default_rng(1).standard_normal((4, 3, 2)).astype(np.float32)
    path = tmp_path / "be.flo"
    path.write_bytes(ref_flo_bytes(flow, ">"))
    np.testing.assert_array_equal(read_flo(path), flow)


def test_write_accepts_other_float_types(tmp_path):
    flow = np.random.default_rng(2).standard_normal((2, 3, 2))  # float64
    path = tmp_path / "d.flo"
    write_flo(path, flow)
    assert path.read_bytes() == ref_flo_bytes(flow.astype(np.float32))


def test_bad_magic(tmp_path):
    path = tmp_path / "b.flo"
    path.write_bytes(b"PNG\x00" + struct.pack("<ii", 1, 1) + bytes(8))
    with pytest.raises(FormatError, match="magic"):
        read_flo(path)


@pytest.mark.parametrize("w,h", [(0, 3), (3, -1), (1 << 20, 2), (-5, -5)])
def test_absurd_sizes(tmp_path, w, h):
    path = tmp_path / "s.flo"
    path.write_bytes(struct.pack("<fii", 202021.25, w, h) + bytes(64))
    with pytest.raises(FormatError, match="impossible .flo size"):
        read_flo(path)


def test_truncated_and_trailing(tmp_path):
    flow = np.ones((4, 4, 2), np.float32)
    data = ref_flo_bytes(flow)
    path = tmp_path / "t.flo"
    path.write_bytes(data[:-4])
    with pytest.raises(TruncatedFileError, match="needs 140 bytes but the file has 136"):
        read_flo(path)
    path.write_bytes(data[:7])
    with pytest.raises(TruncatedFileError, match="12-byte .flo header"):
        read_flo(path)
    path.write_bytes(data + b"\x00" * 8)
    with pytest.raises(FormatError, match="8 bytes after the 4x4 flow field"):
        read_flo(path)
    with pytest.raises(FileNotFoundError):
        read_flo(tmp_path / "missing.flo")


def test_write_rejects_bad_input_and_writes_nothing(tmp_path):
    path = tmp_path / "x.flo"
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        write_flo(path, np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        write_flo(path, np.zeros((4, 4)))
    with pytest.raises(ValueError, match="1..65536 pixels"):
        write_flo(path, np.zeros((0, 4, 2)))
    with pytest.raises(ValueError, match="real numbers"):
        write_flo(path, np.zeros((2, 2, 2), complex))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(60)
def test_directory_and_fifo_raise_format_error(tmp_path):
    import os

    (tmp_path / "d.flo").mkdir()
    with pytest.raises(FormatError, match="is a directory"):
        read_flo(tmp_path / "d.flo")
    os.mkfifo(tmp_path / "f.flo")
    with pytest.raises(FormatError, match="not a regular file"):  # opening it would block forever
        read_flo(tmp_path / "f.flo")
