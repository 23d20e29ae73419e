"""`spikevision calibrate`, `denoise`, `recon --calibration`, `simulate --scene dark|flat`: real subprocess runs."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision.denoise import calibrate, denoise, load_calibration
from tests.cli._run import assert_done, assert_failed, leftovers, run


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dn")
    common = ["--height", "16", "--width", "24", "--noise", "full", "--seed", "7"]
    assert_done(run("simulate", d / "dark.h5", "--scene", "dark", "--frames", "1500", *common))
    assert_done(run("simulate", d / "flat.h5", "--scene", "flat", "--frames", "1500", *common))
    assert_done(run("simulate", d / "scene.h5", "--scene", "texture_motion", "--frames", "300", *common))
    return d


def test_calibrate_and_denoise(files, tmp_path):
    d = files
    r = run("calibrate", "--dark", d / "dark.h5", "--flat", d / "flat.h5", tmp_path / "cal.h5", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["frames_used"] == {"dark": 1500, "flat": 1500} and summary["missing"] == []
    assert 0.003 < summary["dark_rate_median"] < 0.007 and 0.03 < summary["gain_std"] < 0.12
    cal = load_calibration(tmp_path / "cal.h5")
    same = calibrate(sv.open(d / "dark.h5"), sv.open(d / "flat.h5"))
    np.testing.assert_array_equal(cal.gain, same.gain)
    out = assert_done(run("denoise", d / "scene.h5", tmp_path / "out.dat", "--calibration", tmp_path / "cal.h5"),
                      "wrote 300 denoised frames (best")
    assert "calibrated" in out
    expected = denoise(sv.open(d / "scene.h5"), calibration=cal).packed()
    np.testing.assert_array_equal(sv.open(tmp_path / "out.dat").packed(), expected)
    assert_done(run("denoise", d / "scene.h5", tmp_path / "fpn.npz", "--method", "fpn", "--calibration",
                    tmp_path / "cal.h5"))
    assert sv.open(tmp_path / "fpn.npz").shape == (300, 16, 24)
    assert_done(run("recon", d / "scene.h5", tmp_path / "rec.h5", "--calibration", tmp_path / "cal.h5",
                    "--step", "100"))
    with h5py.File(tmp_path / "rec.h5") as f:
        assert f.attrs["calibration"].endswith("cal.h5")
        img = f["images"][1]
    np.testing.assert_allclose(img, sv.recon.reconstruct(sv.open(d / "scene.h5"), at=100, calibration=cal),
                               atol=1e-6)
    assert leftovers(tmp_path) == []


def test_only_dark_says_what_is_missing(files, tmp_path):
    out = assert_done(run("calibrate", "--dark", files / "dark.h5", tmp_path / "cal.h5"))
    assert "not estimated: gain, dead" in out


def test_errors(files, tmp_path):
    d = files
    assert_failed(run("calibrate", tmp_path / "c.h5"), "give --dark")
    assert_failed(run("calibrate", "--dark", d / "flat.h5", tmp_path / "c.h5"), "dark recording is lit")
    assert not (tmp_path / "c.h5").exists()
    assert_failed(run("denoise", d / "scene.h5", tmp_path / "o.h5", "--method", "fpn"), "needs a calibration")
    sv.save(tmp_path / "small.h5", sv.from_array(np.zeros((20, 8, 8), np.uint8)))
    r = run("calibrate", "--dark", tmp_path / "small.h5", tmp_path / "small_cal.h5")
    assert r.returncode == 0, r.stderr
    assert_failed(run("denoise", d / "scene.h5", tmp_path / "o.h5", "--calibration", tmp_path / "small_cal.h5"),
                  "calibration is for a 8x8 sensor but the stream is 16x24")
    assert_failed(run("recon", d / "scene.h5", tmp_path / "r.h5", "--calibration", tmp_path / "small.h5"),
                  "not a spikevision calibration")
    assert_failed(run("denoise", d / "scene.h5", d / "scene.h5"), "same file")
    assert_failed(run("denoise", d / "scene.h5", tmp_path / "o.h5", "--history", "0"), code=2)
    assert leftovers(tmp_path) == []
