"""The reference functions run on CuPy arrays and return CuPy images equal to the NumPy ones."""

import numpy as np
import pytest

from spikevision.metrics import psnr, ssim
from spikevision.recon import adaptive, dsft, reconstruct_sequence, tfi, tfp, tfstp

from ._spikes import random_spikes

pytestmark = pytest.mark.gpu



@pytest.mark.parametrize("fn,kw", [(tfp, {}), (tfp, dict(convention="spikecv")), (tfp, dict(convention="spikezoo")),
                                   (tfi, {}), (tfi, dict(convention="spikezoo")), (tfi, dict(convention="spikecv")),
                                   (adaptive, {})])
def test_cupy_equals_numpy(cp, fn, kw):
    s = random_spikes(40, 90, 12, 20)
    got = fn(cp.asarray(s), 45, **kw)
    assert isinstance(got, cp.ndarray) and got.dtype == np.float32
    np.testing.assert_array_equal(cp.asnumpy(got), fn(s, 45, **kw))


def test_cupy_tfstp_dsft_sequence(cp):
    s = random_spikes(41, 60, 12, 12)
    np.testing.assert_allclose(cp.asnumpy(tfstp(cp.asarray(s), 50)), tfstp(s, 50), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(cp.asnumpy(dsft(cp.asarray(s))), dsft(s))
    imgs = reconstruct_sequence(cp.asarray(s), "tfp", step=10)
    assert isinstance(imgs, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(imgs), reconstruct_sequence(s, "tfp", step=10))
    a, b = imgs[0], imgs[1]
    assert psnr(a, b) == pytest.approx(psnr(cp.asnumpy(a), cp.asnumpy(b)))
    assert ssim(a, b) == pytest.approx(ssim(cp.asnumpy(a), cp.asnumpy(b)), rel=1e-9)
