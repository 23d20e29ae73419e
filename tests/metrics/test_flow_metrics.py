"""Flow metrics against hand-computed values, with and without validity masks."""

import math

import numpy as np
import pytest

from spikevision.metrics import aae, epe, fl_all, flow_metrics, outliers


def fields():
    g = np.zeros((2, 2, 2))
    g[..., 0] = 10.0          # truth: 10 px to the right everywhere
    f = g.copy()
    f[0, 0] = (10, 0)         # exact
    f[0, 1] = (12, 0)         # 2 px off
    f[1, 0] = (10, 4)         # 4 px off
    f[1, 1] = (10.4, 0)       # 0.4 px off (4 % of |g|: not an Fl outlier anyway)
    return f, g


def test_values():
    f, g = fields()
    assert epe(f, g) == pytest.approx((0 + 2 + 4 + 0.4) / 4)
    assert outliers(f, g, 1) == 0.5 and outliers(f, g, 3) == 0.25 and outliers(f, g, 5) == 0.0
    assert fl_all(f, g) == 0.25   # 4 px > 3 px and > 0.5 px
    def ang(a, b):
        a, b = np.array([*a, 1.0]), np.array([*b, 1.0])
        return math.degrees(math.acos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)))
    want = np.mean([0.0, ang((12, 0), (10, 0)), ang((10, 4), (10, 0)), ang((10.4, 0), (10, 0))])
    assert aae(f, g) == pytest.approx(want)
    m = flow_metrics(f, g)
    assert m["epe"] == pytest.approx(epe(f, g)) and m["aae"] == pytest.approx(aae(f, g))
    assert (m["fl"], m["out1"], m["out3"], m["out5"]) == (0.25, 0.5, 0.25, 0.0)


def test_fl_relative_threshold():
    g = np.zeros((1, 1, 2))
    g[..., 0] = 100.0
    f = g.copy()
    f[..., 0] = 104.0   # 4 px but only 4 % of 100 px: not an Fl outlier
    assert fl_all(f, g) == 0.0 and outliers(f, g, 3) == 1.0


def test_mask():
    f, g = fields()
    valid = np.array([[True, True], [False, False]])
    assert epe(f, g, valid) == pytest.approx(1.0)
    assert outliers(f, g, 3, valid) == 0.0
    assert math.isnan(epe(f, g, np.zeros((2, 2), bool)))
    assert flow_metrics(f, g, valid)["out1"] == 0.5


def test_batch_of_fields():
    f, g = fields()
    assert epe(np.stack([f, g]), np.stack([g, g])) == pytest.approx(epe(f, g) / 2)
