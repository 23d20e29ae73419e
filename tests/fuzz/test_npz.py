"""Fuzz UHSR ``.npz``: damaged copies of files spikevision wrote, and hand-made hostile archives.

Every member carries a CRC-32 over its whole data, so a read must return exactly the recorded
frames or raise a spikevision error, wherever the damage is (metadata or spike bytes).
"""

from __future__ import annotations

import io
import pathlib
import pickle
import struct
import warnings
import zipfile

import numpy as np
import pytest

import spikevision as sv

from ._common import MUST_FAIL, assert_no_bad, damage_check, hostile_check, run_target, sample_size
from ._harness import mutation_specs

H, W, T = 10, 12, 6


def _recording(rng: np.random.Generator) -> np.ndarray:
    return (rng.random((T, H, W)) < 0.3).astype(np.uint8)


def _read(path: pathlib.Path) -> np.ndarray:
    return sv.open(path).unpack()


def _metadata_regions(data: bytes) -> list[tuple[int, int]]:
    """Byte ranges of the zip local headers, the first 128 data bytes of each member (its .npy header,
    stored or deflated), the central directory and the end records."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        start_dir = zf.start_dir
    regions = []
    for info in infos:
        off = info.header_offset
        name_len, extra_len = struct.unpack("<HH", data[off + 26: off + 30])
        body = off + 30 + name_len + extra_len
        regions += [(off, body), (body, body + min(128, info.compress_size))]
    regions.append((start_dir, len(data)))
    return regions


def _damaged(compressed: bool, metadata_only: bool):
    def make_cases(rng: np.random.Generator, n: int, workdir: pathlib.Path):
        x = _recording(rng)
        path = workdir / "base.npz"
        sv.save(path, sv.from_array(x), label=3, label_name="airplanes", compressed=compressed)
        data = path.read_bytes()
        regions = _metadata_regions(data) if metadata_only else None
        cases = mutation_specs(len(data), rng, n, regions)
        return cases, damage_check(data, workdir, "x.npz", _read, x)

    return make_cases


# --- hand-made hostile archives ---------------------------------------------------------------
def _npy(header: dict, body: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    f = io.BytesIO()
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(f, header)
    else:
        np.lib.format.write_array_header_2_0(f, header)
    return f.getvalue() + body


def _zip(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    f = io.BytesIO()
    with zipfile.ZipFile(f, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return f.getvalue()


def _savez(**arrays) -> bytes:
    f = io.BytesIO()
    np.savez(f, **arrays)
    return f.getvalue()


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek: zipfile then writes data descriptors after each member."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += bytes(b)
        return len(b)


def _patch_central(data: bytes, field: int, fmt: str, value: int) -> bytes:
    """Set a field (byte offset within the central header) of every central directory entry."""
    b = bytearray(data)
    pos = b.find(b"PK\x01\x02")
    while pos >= 0:
        struct.pack_into(fmt, b, pos + field, value)
        pos = b.find(b"PK\x01\x02", pos + 4)
    return bytes(b)


def _hostile(x: np.ndarray) -> dict[str, tuple[bytes | str, np.ndarray]]:
    """name -> (file content, or "dir"/"fifo"; the frames a read may return)."""
    u1 = {"descr": "|u1", "fortran_order": False}
    good = _savez(spk=x, label=np.int64(1), label_name=np.str_("cat"))
    nested = _zip([("spk.npy", good)])
    unseek = _Unseekable()
    with zipfile.ZipFile(unseek, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("spk.npy", "w") as fh:
            np.lib.format.write_array(fh, x)
    dup = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(dup, "w") as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": the point of this file
        zf.writestr("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes()))
        zf.writestr("spk.npy", _npy({**u1, "shape": x.shape}, (1 - x).tobytes()))
    bomb = _zip([("spk.npy", _npy({**u1, "shape": (2, 4, 4)}, bytes(32 + (50 << 20))))])
    return {
        "empty": (b"", MUST_FAIL),
        "random-1k": (np.random.default_rng(1).integers(0, 256, 1024, dtype=np.uint8).tobytes(), MUST_FAIL),
        "zip-magic-only": (b"PK\x03\x04" + bytes(60), MUST_FAIL),
        "empty-zip": (_zip([]), MUST_FAIL),
        "dir": ("dir", MUST_FAIL),
        "fifo": ("fifo", MUST_FAIL),
        "huge-shape-stored": (_zip([("spk.npy", _npy({**u1, "shape": (10**9, 250, 400)}, bytes(1000)))],
                                   zipfile.ZIP_STORED), MUST_FAIL),
        "huge-shape-deflated": (_zip([("spk.npy", _npy({**u1, "shape": (10**9, 250, 400)}, bytes(1000)))]),
                                MUST_FAIL),
        "huge-label": (_zip([("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes())),
                             ("label.npy", _npy({"descr": "<i8", "fortran_order": False, "shape": (10**12,)},
                                                bytes(80)))]), MUST_FAIL),
        "zip-bomb-50MB": (bomb, MUST_FAIL),
        "declared-size-4GB": (_patch_central(good, 24, "<I", 0xFFFFFFF0), MUST_FAIL),
        "encrypted-flag": (_patch_central(good, 8, "<H", 1), MUST_FAIL),
        "bzip2": (_zip([("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes()))], zipfile.ZIP_BZIP2), MUST_FAIL),
        "nested-zip": (nested, MUST_FAIL),
        "npz-inside-npz": (_zip([("inner.npz", good)]), MUST_FAIL),
        "duplicate-spk": (dup.getvalue(), MUST_FAIL),
        "object-spk": (_zip([("spk.npy", _npy({"descr": "|O", "fortran_order": False, "shape": (1, 1, 1)},
                                              pickle.dumps(np.array([1], dtype=object))))]), MUST_FAIL),
        "pickled-label": (_zip([("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes())),
                                ("label.npy", _npy({"descr": "|O", "fortran_order": False, "shape": ()},
                                                   b"cos\nsystem\n(S'echo pwned'\ntR."))]), x),
        "negative-shape": (_zip([("spk.npy", _npy({**u1, "shape": (-1, 4, 4)}, bytes(16)))]), MUST_FAIL),
        "huge-header-len": (_zip([("spk.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 1 << 31) + b"{")]),
                            MUST_FAIL),
        "npy-version-9": (_zip([("spk.npy", b"\x93NUMPY\x09\x09" + _npy({**u1, "shape": x.shape}, x.tobytes())[8:])]),
                          MUST_FAIL),
        "header-not-a-dict": (_zip([("spk.npy", b"\x93NUMPY\x01\x00\x10\x00[1, 2, 3]      \n")]), MUST_FAIL),
        "empty-member": (_zip([("spk.npy", b"")]), MUST_FAIL),
        "no-spk": (_savez(spikes=x), MUST_FAIL),
        "complex": (_savez(spk=x.astype(np.complex64)), MUST_FAIL),
        "string": (_savez(spk=x.astype("U1")), MUST_FAIL),
        "structured": (_savez(spk=np.zeros(x.shape, dtype=[("a", "u1"), ("b", "u1")])), MUST_FAIL),
        "void": (_savez(spk=np.zeros(x.shape, dtype="V4")), MUST_FAIL),
        "values-2": (_savez(spk=x * 2), MUST_FAIL),
        "float-half": (_savez(spk=x * 0.5), MUST_FAIL),
        "nan": (_savez(spk=np.where(x > 0, np.nan, 0.0)), MUST_FAIL),
        "1-d": (_savez(spk=x.ravel()), MUST_FAIL),
        "4-d": (_savez(spk=x[None]), MUST_FAIL),
        "zero-pixels": (_savez(spk=np.zeros((3, 0, 5), np.uint8)), MUST_FAIL),
        "trailing-member-bytes": (_zip([("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes() + b"\0"))]),
                                  MUST_FAIL),
        "big-endian": (_savez(spk=x.astype(">u2")), x),
        "bool": (_savez(spk=x.astype(bool)), x),
        "fortran": (_savez(spk=np.asfortranarray(x)), x),
        "float64": (_savez(spk=x.astype(np.float64)), x),
        "npy-version-2": (_zip([("spk.npy", _npy({**u1, "shape": x.shape}, x.tobytes(), (2, 0)))]), x),
        "data-descriptors": (bytes(unseek.buf), x),
        "zero-frames": (_savez(spk=np.zeros((0, H, W), np.uint8)), np.zeros((0, H, W), np.uint8)),
        "np-savez-compressed": (good, x),
    }


def _make_hostile(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Every hand-made hostile archive once (``n`` is ignored: the set is fixed)."""
    x = _recording(rng)
    table = _hostile(x)
    return hostile_check(table, workdir, ".npz", _read)


