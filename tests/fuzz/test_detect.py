"""Fuzz format detection (``sv.open`` of a file without a known extension): damaged heads and random files.

Detection reads the head of the file and asks each format's ``sniff``; a damaged head must lead to
the recorded frames, or to a spikevision error (``UnknownFormatError`` when nothing claims the file).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import spikevision as sv

from ._common import MUST_FAIL, assert_no_bad, damage_check, run_target, sample_size
from ._harness import mutation_specs
from .test_raw import _recording as _raw_recording
from .test_raw import apply as _raw_apply

HEAD = 512  # bytes read by detection


def _read(path: pathlib.Path) -> np.ndarray:
    return sv.open(path).unpack()


def _npz_head(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    x = (rng.random((5, 9, 11)) < 0.3).astype(np.uint8)
    sv.save(workdir / "base.npz", sv.from_array(x), label=1, label_name="cat", compressed=bool(rng.integers(2)))
    data = (workdir / "base.npz").read_bytes()
    return mutation_specs(len(data), rng, n, [(0, HEAD)]), damage_check(data, workdir, "capture", _read, x)


def _raw_head(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    """Damaged tags of the units that detection reads (pixel bits carry no checksum: not damaged here)."""
    x, wire = _raw_recording(rng, workdir)
    units = HEAD // 64
    cases = []
    for _ in range(n):
        if rng.random() < 0.1:
            cases.append(("truncate", int(rng.integers(0, units + 2)) * 64))
            continue
        edits = tuple((int(rng.integers(units)), int(rng.integers(3)), int(rng.integers(12)),
                       int(rng.integers(1 << 12))) for _ in range(int(rng.integers(1, 4))))
        cases.append(("tags", edits))
    # a torn first frame is skipped with a warning (or nothing claims the file: UnknownFormatError)
    return cases, damage_check(wire, workdir, "capture", _read, x, gaps=True, apply=_raw_apply)


def _random_files(rng: np.random.Generator, n: int, workdir: pathlib.Path):
    prefixes = [b"", b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY", b"PIEH"]
    cases = []
    for _ in range(n):
        prefix = prefixes[int(rng.integers(len(prefixes)))]
        size = int(rng.choice([0, 1, 63, 64, 128, 512, 4096, 128_000]))
        cases.append(("random", 0, prefix + rng.integers(0, 256, size, np.uint8).tobytes()))

    def apply(data: bytes, spec: tuple) -> bytes:
        return spec[2]

    return cases, damage_check(b"", workdir, "capture", _read, MUST_FAIL, apply=apply)


FUZZ = {"detect-npz-head": _npz_head, "detect-raw-head": _raw_head, "detect-random": _random_files}


def test_detection_of_damaged_or_random_files(tmp_path):
    for target in FUZZ:
        cases, results = run_target(FUZZ, target, sample_size(20), tmp_path)
        assert_no_bad(target, cases, results)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("ext", [".dat", ".npz", ".raw", ".bin", ".h5", ""])
def test_directories_and_fifos_raise_format_error(tmp_path, ext):
    """A FIFO would block a reader forever, a directory cannot be read: both are refused before opening."""
    from spikevision.errors import FormatError

    d = tmp_path / f"d{ext}"
    d.mkdir()
    with pytest.raises(FormatError, match="is a directory"):
        sv.open(d)
    f = tmp_path / f"f{ext}"
    os.mkfifo(f)
    with pytest.raises(FormatError, match="not a regular file"):
        sv.open(f)
    with pytest.raises(FileNotFoundError, match="no such file"):
        sv.open(tmp_path / f"missing{ext}")
