"""Blosc2 (LZ4 / Zstd with bit-shuffle) spike compression: bit-exact, and readable by plain h5py + hdf5plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import spikevision as sv

pytest.importorskip("hdf5plugin")


@pytest.mark.parametrize("codec", ["blosc2-lz4", "blosc2-zstd", "blosc2-zstd:5", "blosc2"])
def test_roundtrip_and_plain_h5py(codec, tmp_path):
    x = (np.random.default_rng(0).random((300, 24, 40)) < 0.03).astype(np.uint8)
    p = tmp_path / "x.h5"
    sv.save(p, x, compression=codec)
    np.testing.assert_array_equal(sv.open(p).unpack(), x)
    code = ("import sys, h5py, hdf5plugin, numpy as np; f = h5py.File(sys.argv[1], 'r'); "
            "print(int(np.unpackbits(f['spikes'][()], axis=1, bitorder='little').sum()))")
    r = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout) == int(x.sum())


def test_fresh_process_registers_the_filter(tmp_path):
    x = (np.random.default_rng(1).random((50, 16, 16)) < 0.2).astype(np.uint8)
    sv.save(tmp_path / "x.h5", x, compression="blosc2-zstd")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    code = "import sys, spikevision as sv; print(int(sv.open(sys.argv[1]).unpack().sum()))"
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.h5")], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and int(r.stdout) == int(x.sum()), r.stderr


def test_compresses_low_light_and_names_bad_levels(tmp_path):
    x = (np.random.default_rng(2).random((400, 32, 48)) < 0.03).astype(np.uint8)
    sv.save(tmp_path / "z.h5", x, compression="blosc2-zstd")
    sv.save(tmp_path / "n.h5", x, compression=None)
    assert os.path.getsize(tmp_path / "z.h5") * 2 < os.path.getsize(tmp_path / "n.h5")
    with pytest.raises(ValueError, match="0..9"):
        sv.save(tmp_path / "b.h5", x, compression="blosc2-zstd:12")
    with pytest.raises(ValueError, match="blosc2-lz4"):
        sv.save(tmp_path / "b.h5", x, compression="snappy")
