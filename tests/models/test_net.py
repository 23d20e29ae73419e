"""SpikeUNet: features against a slow NumPy reference, forward shapes and dtype on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spikevision.backend import cupy_available
from spikevision.models import WINDOW, SpikeUNet, learned_images, spike_features
from spikevision.models.data import window_indices, windows_at
from spikevision.models.net import HALF_WIDTHS

from .conftest import spikes


def features_reference(win: np.ndarray, half_widths=HALF_WIDTHS) -> np.ndarray:
    """Slow obvious per-pixel features of one (window, H, W) window."""
    n, h, w = win.shape
    c = n // 2
    out = np.zeros((len(half_widths) + 2, h, w), np.float64)
    for y in range(h):
        for x in range(w):
            s = win[:, y, x]
            for k, hw in enumerate(half_widths):
                out[k, y, x] = s[c - hw:c + hw + 1].sum() / (2 * hw + 1)
            before = [t for t in range(c + 1) if s[t]]
            after = [t for t in range(c + 1, n) if s[t]]
            if before and after:
                out[-2, y, x], out[-1, y, x] = 1.0 / (after[0] - before[-1]), 1.0
            else:
                out[-2, y, x], out[-1, y, x] = out[len(half_widths) - 1, y, x], 0.0
    return out


@pytest.mark.parametrize("p", [0.02, 0.3, 0.9])
def test_features_match_reference(p):
    win = spikes(WINDOW, 6, 7, p=p, seed=int(p * 100))
    got = spike_features(torch.from_numpy(win)[None])[0].numpy()
    np.testing.assert_allclose(got, features_reference(win), rtol=1e-6, atol=1e-7)


def test_features_other_windows():
    win = spikes(9, 5, 6, p=0.2, seed=9)
    got = spike_features(torch.from_numpy(win)[None], (0, 2, 4))[0].numpy()
    np.testing.assert_allclose(got, features_reference(win, (0, 2, 4)), rtol=1e-6, atol=1e-7)
    m = SpikeUNet(width=4, half_widths=(1, 3, 30))
    assert m.window == 61 and m.half_widths[m.base] == 30


def test_window_indices_mirror():
    assert list(window_indices(20, 100)) == list(range(0, 41))
    assert list(window_indices(0, 100)[:21]) == list(range(20, -1, -1))
    assert list(window_indices(99, 100)[20:]) == [99 - k for k in range(21)]
    assert window_indices(3, 5).min() >= 0 and window_indices(3, 5).max() <= 4
    assert (window_indices(0, 1) == 0).all()


@pytest.mark.parametrize("light", [False, True])
def test_untrained_network_is_tfp41(light):
    s = spikes(60, 8, 12, seed=2)
    img = SpikeUNet(width=4, light_channel=light).eval()(torch.from_numpy(windows_at(s, [30])))[0].detach().numpy()
    np.testing.assert_allclose(img, s[10:51].mean(0), atol=1e-6)


@pytest.mark.parametrize("h,w", [(12, 20), (13, 21), (1, 5)])
def test_forward_shape_numpy(tiny_model, h, w):
    s = spikes(50, h, w)
    imgs = learned_images(s, [0, 25, 49], model=tiny_model)
    assert len(imgs) == 3
    for img in imgs:
        assert isinstance(img, np.ndarray) and img.shape == (h, w) and img.dtype == np.float32
        assert np.isfinite(img).all() and img.min() >= 0 and img.max() <= 1


def test_batched_equals_single(tiny_model):
    s = spikes()
    many = learned_images(s, [0, 10, 35, 69], model=tiny_model, batch=3)
    one = [learned_images(s, [t], model=tiny_model, batch=1)[0] for t in (0, 10, 35, 69)]
    for a, b in zip(many, one):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert not np.allclose(many[0], many[2])


def test_forward_torch(tiny_model):
    s = spikes()
    ref = learned_images(s, [5, 40], model=tiny_model)
    got = learned_images(torch.from_numpy(s).to(torch.bool), [5, 40], model=tiny_model)
    for a, b in zip(ref, got):
        assert isinstance(b, torch.Tensor) and b.dtype == torch.float32 and tuple(b.shape) == s.shape[1:]
        np.testing.assert_allclose(b.numpy(), a, atol=1e-6)


@pytest.mark.gpu
def test_forward_cupy(tiny_model):
    if not cupy_available():
        pytest.skip("needs CuPy with a CUDA GPU")
    import cupy

    s = spikes()
    ref = learned_images(s, [5, 40], model=tiny_model)
    got = learned_images(cupy.asarray(s), [5, 40], model=tiny_model)   # on the GPU when torch has CUDA
    for a, b in zip(ref, got):
        assert isinstance(b, cupy.ndarray) and b.dtype == np.float32 and b.shape == s.shape[1:]
        np.testing.assert_allclose(b.get(), a, atol=1e-4)


@pytest.mark.gpu
def test_forward_torch_cuda(tiny_model):
    if not torch.cuda.is_available():
        pytest.skip("needs torch with CUDA")
    s = spikes()
    ref = learned_images(s, [5], model=tiny_model)[0]
    got = learned_images(torch.from_numpy(s).cuda(), [5], model=tiny_model)[0]
    assert got.is_cuda and got.dtype == torch.float32
    np.testing.assert_allclose(got.cpu().numpy(), ref, atol=1e-4)
