"""UHSR .npz: round trips against np.savez/np.load, streaming reads, bad archives."""

from __future__ import annotations

import logging
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikevision as sv
from spikevision.errors import FormatError, TruncatedFileError
from spikevision.io import npz as npzio
from tests.conftest import random_spikes


def test_reads_uhsr_file_written_by_numpy(tmp_path, rng):
    x = random_spikes(rng, 200, 25, 25, p=0.1)
    path = tmp_path / "airplanes_0001.npz"
    np.savez_compressed(path, spk=x, label=np.int64(3), label_name="airplanes")
    s = sv.open(path, strict=True)
    assert s.shape == (200, 25, 25) and s.fps == 20000
    np.testing.assert_array_equal(s.unpack(), x)  # not flipped
    np.testing.assert_array_equal(s.packed(), np.packbits(x.reshape(200, -1), axis=1, bitorder="little"))
    prov = s.meta.provenance
    assert prov["format"] == "npz" and prov["label"] == 3 and prov["label_name"] == "airplanes"
    assert isinstance(prov["label"], int)
    assert sv.open(path, fps=40000).fps == 40000


@settings(max_examples=30, deadline=None)
@given(t=st.integers(0, 30), h=st.integers(1, 12), w=st.integers(1, 12), compressed=st.booleans(),
       label=st.one_of(st.none(), st.integers(-5, 10**12)), name=st.one_of(st.none(), st.text(max_size=12)),
       seed=st.integers(0, 2**31))
def test_write_matches_np_savez(t, h, w, compressed, label, name, seed):
    x = random_spikes(np.random.default_rng(seed), t, h, w)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "o.npz"
        sv.save(path, sv.from_array(x), label=label, label_name=name, compressed=compressed)
        with np.load(path) as z:
            assert sorted(z.files) == sorted(["spk"] + (["label"] if label is not None else [])
                                             + (["label_name"] if name is not None else []))
            assert z["spk"].dtype == np.uint8 and z["spk"].shape == (t, h, w)
            np.testing.assert_array_equal(z["spk"], x)
            if label is not None:
                assert z["label"].dtype == np.int64 and z["label"] == label
            if name is not None:
                assert str(z["label_name"]) == name
        with zipfile.ZipFile(path) as zf:
            kinds = {i.compress_type for i in zf.infolist()}
        assert kinds == {zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED}
        s = sv.open(path)
        np.testing.assert_array_equal(s.unpack(), x)
        assert s.meta.provenance.get("label") == label and s.meta.provenance.get("label_name") == name
        assert [p.name for p in Path(d).iterdir()] == ["o.npz"]


def test_labels_carry_over_from_provenance(tmp_path, rng):
    x = random_spikes(rng, 4, 5, 5)
    a = tmp_path / "a.npz"
    np.savez(a, spk=x, label=np.int64(7), label_name="cat")
    b = tmp_path / "b.npz"
    sv.save(b, sv.open(a)[1:3])
    with np.load(b) as z:
        assert z["label"] == 7 and str(z["label_name"]) == "cat"
        np.testing.assert_array_equal(z["spk"], x[1:3])
    sv.save(b, sv.open(a), label=2)
    with np.load(b) as z:
        assert z["label"] == 2 and str(z["label_name"]) == "cat"
    with pytest.raises(ValueError, match="label must be an integer"):
        sv.save(b, sv.open(a), label="cat")


@pytest.mark.parametrize("conv", [lambda x: x.astype(bool), lambda x: x.astype(np.int64),
                                  lambda x: x.astype(">u2"), lambda x: x.astype(np.float32), np.asfortranarray],
                         ids=["bool", "int64", "big-endian", "float", "fortran"])
def test_other_dtypes_and_orders(tmp_path, rng, conv):
    x = random_spikes(rng, 6, 7, 9)
    path = tmp_path / "d.npz"
    np.savez(path, spk=conv(x))
    np.testing.assert_array_equal(sv.open(path).unpack(), x)


def test_streams_in_blocks(tmp_path, rng, monkeypatch):
    monkeypatch.setattr(npzio, "_BLOCK_BYTES", 3 * 8 * 8)  # 3 frames per step
    x = random_spikes(rng, 11, 8, 8)
    path = tmp_path / "b.npz"
    np.savez_compressed(path, spk=x)
    np.testing.assert_array_equal(sv.open(path).unpack(), x)
    x[9, 2, 3] = 4
    np.savez_compressed(path, spk=x)
    with pytest.raises(FormatError, match="frame 9 holds 4"):
        sv.open(path)


