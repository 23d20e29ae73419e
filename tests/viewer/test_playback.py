"""The render worker: requests, prefetch, sequential runs, errors, clean shutdown."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import spikevision as sv
from spikevision import recon
from spikevision.viewer.modes import FunctionMode, register_mode, unregister_mode
from spikevision.viewer.playback import FramePlayer, RenderKey, render_frame, roi_rate

from ._data import if_spikes


@pytest.fixture(scope="module")
def spikes():
    return if_spikes(200, 10, 16)


@pytest.fixture
def player(spikes):
    before = threading.active_count()
    p = FramePlayer(sv.from_array(spikes), prefetch=4)
    yield p
    p.close()
    assert not p.alive
    assert threading.active_count() == before


def test_request_renders_exactly_the_library_image(player, spikes):
    key = RenderKey(100, "tfp", 41)
    assert player.get(key) is None
    player.request(key)
    frame = player.wait_for(key, timeout=30)
    assert frame is not None and frame.error is None
    np.testing.assert_array_equal(frame.image, recon.tfp(spikes, at=100, window=41))
    assert player.newest() is frame


def test_prefetch_fills_the_cache_ahead(player):
    key = RenderKey(10, "raw", 1)
    player.request(key, ahead=(11, 12, 13))
    player.wait_for(key, timeout=30)
    for i in (11, 12, 13):
        assert player.wait_for(RenderKey(i, "raw", 1), timeout=30) is not None
    assert player.rendered >= 4
    player.invalidate()
    assert player.get(key) is None


def test_sequential_run_uses_mode_iterator(player, spikes):
    keys = [RenderKey(i, "best", 129) for i in (50, 60, 70, 80)]
    player.request(keys[0], ahead=(60, 70, 80))
    for k in keys:
        f = player.wait_for(k, timeout=60)
        np.testing.assert_array_equal(f.image, recon.reconstruct(spikes, "best", at=k.index, span=64))
    assert player._seq is not None  # the streaming iterator stays alive for the next request


def test_roi_statistics(player, spikes):
    roi = (2, 6, 3, 9)
    key = RenderKey(120, "tfp", 41, roi)
    f = player.wait_for(key, timeout=30)
    assert f.roi_mean == pytest.approx(float(f.image[2:6, 3:9].mean()))
    assert f.roi_rate == pytest.approx(float(spikes[100:141, 2:6, 3:9].mean()))
    assert roi_rate(sv.from_array(spikes), 0, 41, roi) == pytest.approx(float(spikes[0:41, 2:6, 3:9].mean()))


def test_failing_mode_reports_instead_of_raising(spikes):
    def boom(s, at, w):
        raise RuntimeError("kaput")

    register_mode(FunctionMode("boom", "Boom", boom))
    try:
        f = render_frame(sv.from_array(spikes), RenderKey(5, "boom", 1))
        assert f.error and "kaput" in f.error and not f.image.any()
    finally:
        unregister_mode("boom")


def test_out_of_range_requests_are_ignored(player):
    player.request(RenderKey(10_000, "raw", 1))
    assert player.wait_for(RenderKey(10_000, "raw", 1), timeout=0.3) is None
    assert player.alive


def test_load_is_a_fraction(player):
    for i in range(5):
        player.wait_for(RenderKey(i, "tfp", 41), timeout=30)
    assert 0.0 <= player.load <= 1.0
