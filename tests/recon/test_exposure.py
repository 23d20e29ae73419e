"""rate="auto": the robust exposure rule shared by the CLI, the viewer and the demo."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.recon import auto_rate, resolve_rate


def test_percentile_of_the_firing_rate_maps_to_one(rng):
    rates = np.linspace(0.01, 0.05, 64 * 64).reshape(64, 64)
    spikes = (rng.random((2000, 64, 64)) < rates).astype(np.uint8)
    measured = spikes.mean(axis=0)
    assert auto_rate(spikes) == pytest.approx(np.percentile(measured, 99.5))
    assert auto_rate(sv.from_array(spikes)) == pytest.approx(auto_rate(spikes))


def test_hot_pixels_do_not_set_the_exposure(rng):
    spikes = (rng.random((1000, 40, 40)) < 0.02).astype(np.uint8)
    spikes[:, :3, :2] = 1  # 6 hot pixels of 1600 (0.4%) fire every tick
    assert auto_rate(spikes) < 0.05


def test_range_and_dark_streams(rng):
    spikes = np.zeros((100, 8, 8), np.uint8)
    assert auto_rate(spikes) == 1.0
    spikes[50:] = rng.random((50, 8, 8)) < 0.5
    assert auto_rate(spikes, 0, 50) == 1.0
    assert 0.5 < auto_rate(spikes, 50) <= 1.0
    assert resolve_rate(0.3, spikes) == 0.3
    with pytest.raises(ValueError, match="auto"):
        resolve_rate("bright", spikes)
    with pytest.raises(ValueError, match="no frames"):
        auto_rate(spikes, 80, 20)


def test_rate_auto_in_every_function(rng):
    from spikevision.recon import StreamingAdaptive, adaptive, reconstruct, tfi, tfp, tfstp

    spikes = (rng.random((300, 12, 16)) < np.linspace(0.01, 0.05, 16)).astype(np.uint8)
    a, b = 150 - 20, 150 + 21
    r = auto_rate(spikes, a, b)
    np.testing.assert_array_equal(tfp(spikes, 150, rate="auto"), tfp(spikes, 150, rate=r))
    np.testing.assert_array_equal(tfi(spikes, 150, rate="auto"), tfi(spikes, 150, rate=r))
    np.testing.assert_array_equal(reconstruct(spikes, "tfp", at=150, rate="auto"), tfp(spikes, 150, rate=r))
    r_best = auto_rate(spikes, 0, 300)   # the best method reads +-255 frames
    np.testing.assert_array_equal(adaptive(spikes, 150, rate="auto"), adaptive(spikes, 150, rate=r_best))
    np.testing.assert_array_equal(reconstruct(spikes, "best", at=150, rate="auto"), adaptive(spikes, 150, rate=r_best))
    np.testing.assert_array_equal(tfstp(spikes, 150, rate="auto"), tfstp(spikes, 150, rate=auto_rate(spikes, 0, 151)))
    assert float(tfp(spikes, 150, rate="auto").mean()) > 5 * float(tfp(spikes, 150).mean())   # low light made visible
    with pytest.raises(ValueError, match="auto_rate"):
        StreamingAdaptive(12, 16, rate="auto")


def test_rate_auto_sequence_uses_one_scale(rng):
    from spikevision.recon import iter_reconstruct, reconstruct_sequence, tfp

    spikes = (rng.random((400, 8, 8)) < 0.03).astype(np.uint8)
    spikes[200:] |= (rng.random((200, 8, 8)) < 0.3).astype(np.uint8)    # the light comes on half-way
    r = auto_rate(spikes, 40, 361)
    seq = reconstruct_sequence(spikes, "tfp", start=40, stop=361, step=40, rate="auto")
    for i, t in enumerate(range(40, 361, 40)):
        np.testing.assert_array_equal(seq[i], tfp(spikes, t, rate=r))
    got = dict(iter_reconstruct(spikes, "best", start=40, stop=361, step=40, rate="auto"))
    ref = reconstruct_sequence(spikes, "best", start=40, stop=361, step=40, rate=r)
    np.testing.assert_array_equal(np.stack([got[t] for t in range(40, 361, 40)]), ref)
