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
