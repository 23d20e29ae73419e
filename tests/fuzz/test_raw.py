"""Fuzz SPS100 / M1 raw line packets: damaged tags, lost/extra/garbage units, pixel bits, hostile files.

Raw captures document skipping torn frames with a warning, so a damaged read may return the
recorded frames in order with some left out (``"skipped"``). Damage that is invisible by design is
not generated: a shift of a whole number of frames (a loss of k x 2000 units, or inserted units in
tag sequence with their new place at either end), which splices frames with intact tags; an
inserted copy of a whole intact frame, which is a frame; a cut at a frame boundary, which is a
shorter capture (its expected frames are that prefix); and pixel bits, which carry no checksum, so a flipped pixel
bit must read back as exactly that flipped bit.
"""

from __future__ import annotations

import pathlib

import numpy as np

import spikevision as sv
from spikevision.io.raw import FRAME_WIRE_BYTES, UNIT_BYTES, UNIT_TABLE, UNITS_PER_FRAME

from ._common import MUST_FAIL, assert_no_bad, damage_check, hostile_check, run_target, sample_size

T = 4
PIXEL_BITS = 500


def reference_decode(wire: bytes) -> np.ndarray:
    """Whole frames of ``wire`` decoded with NumPy from :data:`UNIT_TABLE` alone (tags not checked)."""
    w = np.frombuffer(wire, np.uint8)
    n = len(w) // FRAME_WIRE_BYTES
    units = w[: n * FRAME_WIRE_BYTES].reshape(n, UNITS_PER_FRAME, UNIT_BYTES)
    bits = np.unpackbits(units, axis=2, bitorder="little")[:, :, :PIXEL_BITS]
    out = np.zeros((n, 1000, 1000), np.uint8)
    rows, half = UNIT_TABLE[:, 2].astype(np.int64), UNIT_TABLE[:, 3].astype(np.int64)
    for h in (0, 1):
        sel = half == h
        out[:, rows[sel], h * PIXEL_BITS: (h + 1) * PIXEL_BITS] = bits[:, sel]
    return out


def _recording(rng: np.random.Generator, workdir: pathlib.Path) -> tuple[np.ndarray, bytes]:
    x = (rng.random((T, 1000, 1000)) < 0.05).astype(np.uint8)
    path = workdir / "base.raw"
    sv.save(path, sv.from_array(x))
    wire = path.read_bytes()
    assert np.array_equal(reference_decode(wire), x), "the reference decoder disagrees with the writer"
    sv.open(path).unpack()  # compile the kernels in the parent: forked children inherit them
    return x, wire


def _read(path: pathlib.Path) -> np.ndarray:
    return sv.open(path).unpack()


def _read_strict(path: pathlib.Path) -> np.ndarray:
    return sv.open(path, strict=True).unpack()


