"""CuPy inputs: the deraining reference path and bilinear demosaicing run on the GPU and equal the CPU results."""

import numpy as np
import pytest

from spikevision.color import demosaic
from spikevision.derain import derain, rain_mask
from spikevision.derain._kernels import combine, combine_reference

from ._scenes import drop_spikes

pytestmark = pytest.mark.gpu



def test_combine_on_gpu_equals_numba(cp):
    v = np.random.default_rng(0).integers(0, 41, size=(8, 5000)).astype(np.float32)
    got, mask = combine_reference(cp.asarray(v), 3)
    ref, rmask = combine(v, 3)
    np.testing.assert_array_equal(cp.asnumpy(got), ref)
    np.testing.assert_array_equal(cp.asnumpy(mask), rmask)


@pytest.mark.parametrize("method", ["temporal", "rpca"])
def test_derain_cupy_array(cp, method):
    s, _ = drop_spikes()
    got = derain(cp.asarray(s), 240, method=method)
    assert isinstance(got, cp.ndarray) and got.dtype == np.float32
    ref = derain(s, 240, method=method)
    if method == "temporal":
        np.testing.assert_array_equal(cp.asnumpy(got), ref)
        np.testing.assert_array_equal(cp.asnumpy(rain_mask(cp.asarray(s), 240)), rain_mask(s, 240))
    else:
        np.testing.assert_allclose(cp.asnumpy(got), ref, atol=1e-5)


def test_bilinear_demosaic_on_gpu(cp):
    img = np.random.default_rng(1).random((16, 24)).astype(np.float32)
    got = demosaic(cp.asarray(img), "bggr")
    assert isinstance(got, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(got), demosaic(img, "bggr"), rtol=1e-6)
    np.testing.assert_allclose(cp.asnumpy(demosaic(cp.asarray(img), "bggr", method="vng")),
                               demosaic(img, "bggr", method="vng"), rtol=1e-6)
