"""Stereo metrics on hand-computed cases."""

import numpy as np
import pytest

from spikevision.metrics import bad_pixel_rate, d1_kitti, depth_metrics, disparity_metrics
from spikevision.metrics import disparity_epe as epe


def test_disparity_metrics():
    gt = np.array([[10.0, 10.0, 100.0, 2.0]])
    est = np.array([[10.5, 14.0, 104.0, 7.0]])
    m = disparity_metrics(est, gt)
    assert m["epe"] == pytest.approx((0.5 + 4 + 4 + 5) / 4)
    assert m["bad1"] == 0.75 and m["bad3"] == 0.75
    assert m["d1"] == 0.5                     # 4 px on 100 is < 5 %
    mask = np.array([[True, False, True, False]])
    assert epe(est, gt, mask) == pytest.approx(2.25)
    assert bad_pixel_rate(est, gt, 1.0, mask) == 0.5 and d1_kitti(est, gt, mask) == 0.0
    with pytest.raises(ValueError, match="nothing"):
        epe(est, gt, np.zeros_like(mask))
    with pytest.raises(ValueError, match="shape"):
        epe(est[:, :2], gt)


def test_depth_metrics():
    gt = np.array([[1.0, 2.0, np.inf, 4.0]])
    est = np.array([[1.1, 2.0, 3.0, 6.0]])
    m = depth_metrics(est, gt, max_depth=10.0)
    assert m["absrel"] == pytest.approx((0.1 + 0 + 0.5) / 3)
    assert m["rmse"] == pytest.approx(np.sqrt((0.01 + 4) / 3))
    assert m["delta1"] == pytest.approx(2 / 3)
    capped = depth_metrics(np.array([[1.0, np.inf, 0.0]]), np.array([[1.0, 2.0, 2.0]]))
    assert capped["absrel"] == 0.0 and capped["delta1"] == 1.0       # far (d = 0) estimates count as 2 m
    assert depth_metrics(np.array([[9.0]]), np.array([[2.0]]), max_depth=4.0)["absrel"] == 1.0
