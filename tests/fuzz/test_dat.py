"""Fuzz vidar ``.dat``: truncations, pixel bits, the ``.dat.json`` sidecar when the writer makes one, hostile files.

A ``.dat`` has no header and no checksum: the structure is its length (whole frames) and, where
spikevision writes one, the sidecar. A cut-off file must read as its whole frames (with a warning
when a partial frame is left over), a flipped pixel bit must read back as exactly that flipped bit,
and damage to the sidecar must read exactly or raise.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import spikevision as sv

from ._common import MUST_FAIL, assert_no_bad, damage_check, hostile_check, run_target, sample_size
from ._harness import mutation_specs

T, H, W = 6, 250, 400
FRAME = H * W // 8


def reference_decode(data: bytes, h: int = H, w: int = W) -> np.ndarray:
    """Whole frames of a flipped (vidar) ``.dat`` decoded with NumPy alone."""
    n = len(data) // (h * w // 8)
    bits = np.unpackbits(np.frombuffer(data[: n * h * w // 8], np.uint8), bitorder="little")
    return bits.reshape(n, h, w)[:, ::-1]


def _recording(rng: np.random.Generator, workdir: pathlib.Path) -> tuple[np.ndarray, pathlib.Path]:
    x = (rng.random((T, H, W)) < 0.2).astype(np.uint8)
    path = workdir / "base.dat"
    sv.save(path, sv.from_array(x))
    assert np.array_equal(reference_decode(path.read_bytes()), x), "the reference decoder disagrees with the writer"
    return x, path


def _sidecars(path: pathlib.Path) -> list[pathlib.Path]:
    """Files the writer put next to ``path`` (``base.dat.json`` ...), if any."""
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)


def _truncations(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    x, path = _recording(rng, workdir)
    data = path.read_bytes()
    sidecars = _sidecars(path)
    cases = [("truncate", int(rng.integers(0, T)) * FRAME if rng.random() < 0.3 else int(rng.integers(0, len(data))))
             for _ in range(n)]

    def expected(spec: tuple, damaged: bytes) -> np.ndarray:
        # a cut at a frame boundary is a shorter recording: nothing in the frames can tell
        return x[: len(damaged) // FRAME] if len(damaged) % FRAME == 0 else x

    def prepare(target: pathlib.Path, spec: tuple, damaged: bytes) -> pathlib.Path:
        target = target.with_suffix(".dat")
        target.write_bytes(damaged)
        for s in sidecars:  # keep the sidecar next to the cut file, as a copy would
            (target.parent / (target.name + s.name[len(path.name):])).write_bytes(s.read_bytes())
        return target

    return cases, damage_check(data, workdir, "x.dat", lambda p: sv.open(p, height=H, width=W).unpack(),
                               expected, prepare=prepare)


def _pixels(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    x, path = _recording(rng, workdir)
    data = path.read_bytes()
    sidecars = _sidecars(path)
    cases = [s for s in mutation_specs(len(data), rng, 2 * n + 8) if s[0] != "truncate"][:n]

    def prepare(target: pathlib.Path, spec: tuple, damaged: bytes) -> pathlib.Path:
        target = target.with_suffix(".dat")
        target.write_bytes(damaged)
        for s in sidecars:
            (target.parent / (target.name + s.name[len(path.name):])).write_bytes(s.read_bytes())
        return target

    return cases, damage_check(data, workdir, "x.dat", lambda p: sv.open(p).unpack(),
                               lambda spec, damaged: reference_decode(damaged), prepare=prepare)


def _sidecar(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Damaged copies of the sidecar next to an intact ``.dat`` (no cases when the writer makes none)."""
    x, path = _recording(rng, workdir)
    sidecars = _sidecars(path)
    if not sidecars:
        return [], lambda case: ("exact", "")
    side = sidecars[0]
    meta = side.read_bytes()
    suffix = side.name[len(path.name):]

    def prepare(target: pathlib.Path, spec: tuple, damaged: bytes) -> pathlib.Path:
        target = target.with_suffix(".dat")
        target.write_bytes(path.read_bytes())
        (target.parent / (target.name + suffix)).write_bytes(damaged)
        return target

    return mutation_specs(len(meta), rng, n), damage_check(meta, workdir, "x.dat", lambda p: sv.open(p).unpack(),
                                                           x, prepare=prepare)


def _hostile(x: np.ndarray, data: bytes, npz: bytes) -> dict[str, tuple[bytes | str, np.ndarray]]:
    pk = bytearray(data)
    pk[:4] = b"PK\x03\x04"  # pixel bits that look like a zip: still a .dat
    return {
        "empty": (b"", MUST_FAIL),
        "one-byte": (b"\1", MUST_FAIL),
        "dir": ("dir", MUST_FAIL),
        "fifo": ("fifo", MUST_FAIL),
        "under-one-frame": (data[:12_345], MUST_FAIL),
        "npz-named-dat": (npz, x),
        "zip-magic-frames": (bytes(pk), reference_decode(bytes(pk))),
        "good": (data, x),
    }


def _make_hostile(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Every hand-made hostile file once (``n`` is ignored: the set is fixed)."""
    x, path = _recording(rng, workdir)
    sv.save(workdir / "same.npz", sv.from_array(x))
    table = _hostile(x, path.read_bytes(), (workdir / "same.npz").read_bytes())
    return hostile_check(table, workdir, ".dat", lambda p: sv.open(p).unpack())


FUZZ = {"dat-truncate": _truncations, "dat-pixels": _pixels, "dat-sidecar": _sidecar, "dat-hostile": _make_hostile}


def test_cut_dat_reads_its_whole_frames(tmp_path):
    cases, results = run_target(FUZZ, "dat-truncate", sample_size(30), tmp_path)
    assert_no_bad("dat-truncate", cases, results)
    assert {"prefix", "error"} <= {k for k, _ in results}


def test_flipped_pixel_bits_read_as_the_damaged_bits(tmp_path):
    cases, results = run_target(FUZZ, "dat-pixels", sample_size(20), tmp_path)
    assert_no_bad("dat-pixels", cases, results)


def test_damaged_sidecar_reads_exactly_or_raises(tmp_path):
    cases, results = run_target(FUZZ, "dat-sidecar", sample_size(30), tmp_path)
    if not cases:
        pytest.skip("this .dat writer makes no sidecar")
    assert_no_bad("dat-sidecar", cases, results)


def test_hostile_dat_files(tmp_path):
    cases, results = run_target(FUZZ, "dat-hostile", 0, tmp_path)
    assert_no_bad("dat-hostile", cases, results)
    by_name = dict(zip(cases, results))
    assert by_name["good"][0] == by_name["zip-magic-frames"][0] == "exact"