# --- damage --------------------------------------------------------------------------------------
def _tag_spec(rng: np.random.Generator, units: int) -> tuple:
    """New 12-bit tags for 1..3 units (markers drawn often), or a truncation."""
    if rng.random() < 0.15:
        k = int(rng.integers(0, units)) * UNIT_BYTES
        return ("truncate", k if rng.random() < 0.8 else k + int(rng.integers(1, UNIT_BYTES)))
    edits = []
    for _ in range(int(rng.integers(1, 4))):
        frame = int(rng.integers(0, units // UNITS_PER_FRAME))
        pos = int(rng.choice([0, 1, UNITS_PER_FRAME - 2, UNITS_PER_FRAME - 1])) if rng.random() < 0.3 \
            else int(rng.integers(UNITS_PER_FRAME))
        how = int(rng.integers(3))
        edits.append((frame * UNITS_PER_FRAME + pos, how, int(rng.integers(12)), int(rng.integers(1 << 12))))
    return ("tags", tuple(edits))


def _unit_spec(rng: np.random.Generator, units: int) -> tuple:
    """A lost run, a copied run, garbage units, or two units of one frame swapped."""
    kind = int(rng.integers(4))
    a = int(rng.integers(0, units))
    if kind == 0:  # lost units (never a whole number of frames: that loss is invisible by design)
        n = int(rng.integers(1, 3 * UNITS_PER_FRAME))
        n += n % UNITS_PER_FRAME == 0
        return ("delete", a, n)
    if kind == 1:  # a copy of under a frame inserted out of tag sequence (a whole intact frame is a frame)
        n = int(rng.integers(1, UNITS_PER_FRAME))
        b = int(rng.integers(0, units))
        while (b - a) % UNITS_PER_FRAME == 0 or (b - a - n) % UNITS_PER_FRAME == 0:  # either join in sequence
            b = (b + 1) % units
        return ("copy", a, n, b)
    if kind == 2:
        return ("garbage", a, rng.integers(0, 256, UNIT_BYTES * int(rng.integers(1, 40)), np.uint8).tobytes())
    frame = a // UNITS_PER_FRAME * UNITS_PER_FRAME
    i, j = rng.choice(UNITS_PER_FRAME, 2, replace=False)
    return ("swap", frame + int(i), frame + int(j))


def _pixel_spec(rng: np.random.Generator, units: int) -> tuple:
    flips = [(int(rng.integers(units)), int(rng.integers(PIXEL_BITS))) for _ in range(int(rng.integers(1, 9)))]
    return ("pixels", tuple(flips))


def apply(wire: bytes, spec: tuple) -> bytes:
    """``wire`` damaged as a raw ``spec`` says (tags, units, pixel bits or a truncation)."""
    kind = spec[0]
    if kind == "truncate":
        return wire[: spec[1]]
    u = np.frombuffer(wire, np.uint8).reshape(-1, UNIT_BYTES)
    if kind == "tags":
        u = u.copy()
        for unit, how, bit, rand in spec[1]:
            v = int(u[unit, 62]) | int(u[unit, 63]) << 8
            tag = v >> 4
            tag = tag ^ (1 << bit) if how == 0 else 0 if how == 1 else rand
            v = (v & 0xF) | (tag << 4)  # the low nibble is pixel bits 496..499: kept
            u[unit, 62], u[unit, 63] = v & 0xFF, v >> 8
        return u.tobytes()
    if kind == "delete":
        return np.concatenate([u[: spec[1]], u[spec[1] + spec[2]:]]).tobytes()
    if kind == "copy":
        _, a, n, b = spec
        return np.concatenate([u[:b], u[a: a + n], u[b:]]).tobytes()
    if kind == "garbage":
        return wire[: spec[1] * UNIT_BYTES] + spec[2] + wire[spec[1] * UNIT_BYTES:]
    if kind == "swap":
        u = u.copy()
        u[[spec[1], spec[2]]] = u[[spec[2], spec[1]]]
        return u.tobytes()
    if kind == "pixels":
        b = bytearray(wire)
        for unit, bit in spec[1]:
            b[unit * UNIT_BYTES + bit // 8] ^= 1 << (bit % 8)
        return bytes(b)
    raise ValueError(f"unknown raw damage {spec!r}")


def _target(spec_of, strict: bool = False, pixels: bool = False):
    def make_cases(rng: np.random.Generator, n: int, workdir: pathlib.Path):
        x, wire = _recording(rng, workdir)
        units = len(wire) // UNIT_BYTES
        cases = [spec_of(rng, units) for _ in range(n)]
        def expected(spec: tuple, damaged: bytes) -> np.ndarray:
            if pixels:
                return reference_decode(damaged)
            if len(damaged) % FRAME_WIRE_BYTES == 0 and wire.startswith(damaged):
                return x[: len(damaged) // FRAME_WIRE_BYTES]  # cut at a frame boundary: a shorter capture
            return x

        return cases, damage_check(wire, workdir, "x.raw", _read_strict if strict else _read, expected,
                                   gaps=not strict, apply=apply)

    return make_cases


def _mixed_spec(rng: np.random.Generator, units: int) -> tuple:
    return _tag_spec(rng, units) if rng.random() < 0.5 else _unit_spec(rng, units)


# --- hand-made hostile files -----------------------------------------------------------------------
def _hostile(x: np.ndarray, wire: bytes, rng: np.random.Generator) -> dict[str, tuple[bytes | str, np.ndarray]]:
    frame = FRAME_WIRE_BYTES
    u = np.frombuffer(wire, np.uint8).reshape(-1, UNIT_BYTES)
    markers = u[[UNITS_PER_FRAME - 1, UNITS_PER_FRAME]].tobytes()  # an end marker then a start marker
    noise = rng.integers(0, 256, 2 * frame, np.uint8).tobytes()
    return {
        "empty": (b"", MUST_FAIL),
        "one-byte": (b"\0", MUST_FAIL),
        "one-unit": (wire[:UNIT_BYTES], MUST_FAIL),
        "dir": ("dir", MUST_FAIL),
        "fifo": ("fifo", MUST_FAIL),
        "zeros": (bytes(2 * frame), MUST_FAIL),
        "ones": (b"\xff" * 2 * frame, MUST_FAIL),
        "noise": (noise, MUST_FAIL),
        "markers-in-noise": (noise[:frame] + markers + noise[frame:], MUST_FAIL),
        "markers-only": (markers * 2000, MUST_FAIL),
        "one-frame-short-one-unit": (wire[: frame - UNIT_BYTES], MUST_FAIL),
        "starts-mid-frame": (wire[frame // 2:], x[1:]),
        "noise-then-frames": (noise + wire, x),
        "frames-then-noise": (wire + noise, x),
        "last-frame-cut": (wire[: -UNIT_BYTES], x[:-1]),
        "good": (wire, x),
    }


def _make_hostile(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Every hand-made hostile file once (``n`` is ignored: the set is fixed)."""
    x, wire = _recording(rng, workdir)
    table = _hostile(x, wire, rng)
    return hostile_check(table, workdir, ".raw", _read, gaps=True)


FUZZ = {
    "raw-tags": _target(_tag_spec),
    "raw-units": _target(_unit_spec),
    "raw-strict": _target(_mixed_spec, strict=True),
    "raw-pixels": _target(_pixel_spec, pixels=True),
    "raw-hostile": _make_hostile,
}


def test_damaged_raw_reads_recorded_frames_or_raises(tmp_path):
    for target in ("raw-tags", "raw-units", "raw-strict"):
        cases, results = run_target(FUZZ, target, sample_size(20), tmp_path)
        assert_no_bad(target, cases, results)


def test_flipped_pixel_bits_read_as_the_damaged_bits(tmp_path):
    cases, results = run_target(FUZZ, "raw-pixels", sample_size(10), tmp_path)
    assert_no_bad("raw-pixels", cases, results)
    assert {k for k, _ in results} == {"exact"}


def test_hostile_raw_files(tmp_path):
    cases, results = run_target(FUZZ, "raw-hostile", 0, tmp_path)
    assert_no_bad("raw-hostile", cases, results)
    by_name = dict(zip(cases, results))
    assert by_name["good"][0] == by_name["frames-then-noise"][0] == "exact"
    assert by_name["noise-then-frames"][0] == "exact"  # a frame's own 2000 tags lock it, after any noise
    assert by_name["starts-mid-frame"][0] == "exact" and by_name["last-frame-cut"][0] == "exact"