def test_missing_spk_lists_keys(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, spikes=np.zeros((2, 3, 3), np.uint8), label=np.int64(1))
    with pytest.raises(FormatError, match=r"no 'spk' array \(keys present: spikes, label\)"):
        sv.open(path)


def test_wrong_ndim_dtype_values(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, spk=np.zeros((3, 4), np.uint8))
    with pytest.raises(FormatError, match=r"\(T, H, W\).*2-D"):
        sv.open(path)
    np.savez(path, spk=np.array([["a"]]).reshape(1, 1, 1))
    with pytest.raises(FormatError, match="dtype"):
        sv.open(path)
    np.savez(path, spk=np.zeros((3, 0, 4), np.uint8))
    with pytest.raises(FormatError, match="at least one pixel"):
        sv.open(path)
    x = np.zeros((3, 4, 4), np.uint8)
    x[1, 0, 0] = 255
    np.savez(path, spk=x)
    with pytest.raises(FormatError, match=r"frame 1 holds 255.*!= 0"):
        sv.open(path)
    np.savez(path, spk=np.full((2, 2, 2), 0.5))
    with pytest.raises(FormatError, match="0/1 spikes"):
        sv.open(path)


def test_strict_requires_uhsr_keys(tmp_path, rng):
    x = random_spikes(rng, 2, 3, 3)
    path = tmp_path / "s.npz"
    np.savez(path, spk=x)
    assert sv.open(path).shape == (2, 3, 3)
    with pytest.raises(FormatError, match="exactly spk, label, label_name"):
        sv.open(path, strict=True)
    np.savez(path, spk=x, label=np.arange(3), label_name="x")
    with pytest.raises(FormatError, match="'label' must be one integer"):
        sv.open(path, strict=True)


def test_pickled_members_are_never_loaded(tmp_path, rng, caplog):
    x = random_spikes(rng, 2, 3, 3)
    path = tmp_path / "p.npz"
    np.savez(path, spk=x, label=np.int64(1), label_name=np.array({"evil": 1}, dtype=object))
    with caplog.at_level(logging.WARNING):
        s = sv.open(path)
    assert "label_name" not in s.meta.provenance or s.meta.provenance["label_name"] is None
    assert "ignoring 'label_name'" in caplog.text
    np.testing.assert_array_equal(s.unpack(), x)


def test_damaged_archives(tmp_path, rng):
    path = tmp_path / "x.npz"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(FormatError, match="not a valid .npz"):
        sv.open(path)
    np.savez_compressed(path, spk=random_spikes(rng, 50, 16, 16))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError):
        sv.open(path)
    # a stored member whose data is cut short (header says more frames than there are)
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open("spk.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": "|u1", "fortran_order": False, "shape": (5, 4, 4)})
            fh.write(bytes(16 * 2 + 3))
    with pytest.raises(FormatError, match="ends after 2 of 5 frames"):
        sv.open(path)


def test_sniff(tmp_path, rng):
    path = tmp_path / "u.npz"
    np.savez(path, spk=random_spikes(rng, 2, 3, 3))
    head = path.read_bytes()[:512]
    assert npzio.sniff(path, head)
    other = tmp_path / "o.npz"
    np.savez(other, a=np.zeros(3))
    assert not npzio.sniff(other, other.read_bytes()[:512])
    assert not npzio.sniff(path, b"\x89HDF\r\n\x1a\n")
    noext = tmp_path / "sample"
    noext.write_bytes(path.read_bytes())
    assert sv.open(noext).shape == (2, 3, 3)


def _one_member(path, data: bytes, name: str = "spk.npy", compression=zipfile.ZIP_DEFLATED) -> None:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr(name, data)


def _npy_bytes(shape, body: bytes, descr: str = "|u1") -> bytes:
    import io

    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
    return f.getvalue() + body


def _member_body(data: bytes, info: zipfile.ZipInfo) -> int:
    """Offset of a member's data: after its local header (whose extra field may differ from the directory's)."""
    off = info.header_offset
    return off + 30 + int.from_bytes(data[off + 26: off + 28], "little") + int.from_bytes(data[off + 28: off + 30],
                                                                                         "little")


