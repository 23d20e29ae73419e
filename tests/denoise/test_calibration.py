"""Calibration recovers a simulated sensor's fixed patterns; files round-trip; bad input is refused clearly."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision.denoise import Calibration, calibrate, hot_pixels, load_calibration
from spikevision.errors import FormatError
from spikevision.sim import NoiseModel, TextureMotion
from tests.denoise._sensor import FLAT_LEVEL, THETA, run, sensor

#: stated tolerances for 2,000 dark + 2,000 flat frames (docs/denoise.md)
DARK_TOL = 1 / 2000 + 1e-6   # spikes per tick, absolute: one spike over the recording (a pixel with 0-1 spikes)
DARK_TYPICAL = 5e-5          # median absolute error
GAIN_TOL = 0.005     # relative


@pytest.fixture(scope="module")
def defective():
    return sensor(32, 48, 3, 2000, hot=0.01, dead=0.005)


def test_recovers_fixed_pattern(defective):
    _, dark, flat, d, g, fp = defective
    cal = calibrate(dark, flat, flat_level=FLAT_LEVEL / THETA)
    good = ~(fp.hot | fp.dead)
    assert np.abs(cal.dark_rate - d)[good].max() < DARK_TOL
    assert np.median(np.abs(cal.dark_rate - d)[good]) < DARK_TYPICAL
    assert (np.abs(cal.gain - g)[good] / g[good]).max() < GAIN_TOL
    # the stated uncertainty covers the actual error
    assert np.mean(np.abs(cal.gain - g)[good] <= 3 * cal.gain_std[good] + 1e-6) > 0.99
    tp = (cal.hot & fp.hot).sum()
    assert tp / fp.hot.sum() >= 0.99 and tp / cal.hot.sum() >= 0.95
    np.testing.assert_array_equal(cal.dead, fp.dead)
    assert cal.frames_used == {"dark": 2000, "flat": 2000} and cal.provenance["missing"] == []


def test_relative_gain_without_flat_level(defective):
    _, dark, flat, d, g, fp = defective
    cal = calibrate(dark, flat)
    good = ~(fp.hot | fp.dead)
    assert abs(np.median(cal.gain[good]) - 1.0) < 1e-3
    assert np.abs(cal.gain - g / np.median(g[good]))[good].max() < 2 * GAIN_TOL


def test_one_recording_estimates_what_it_can(defective):
    _, dark, flat, d, g, fp = defective
    only_dark = calibrate(dark)
    assert set(only_dark.provenance["missing"]) == {"gain", "dead"}
    assert np.all(only_dark.gain == 1) and not only_dark.dead.any()
    assert (only_dark.hot == calibrate(dark, flat).hot).all()
    only_flat = calibrate(flat=flat)
    assert only_flat.provenance["missing"] == ["dark_rate"] and np.all(only_flat.dark_rate == 0)
    assert (only_flat.hot & fp.hot).sum() >= 0.9 * fp.hot.sum()


def test_save_load_round_trip(tmp_path, defective):
    _, dark, flat, *_ = defective
    cal = calibrate(dark, flat)
    p = cal.save(tmp_path / "cal.h5")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["cal.h5"]   # atomic: no temporary left
    back = load_calibration(p)
    for name in ("dark_rate", "gain", "hot", "dead", "dark_rate_std", "gain_std"):
        np.testing.assert_array_equal(getattr(back, name), getattr(cal, name))
    assert back.frames_used == cal.frames_used and back.provenance == cal.provenance
    with h5py.File(p) as f:
        assert f.attrs["spikevision_format"] == "spikevision.calibration" and f["gain"].shape == (32, 48)


def test_apply_rate_corrects_flat_and_fills_bad(defective):
    _, dark, flat, d, g, fp = defective
    cal = calibrate(dark, flat, flat_level=0.25)
    rate = flat.firing_rate()
    fixed = cal.apply_rate(rate)
    good = ~(fp.hot | fp.dead)
    assert np.std(fixed[good]) < 0.2 * np.std(rate[good])
    assert np.abs(fixed - 0.25).max() < 0.02      # hot and dead pixels filled from neighbours too
    stack = cal.apply_rate(np.stack([rate, rate]))
    np.testing.assert_array_equal(stack[1], fixed)


def test_hot_pixels_from_a_scene():
    nm = NoiseModel(hot_fraction=0.01)
    sc = TextureMotion(48, 64, 1000, seed=5)
    s = run(sc, 5, nm, 1000)
    truth = nm.draw(48, 64, 5, THETA, 20000.0).hot
    found = hot_pixels(s)
    assert (found & truth).sum() / found.sum() >= 0.8   # weaker than a dark frame: texture specks look hot
    assert (found & truth).sum() / truth.sum() >= 0.6


def test_bad_input(defective, tmp_path):
    _, dark, flat, *_ = defective
    with pytest.raises(FormatError, match="lit"):
        calibrate(flat)
    with pytest.raises(FormatError, match="empty"):
        calibrate(dark[:0])
    with pytest.raises(FormatError, match="same sensor"):
        calibrate(dark, flat[:, :16, :16])
    with pytest.raises(FormatError, match="dark recording"):
        calibrate()
    with pytest.raises(ValueError, match="hot_z"):
        calibrate(dark, hot_z=-1)
    cal = calibrate(dark)
    with pytest.raises(FormatError, match="32x48 sensor but the rate image is 16x16"):
        cal.apply_rate(np.zeros((16, 16)))
    bogus = tmp_path / "x.h5"
    sv.save(bogus, dark[:10])
    with pytest.raises(FormatError, match="not a spikevision calibration"):
        load_calibration(bogus)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    with pytest.raises(FormatError, match="recreate"):
        load_calibration(junk)
    with pytest.raises(FormatError, match="does not exist"):
        load_calibration(tmp_path / "missing.h5")
    with pytest.raises(FormatError, match="shape"):
        Calibration(np.zeros((2, 2)), np.ones((2, 3)), np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2)),
                    np.zeros((2, 2)), 2, 2)
