"""Spike-domain denoising: identity, laziness, streaming splits, quality on simulated sensors, errors."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.denoise import Calibration, StreamingDenoiser, calibrate, denoise
from spikevision.errors import FormatError
from spikevision.metrics import psnr
from spikevision.recon import reconstruct
from tests.denoise._sensor import FLAT_LEVEL, THETA, if_train, scene_pair, sensor


def test_fpn_identity_keeps_a_clean_stream(rng):
    rates = rng.uniform(0.01, 0.7, (6, 10))
    s = if_train(rates, 500, rng.random((6, 10)))
    out = denoise(s, calibration=Calibration.identity(6, 10), method="fpn").unpack()
    for r in range(6):
        for c in range(10):
            t_in = np.flatnonzero(s[:, r, c])
            t_out = np.flatnonzero(out[:, r, c])
            np.testing.assert_array_equal(t_out, t_in[1:])   # spike for spike after the first (phase sync)


@pytest.mark.parametrize("method", ["temporal", "best"])
def test_clean_stream_keeps_its_rate(rng, method):
    rates = rng.uniform(0.01, 0.7, (6, 10))
    s = if_train(rates, 800, rng.random((6, 10)))
    out = denoise(s, calibration=Calibration.identity(6, 10), method=method).unpack()
    np.testing.assert_allclose(out[200:].mean(0), s[200:].mean(0), atol=2.5 / 600)


def test_lazy_stream_everywhere(tmp_path, rng):
    h, w = 8, 12
    s = sv.from_array(if_train(rng.uniform(0.05, 0.5, (h, w)), 3000, rng.random((h, w))), fps=40000)
    cal = Calibration(np.full((h, w), 0.01), np.full((h, w), 0.9), np.zeros((h, w)), np.zeros((h, w)),
                      np.zeros((h, w)), np.zeros((h, w)), h, w)
    d = denoise(s, calibration=cal, method="fpn")
    assert isinstance(d, sv.SpikeStream) and d.shape == s.shape and d.fps == 40000
    assert d.meta.provenance["denoise"]["resolved"] == "fpn"
    full = StreamingDenoiser(h, w, calibration=cal, method="fpn").push_packed(s.packed())
    np.testing.assert_array_equal(d.packed(), full)
    np.testing.assert_array_equal(d[2500:2600].packed(), full[2500:2600])    # a later window
    np.testing.assert_array_equal(d[10:20].packed(), full[10:20])            # then back to the start
    np.testing.assert_array_equal(np.concatenate([b.copy() for b in d.iter_blocks(333)]), d.unpack())
    p = sv.save(tmp_path / "out.h5", d)
    np.testing.assert_array_equal(sv.open(p).packed(), full)


@pytest.mark.parametrize("method", ["fpn", "temporal", "hot"])
def test_random_block_splits_are_identical(rng, method):
    h, w = 9, 14
    s = (rng.random((600, h, w)) < 0.2).astype(np.uint8) | if_train(rng.uniform(0.05, 0.5, (h, w)), 600)
    cal = calibrate(np.zeros((50, h, w), np.uint8) | (rng.random((50, h, w)) < 0.01))
    cal.hot[3, 4] = True
    pk = sv.from_array(s).packed()
    whole = StreamingDenoiser(h, w, calibration=cal, method=method).push_packed(pk)
    for _ in range(3):
        cuts = np.sort(rng.choice(np.arange(1, 600), size=rng.integers(1, 12), replace=False))
        den = StreamingDenoiser(h, w, calibration=cal, method=method)
        parts = [den.push_packed(b) for b in np.split(pk, cuts)]
        np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_hot_and_dead_pixels_take_a_neighbours_spikes(rng):
    h, w = 6, 8
    s = if_train(rng.uniform(0.1, 0.4, (h, w)), 200)
    s[:, 2, 2] = 1                   # stuck
    s[:, 4, 5] = 0                   # dead
    cal = Calibration.identity(h, w)
    cal.hot[2, 2] = True
    cal.dead[4, 5] = True
    out = denoise(s, calibration=cal, method="hot").unpack()
    np.testing.assert_array_equal(np.delete(out.reshape(200, -1), [2 * w + 2, 4 * w + 5], 1),
                                  np.delete(s.reshape(200, -1), [2 * w + 2, 4 * w + 5], 1))
    assert any(np.array_equal(out[:, 2, 2], s[:, 2 + dr, 2 + dc]) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)))
    assert out[:, 4, 5].sum() > 0


@pytest.mark.parametrize("seed", [3, 8])
def test_quality_on_a_simulated_sensor(seed):
    """A static noisy scene comes within 4 dB of its clean twin (at about 50 dB: the twin's exact integrate-and-fire
    timing against the re-emitted stream's phase jitter, which the long spike-anchored windows of "best" resolve);
    a moving one gains over the noisy stream."""
    h, w, t = 40, 56, 500
    _, dark, flat, *_ = sensor(h, w, seed, 2000)
    cal = calibrate(dark, flat, flat_level=FLAT_LEVEL / THETA)
    for velocity, check in (((0.0, 0.0), "static"), ((0.08, -0.03), "moving")):
        sc, clean, noisy = scene_pair(h, w, t, seed, velocity)
        gt = sc.rate(t / 2, theta=THETA)

        def q(s, gt=gt):
            return psnr(reconstruct(s, "best", at=t // 2), gt, 0.5)

        best, c, n = q(denoise(noisy, calibration=cal)), q(clean), q(noisy)
        if check == "static":
            assert best > c - 4 and best > n + 10, (best, c, n)
        else:
            assert best > n + 1.5, (best, c, n)


def test_bad_input(rng):
    s = (rng.random((50, 6, 8)) < 0.2).astype(np.uint8)
    with pytest.raises(FormatError, match="calibration is for a 4x4 sensor but the stream is 6x8"):
        denoise(s, calibration=Calibration.identity(4, 4))
    with pytest.raises(FormatError, match="needs a calibration"):
        denoise(s, method="fpn")
    with pytest.raises(FormatError, match="empty"):
        denoise(s[:0])
    with pytest.raises(ValueError, match="unknown denoise method"):
        denoise(s, method="median")
    with pytest.raises(ValueError, match="takes no option"):
        denoise(s, calibration=Calibration.identity(6, 8), method="fpn", history=3)
    with pytest.raises(ValueError, match="history"):
        denoise(s, method="temporal", history=0)
    d = StreamingDenoiser(6, 8)
    with pytest.raises(FormatError, match=r"pass \(n, 6\) uint8"):
        d.push_packed(np.zeros((3, 5), np.uint8))
    with pytest.raises(FormatError, match="hot pixels"):
        StreamingDenoiser(6, 8, method="hot")