FUZZ = {
    "npz-deflated-metadata": _damaged(compressed=True, metadata_only=True),
    "npz-stored-metadata": _damaged(compressed=False, metadata_only=True),
    "npz-deflated-anywhere": _damaged(compressed=True, metadata_only=False),
    "npz-stored-anywhere": _damaged(compressed=False, metadata_only=False),
    "npz-hostile": _make_hostile,
}


@pytest.mark.parametrize("target", sorted(t for t in FUZZ if t != "npz-hostile"))
def test_damaged_npz_reads_exactly_or_raises(target, tmp_path):
    cases, results = run_target(FUZZ, target, sample_size(40), tmp_path)
    assert_no_bad(target, cases, results)
    assert {k for k, _ in results} >= {"error"}


def test_hostile_npz_files(tmp_path):
    cases, results = run_target(FUZZ, "npz-hostile", 0, tmp_path)
    assert len(cases) == len(set(cases)) >= 40
    assert_no_bad("npz-hostile", cases, results)
    by_name = dict(zip(cases, results))
    assert by_name["np-savez-compressed"][0] == "exact" and by_name["data-descriptors"][0] == "exact"
    assert "zip bomb" in by_name["zip-bomb-50MB"][1] or "extra data" in by_name["zip-bomb-50MB"][1]
