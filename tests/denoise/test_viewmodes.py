"""The "denoised" and "hot_pixels" view modes, in the registry and through `spikevision view --screenshot`."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.denoise import Calibration, calibrate, denoise
from spikevision.denoise.viewmodes import WARMUP, set_calibration
from spikevision.errors import FormatError
from spikevision.viewer.modes import get_mode, mode_names
from tests.cli._run import run
from tests.denoise._sensor import if_train


@pytest.fixture
def stream(rng):
    s = if_train(rng.uniform(0.05, 0.4, (12, 16)), 800, rng.random((12, 16)))
    s[:, 3, 4] = 1   # stuck
    return sv.from_array(s)


@pytest.fixture(autouse=True)
def no_calibration():
    set_calibration(None)
    yield
    set_calibration(None)


def test_registered():
    assert {"denoised", "hot_pixels"} <= set(mode_names())
    assert get_mode("denoised").unavailable() is None


def test_denoised_mode_is_the_denoised_rate(stream):
    cal = Calibration.identity(12, 16)
    cal.hot[3, 4] = True
    set_calibration(cal)
    img = get_mode("denoised").render(stream, 500, 101)
    ref = denoise(stream[500 - 50 - WARMUP:551], calibration=cal).unpack()[WARMUP:].mean(0)
    np.testing.assert_allclose(img, ref, atol=1e-6)
    assert img[3, 4] < 0.5     # the stuck pixel is repaired


def test_hot_pixels_mode(stream):
    found = get_mode("hot_pixels").render(stream, 400, 801)
    assert found[3, 4] == 1 and found.sum() == 1
    cal = calibrate(flat=stream)      # a flat field alone finds the pixel that fires faster than its neighbours
    assert cal.hot[3, 4] and cal.hot.sum() == 1
    cal.dead[0, 0] = True
    set_calibration(cal)
    img = get_mode("hot_pixels").render(stream, 0, 801)
    assert img[3, 4] == 1 and img[0, 0] == 0.5 and img.sum() == 1.5
    set_calibration(Calibration.identity(4, 4))
    with pytest.raises(FormatError, match="calibration is for a 4x4 sensor"):
        get_mode("denoised").render(stream, 0, 101)


def test_view_screenshot_with_calibration(tmp_path, stream):
    sv.save(tmp_path / "s.h5", stream)
    Calibration.identity(12, 16).save(tmp_path / "cal.h5")
    r = run("view", tmp_path / "s.h5", "--calibration", tmp_path / "cal.h5", "--mode", "denoised", "--frame", "400",
            "--screenshot", tmp_path / "shot.png", "--no-settings", extra_env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "shot.png").stat().st_size > 1000
    Calibration.identity(5, 5).save(tmp_path / "bad.h5")
    r = run("view", tmp_path / "s.h5", "--calibration", tmp_path / "bad.h5", "--screenshot", tmp_path / "x.png",
            "--no-settings", extra_env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 1 and "calibration is for a 5x5 sensor" in r.stderr
