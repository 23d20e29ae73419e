"""CuPy: the warp kernel equals the reference; estimates and metrics return on the caller's backend."""

import numpy as np
import pytest

from spikevision import flow
from spikevision.flow.warp import warp_reference
from spikevision.metrics import flow_metrics

pytestmark = pytest.mark.gpu



def test_cupy_warp_equals_reference(cp, rng):
    img = rng.random((37, 53, 2)).astype(np.float32)
    f = (rng.standard_normal((37, 53, 2)) * 7).astype(np.float32)
    got = flow.warp(cp.asarray(img), cp.asarray(f))
    assert isinstance(got, cp.ndarray) and got.dtype == np.float32
    np.testing.assert_allclose(cp.asnumpy(got), warp_reference(img, f), rtol=0, atol=1e-6)
    np.testing.assert_allclose(cp.asnumpy(warp_reference(cp.asarray(img), cp.asarray(f))), warp_reference(img, f),
                               rtol=0, atol=1e-6)
    flat = flow.warp(cp.asarray(img[..., 0]), cp.asarray(f))
    np.testing.assert_allclose(cp.asnumpy(flat), warp_reference(img[..., 0], f), rtol=0, atol=1e-6)


def test_cupy_estimate_and_metrics(cp, rng):
    s = (rng.random((120, 24, 32)) < 0.3).astype(np.uint8)
    got = flow.estimate(cp.asarray(s), 40, 20, method="dis")
    assert isinstance(got, cp.ndarray)
    want = flow.estimate(s, 40, 20, method="dis")
    np.testing.assert_array_equal(cp.asnumpy(got), want)
    seq = flow.estimate_sequence(cp.asarray(s), 10, step=30, method="dis")
    assert isinstance(seq, cp.ndarray) and seq.shape == (4, 24, 32, 2)
    g = np.zeros_like(want)
    a, b = flow_metrics(cp.asarray(want), cp.asarray(g)), flow_metrics(want, g)
    assert a == pytest.approx(b)
