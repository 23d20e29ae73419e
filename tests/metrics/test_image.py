import math

import numpy as np
import pytest

from spikevision.metrics import mse, mse_batch, psnr, psnr_batch, ssim, ssim_batch


def slow_ssim(x, y, data_range):
    """Direct Wang et al. 2004: 11x11 Gaussian (sigma 1.5) weighted statistics at every valid position."""
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    g1 = np.exp(-((np.arange(11) - 5.0) ** 2) / (2 * 1.5 ** 2))
    win = np.outer(g1, g1)
    win /= win.sum()
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    vals = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            a, b = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            ma, mb = (win * a).sum(), (win * b).sum()
            va, vb = (win * (a - ma) ** 2).sum(), (win * (b - mb) ** 2).sum()
            cov = (win * (a - ma) * (b - mb)).sum()
            vals.append(((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
    return float(np.mean(vals))


@pytest.fixture
def pair():
    rng = np.random.default_rng(5)
    a = rng.random((24, 31))
    b = np.clip(a + 0.05 * rng.standard_normal(a.shape), 0, 1)
    return a, b


def test_psnr_mse_by_hand():
    a = np.zeros((4, 4))
    b = np.full((4, 4), 0.1)
    assert mse(a, b) == pytest.approx(0.01)
    assert psnr(a, b) == pytest.approx(20.0)
    assert psnr(a * 255, b * 255, data_range=255) == pytest.approx(20.0)
    assert psnr(a, a) == math.inf


def test_data_range_is_not_inferred():
    a = np.zeros((4, 4))
    b = np.full((4, 4), 0.01)       # a dim reconstruction: inferring the range would change the score
    assert psnr(a, b) == pytest.approx(40.0)
    assert psnr(a, b, data_range=2.0) == pytest.approx(40.0 + 20 * math.log10(2))
    with pytest.raises(ValueError, match="data_range"):
        psnr(a, b, data_range=0)


def test_ssim_matches_direct_implementation(pair):
    a, b = pair
    assert ssim(a, b, data_range=1.0) == pytest.approx(slow_ssim(a, b, 1.0), rel=1e-10)
    assert ssim(a * 255, b * 255, data_range=255) == pytest.approx(slow_ssim(a * 255, b * 255, 255), rel=1e-10)
    assert ssim(a, a) == pytest.approx(1.0)


def test_ssim_matches_skimage(pair):
    metrics = pytest.importorskip("skimage.metrics")
    a, b = pair
    for dr in (1.0, 2.0):
        want = metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                             data_range=dr)
        assert ssim(a, b, data_range=dr) == pytest.approx(want, rel=1e-12)
    assert psnr(a, b) == pytest.approx(metrics.peak_signal_noise_ratio(a, b, data_range=1.0), rel=1e-12)


def test_batch_versions(pair):
    a, b = pair
    stack_a, stack_b = np.stack([a, b, a]), np.stack([b, b, a * 0.5])
    np.testing.assert_allclose(ssim_batch(stack_a, stack_b), [ssim(a, b), 1.0, ssim(a, a * 0.5)], rtol=1e-12)
    np.testing.assert_allclose(psnr_batch(stack_a, stack_b)[[0, 2]], [psnr(a, b), psnr(a, a * 0.5)], rtol=1e-12)
    assert psnr_batch(stack_a, stack_b)[1] == math.inf
    assert mse_batch(stack_a, stack_b).shape == (3,)
    assert ssim(stack_a, stack_b) == pytest.approx(np.mean(ssim_batch(stack_a, stack_b)))


def test_shape_errors():
    with pytest.raises(ValueError, match="shape"):
        psnr(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(ValueError, match="11x11"):
        ssim(np.zeros((8, 20)), np.zeros((8, 20)))


@pytest.mark.gpu
def test_cupy_backend(pair):
    from spikevision.backend import cupy_available

    if not cupy_available():
        pytest.skip("needs CuPy with a CUDA GPU")
    import cupy

    a, b = pair
    assert ssim(cupy.asarray(a), cupy.asarray(b)) == pytest.approx(ssim(a, b), rel=1e-9)
    assert psnr(cupy.asarray(a), b) == pytest.approx(psnr(a, b), rel=1e-12)
