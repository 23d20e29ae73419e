"""Image-domain denoising of reconstruction sequences."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.denoise import denoise_images
from spikevision.errors import FormatError
from spikevision.metrics import psnr


def _sequence(rng, n=7, moving=False):
    yy, xx = np.mgrid[0:40, 0:48]
    clean = np.stack([0.5 + 0.3 * np.sin((xx + (3 * i if moving else 0)) / 5.0) * np.cos(yy / 7.0)
                      for i in range(n)]).astype(np.float32)
    return clean, np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)


@pytest.mark.parametrize("method", ["nlm", "temporal"])
def test_denoising_a_static_sequence_helps(rng, method):
    clean, noisy = _sequence(rng)
    out = denoise_images(noisy, method=method, **({"h": 10.0} if method == "nlm" else {"alpha": 0.3, "gate": 0.3}))
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert psnr(out[3], clean[3], 1.0) > psnr(noisy[3], clean[3], 1.0) + 3


def test_temporal_gate_follows_motion(rng):
    clean = np.zeros((6, 8, 8), np.float32)
    clean[3:] = 1.0                 # a step: the gate restarts at once, no smearing
    out = denoise_images(clean, method="temporal", alpha=0.2, gate=0.1)
    np.testing.assert_array_equal(out, clean)


def test_single_image_and_errors(rng):
    img = rng.random((16, 16)).astype(np.float32)
    assert denoise_images(img, method="nlm").shape == (16, 16)
    with pytest.raises(FormatError, match=r"\(N, H, W\)"):
        denoise_images(np.zeros(5))
    with pytest.raises(ValueError, match="unknown image denoising method"):
        denoise_images(img, method="bm3d")
    with pytest.raises(ValueError, match="odd"):
        denoise_images(np.stack([img] * 3), method="nlm", window=4)
    with pytest.raises(ValueError, match="alpha"):
        denoise_images(img, method="temporal", alpha=0)
