"""recon.reconstruct / iter_reconstruct / reconstruct_sequence with calibration=: the cheap image-domain path."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.denoise import Calibration, calibrate
from spikevision.errors import FormatError
from spikevision.metrics import psnr
from spikevision.recon import iter_reconstruct, reconstruct, reconstruct_sequence
from tests.denoise._sensor import FLAT_LEVEL, THETA, scene_pair, sensor


@pytest.fixture(scope="module")
def setup():
    _, dark, flat, *_ = sensor(32, 48, 4, 2000, hot=0.01)
    cal = calibrate(dark, flat, flat_level=FLAT_LEVEL / THETA)
    sc, clean, noisy = scene_pair(32, 48, 400, 4)
    return cal, sc, clean, noisy


@pytest.mark.parametrize("method,params,gain", [("tfp", {"window": 201}, 5), ("best", {}, 5), ("tfi", {}, 0.5)])
def test_calibrated_images_beat_raw(setup, method, params, gain):
    """Fixed-pattern noise dominates long windows; TFI's single interval is dominated by tick quantisation."""
    cal, sc, clean, noisy = setup
    gt = sc.rate(200.0, theta=THETA)
    raw = psnr(reconstruct(noisy, method, at=200, **params), gt, 0.5)
    fixed = psnr(reconstruct(noisy, method, at=200, calibration=cal, **params), gt, 0.5)
    assert fixed > raw + gain, (raw, fixed)


def test_sequence_paths_agree(setup):
    cal, _, _, noisy = setup
    seq = reconstruct_sequence(noisy, "tfp", step=100, calibration=cal, rate=0.5)
    items = list(iter_reconstruct(noisy, "tfp", step=100, calibration=cal, rate=0.5))
    assert [t for t, _ in items] == [0, 100, 200, 300]
    for i, (t, img) in enumerate(items):
        np.testing.assert_array_equal(seq[i], img)
        np.testing.assert_allclose(img, reconstruct(noisy, "tfp", at=t, calibration=cal, rate=0.5), atol=1e-6)
    auto = reconstruct(noisy, "tfp", at=200, calibration=cal, rate="auto")
    assert auto.dtype == np.float32 and 0 <= auto.min() and auto.max() == 1.0


def test_identity_changes_nothing(setup):
    _, _, clean, _ = setup
    a = reconstruct(clean, "tfp", at=100, rate=0.5)
    b = reconstruct(clean, "tfp", at=100, rate=0.5, calibration=Calibration.identity(32, 48))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_wrong_size_is_refused(setup):
    _, _, clean, _ = setup
    with pytest.raises(FormatError, match="calibration is for a 8x8 sensor"):
        reconstruct(clean, calibration=Calibration.identity(8, 8))
    with pytest.raises(FormatError, match="calibration is for a 8x8 sensor"):
        next(iter_reconstruct(clean, calibration=Calibration.identity(8, 8)))
