"""Deraining with the sensor's calibration: the fixed pattern is removed before the combination."""

import functools
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from spikevision.denoise import calibrate
from spikevision.derain import StreamingDerain, derain, derain_sequence, rain_mask
from spikevision.errors import FormatError
from spikevision.io import save_stream
from spikevision.metrics import psnr
from spikevision.sim import DarkScene, FlatScene, NoiseModel, RainScene, simulate

from ._scenes import truth

H, W, T = 40, 56, 800


@functools.lru_cache(maxsize=1)
def noisy_case():
    """A rain scene on the noisy sensor and that sensor's calibration (dark + flat of the same seed)."""
    nm = NoiseModel()
    sc = RainScene(H, W, T, seed=5, density=10)
    spikes = simulate(sc, noise=nm, seed=3)
    cal = calibrate(simulate(DarkScene(H, W, 1500), noise=nm, seed=3),
                    simulate(FlatScene(H, W, 1500, level=0.5), noise=nm, seed=3), flat_level=0.25)
    return spikes, sc, cal


@pytest.mark.parametrize("method", ["temporal", "best"])
def test_calibration_removes_the_fixed_pattern(method):
    spikes, sc, cal = noisy_case()
    a = spikes.unpack()
    for at in (300, 500):
        gt = truth(sc, at)
        plain, corrected = derain(a, at, method=method), derain(a, at, method=method, calibration=cal)
        assert psnr(corrected, gt) > psnr(plain, gt) + 3.0   # the 6 % gain spread was the floor


def test_streaming_and_sequence_equal_offline_with_calibration():
    spikes, _, cal = noisy_case()
    a = spikes.unpack()
    seq = derain_sequence(spikes, step=40, start=200, stop=600, method="temporal", calibration=cal)
    for i, t in enumerate(range(200, 600, 40)):
        np.testing.assert_array_equal(seq[i], derain(a, t, method="temporal", calibration=cal))
    sd = StreamingDerain(H, W, method="temporal", emit_every=40, calibration=cal)
    got = dict(sd.push_packed(spikes.packed()))
    got.update(sd.flush())
    for t in (0, 360, 760):
        np.testing.assert_array_equal(got[t], derain(a, t, method="temporal", calibration=cal))
    plain = StreamingDerain(H, W, method="temporal", emit_every=40)   # the integer fast path differs
    assert not np.array_equal(dict(plain.push_packed(spikes.packed()))[360], got[360])


def test_calibration_mask_and_size_errors():
    spikes, _, cal = noisy_case()
    a = spikes.unpack()
    assert rain_mask(a, 400, calibration=cal).shape == (H, W)
    with pytest.raises(FormatError, match="calibration is for a 40x56 sensor"):
        derain(a[:, :20], 400, calibration=cal)
    with pytest.raises(FormatError, match="calibration is for"):
        StreamingDerain(20, 56, calibration=cal)


def test_cli_calibration(tmp_path):
    spikes, _, cal = noisy_case()
    save_stream(tmp_path / "rain.h5", spikes)
    cal.save(tmp_path / "cal.h5")
    env = dict(os.environ, SPIKEVISION_PROGRESS="0", PYTHONPATH=os.pathsep.join(sys.path))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "spikevision", "derain", *map(str, args)], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)

    r = cli("rain.h5", "out.h5", "--method", "temporal", "--calibration", "cal.h5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["images"] == 20
    with h5py.File(tmp_path / "out.h5") as f:
        np.testing.assert_array_equal(f["images"][5], derain(spikes.unpack(), 200, method="temporal",
                                                             calibration=cal))
        assert f.attrs["calibration"] == "cal.h5"
    r = cli("rain.h5", "out.dat", "--spikes", "--calibration", "cal.h5")
    assert r.returncode == 1 and "--calibration" in r.stderr and not (tmp_path / "out.dat").exists()
