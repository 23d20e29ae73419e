"""mask_iou and cpsnr: values by hand, validity masks, errors."""

import numpy as np
import pytest

from spikevision.metrics import cpsnr, mask_iou


def test_mask_iou():
    a = np.zeros((4, 4), bool)
    b = np.zeros((4, 4), bool)
    assert mask_iou(a, b) == 1.0
    a[0, :2] = True
    b[0, 1:3] = True
    assert mask_iou(a, b) == pytest.approx(1 / 3)
    valid = np.ones((4, 4), bool)
    valid[0, 0] = valid[0, 2] = False
    assert mask_iou(a, b, valid) == 1.0
    with pytest.raises(ValueError, match="differ"):
        mask_iou(a, b[:2])


def test_cpsnr():
    x = np.full((6, 6, 3), 0.5)
    y = x.copy()
    y[0] = 1.5   # a bad border row
    assert cpsnr(x, y, border=1) == float("inf")
    y[2, 2, 1] = 0.6
    assert cpsnr(x, y, border=1) == pytest.approx(10 * np.log10(1 / (0.01 / 48)))
    assert cpsnr(x, y, valid=np.arange(36).reshape(6, 6) != 14) < 10   # border row counts now
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        cpsnr(x[..., 0], y[..., 0])
    with pytest.raises(ValueError, match="no valid pixels"):
        cpsnr(x, y, border=3)