def test_huge_declared_shape_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    for comp in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        _one_member(path, _npy_bytes((10**9, 250, 400), bytes(1000)), compression=comp)
        with pytest.raises(TruncatedFileError, match=r"ends after 0 of 1000000000 frames"):
            sv.open(path)
    _one_member(path, _npy_bytes((-1, 4, 4), bytes(16)))
    with pytest.raises(FormatError, match="negative shape"):
        sv.open(path)


def test_zip_bombs_are_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    # a 3-frame array followed by 64 MB of zeros in the same member (64 KB compressed)
    _one_member(path, _npy_bytes((3, 4, 4), bytes(48 + (64 << 20))))
    assert path.stat().st_size < 1 << 20
    with pytest.raises(FormatError, match="extra data, a damaged header or a zip bomb; nothing was inflated"):
        sv.open(path)
    # a central directory that declares 4 GB for a member of a few hundred bytes
    x = random_spikes(np.random.default_rng(0), 3, 4, 4)
    np.savez_compressed(path, spk=x)
    data = bytearray(path.read_bytes())
    cd = data.find(b"PK\x01\x02")
    data[cd + 24: cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="more than deflate can produce"):
        sv.open(path)


def test_every_member_is_crc_checked(tmp_path, rng):
    """A flipped byte anywhere in a member's data (spikes or labels) raises; it never reads as other values."""
    x = random_spikes(rng, 4, 5, 6)
    path = tmp_path / "c.npz"
    sv.save(path, sv.from_array(x), label=7, label_name="cat", compressed=False)
    clean = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    for info in infos.values():
        body = _member_body(clean, info)  # start of the stored .npy
        for offset in (8, info.file_size - 1):  # in the .npy header, and the last data byte
            damaged = bytearray(clean)
            damaged[body + offset] ^= 0x01
            path.write_bytes(bytes(damaged))
            with pytest.raises(FormatError, match="CRC-32"):
                sv.open(path)


def test_damaged_deflate_stream_raises_format_error(tmp_path, rng):
    path = tmp_path / "z.npz"
    sv.save(path, sv.from_array(random_spikes(rng, 20, 16, 16)), label=1, label_name="x")
    clean = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    for info in infos:
        body = _member_body(clean, info)
        damaged = bytearray(clean)
        damaged[body: body + 8] = b"\xff" * 8
        path.write_bytes(bytes(damaged))
        with pytest.raises(FormatError, match=rf"member '{info.filename[:-4]}'"):
            sv.open(path)


def test_duplicate_and_unsupported_members(tmp_path, rng):
    x = random_spikes(rng, 2, 3, 3)
    path = tmp_path / "d.npz"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as zf:
        zf.writestr("spk.npy", _npy_bytes(x.shape, x.tobytes()))
        zf.writestr("spk.npy", _npy_bytes(x.shape, (1 - x).tobytes()))
    with pytest.raises(FormatError, match="'spk' more than once"):
        sv.open(path)
    _one_member(path, _npy_bytes(x.shape, x.tobytes()), compression=zipfile.ZIP_BZIP2)
    with pytest.raises(FormatError, match="compression method 12"):
        sv.open(path)
    _one_member(path, b"\x93NUMPY\x09\x00" + _npy_bytes(x.shape, x.tobytes())[8:])
    with pytest.raises(FormatError, match=r"unknown .npy format version \(9, 0\)"):
        sv.open(path)
    _one_member(path, _npy_bytes(x.shape, x.tobytes()) + b"\0")
    with pytest.raises(FormatError, match="extra data"):
        sv.open(path)


def test_streamed_archive_with_data_descriptors_reads(tmp_path, rng):
    """zipfile writing to a pipe puts sizes after each member (data descriptors): still read exactly."""
    import io

    class Pipe(io.RawIOBase):
        def __init__(self):
            self.buf = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.buf += bytes(b)
            return len(b)

    x = random_spikes(rng, 5, 6, 7)
    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open("spk.npy", "w") as fh:
        np.lib.format.write_array(fh, x)
    path = tmp_path / "s.npz"
    path.write_bytes(bytes(pipe.buf))
    np.testing.assert_array_equal(sv.open(path).unpack(), x)
