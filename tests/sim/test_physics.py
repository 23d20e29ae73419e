"""Integrate-and-fire law, charge conservation, and the noise model's statistics."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.sim import NoiseModel, expected_rate, simulate
from spikevision.sim.engine import Engine


def _counts(packed, h, w):
    return np.unpackbits(packed, axis=1, bitorder="little")[:, : h * w].reshape(len(packed), h, w)


def test_rate_follows_integrate_and_fire_law_with_saturation():
    theta = 2.0
    levels = np.array([0, 1 / 64, 0.25, 0.5, 1.0, 1.5, 1.9375, 2.0, 3.0, 100.0], np.float32)  # dyadic: exact sums
    L = levels[None, :].repeat(2, 0)
    n = 4000
    s = simulate(L, n_frames=n, theta=theta, init="zero")
    counts = s.spike_counts()[0]
    expect = np.minimum(np.floor(levels.astype(np.float64) * n / theta), n)
    np.testing.assert_array_equal(counts, expect)
    np.testing.assert_allclose(s.firing_rate()[0], expected_rate(levels, theta), atol=1 / n)


def test_zero_reset_rate_is_one_over_ticks_to_threshold():
    levels = np.array([0.3, 0.5, 0.7, 1.0, 2.5], np.float32)
    s = simulate(levels[None], n_frames=3000, theta=2.0, reset="zero", init="zero")
    k = np.ceil(2.0 / levels.astype(np.float64))  # ticks to reach theta from 0
    np.testing.assert_allclose(s.firing_rate()[0], 1 / k, atol=1 / 3000)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_subtract_reset_conserves_charge_exactly(backend):
    rng = np.random.default_rng(4)
    frames = rng.integers(0, 127, size=(300, 9, 16)).astype(np.float32) / 64  # dyadic, < theta: exact float32
    init = rng.integers(0, 128, size=(9, 16)).astype(np.float32) / 64
    from spikevision.sim.simulator import Simulator

    sim = Simulator(frames, theta=2.0, init=init, backend=backend)
    s = sim.run()
    spikes = s.spike_counts().astype(np.float64)
    total_in = init.astype(np.float64) + frames.astype(np.float64).sum(0)
    np.testing.assert_array_equal(spikes * 2.0 + sim.engine.residual(), total_in)


def test_linear_interpolation_between_input_frames():
    # two input frames 10 ticks apart: ticks j = 0..9 integrate L0 + j/10 (L1 - L0), then L1 is held
    arr = np.stack([np.zeros((1, 8)), np.ones((1, 8))]).astype(np.float32)
    from spikevision.sim.simulator import Simulator

    sim = Simulator(arr, input_fps=2000, fps=20000, n_frames=15, theta=1e9, init="zero", full_well=None)
    assert sim.n_frames == 15
    s = sim.run()
    assert s.spike_counts().sum() == 0
    np.testing.assert_allclose(sim.engine.residual(), np.full((1, 8), 4.5 + 5 * 1.0), rtol=1e-6)


def test_callable_scene_sampled_every_keyframe_interval():
    from spikevision.sim.simulator import Simulator

    f = lambda t: np.full((2, 8), t, np.float32)  # noqa: E731 - radiance grows linearly with t
    sim = Simulator(f, n_frames=20, keyframe_interval=4, theta=1e9, init="zero", full_well=None)
    sim.run()
    np.testing.assert_allclose(sim.engine.residual(), np.full((2, 8), sum(range(20))), rtol=1e-6)


# --- noise statistics -----------------------------------------------------
def test_dark_rate_matches_dark_current_model():
    nz = NoiseModel.only("dark_current")
    e = Engine(48, 64, noise=nz, seed=3, init="zero")
    counts = _counts(e.run_constant(np.zeros((48, 64), np.float32), 40000), 48, 64).sum(0) / 40000
    fp = e.pattern
    expect = fp.dark / fp.threshold
    # per pixel: integrate-and-fire over 40k ticks is exact to one spike
    np.testing.assert_allclose(counts, expect, atol=1.01 / 40000)
    # the population follows N(0.4442, 0.1731) pA, clipped at 0, at 20 kHz with Q0 = C * 1.1 V
    per_pa = 1e3 / (20000 * nz.q0_fc)
    assert abs(counts.mean() / per_pa - 0.4442) < 0.02
    assert abs(counts.std() / per_pa - 0.1731) < 0.015


def test_prnu_and_threshold_fixed_patterns_statistics():
    flat = np.full((64, 64), 0.8, np.float32)
    e = Engine(64, 64, noise=NoiseModel.only("prnu"), seed=1, init="zero")
    r = _counts(e.run_constant(flat, 20000), 64, 64).mean(0)
    rel = r / (0.8 / 2.0)
    assert abs(rel.mean() - 1) < 0.005
    assert abs(rel.std() - 0.0584 / 1.0128) < 0.004
    e = Engine(64, 64, noise=NoiseModel.only("threshold_offset"), seed=1, init="zero")
    r = _counts(e.run_constant(flat, 20000), 64, 64).mean(0)
    thr_rel = (0.8 / r) / 2.0  # threshold / theta = (1.1 + V_s) / 1.1
    assert abs(thr_rel.mean() - (1 + -0.0076 / 1.1)) < 0.003
    assert abs(thr_rel.std() - 0.0497 / 1.1) < 0.004


def test_shot_noise_variance_is_the_electron_count():
    e = Engine(64, 64, noise=NoiseModel.only("shot"), seed=2, init="zero", theta=2.0)
    e.run_constant(np.full((64, 64), 0.5, np.float32), 1)
    inc = e.residual().astype(np.float64)  # one tick, no spike: the residual is the noisy increment
    var_expect = 0.5 * e.pattern.shot_scale  # mean charge x charge per electron
    assert abs(inc.mean() - 0.5) < 4 * np.sqrt(var_expect / inc.size)
    assert abs(inc.var() / var_expect - 1) < 0.06


def test_threshold_jitter_decides_half_of_pixels_sitting_on_threshold():
    e = Engine(64, 64, noise=NoiseModel.only("jitter"), seed=8, init=np.full((64, 64), 2.0, np.float32))
    fired = _counts(e.run_constant(np.zeros((64, 64), np.float32), 1), 64, 64)
    assert abs(fired.mean() - 0.5) < 0.03


def test_dead_time_lowers_the_rate_of_a_busy_pixel():
    L = np.full((8, 8), 1.0, np.float32)
    e0 = Engine(8, 8, init="zero")
    e1 = Engine(8, 8, noise=NoiseModel.only("dead_time"), init="zero")
    c0 = _counts(e0.run_constant(L, 20000), 8, 8).sum()
    c1 = _counts(e1.run_constant(L, 20000), 8, 8).sum()
    # rate 0.5: every other tick follows a spike and integrates 0.998 of its charge
    assert c1 < c0
    assert abs(c1 / c0 - (1 - 0.002 * 0.5)) < 2e-4


def test_noisy_stream_and_clean_twin_share_scene_and_seed():
    L = np.full((16, 16), 0.6, np.float32)
    clean = simulate(L, n_frames=2000, seed=4)
    noisy = simulate(L, n_frames=2000, seed=4, noise=NoiseModel())
    again = simulate(L, n_frames=2000, seed=4, noise=NoiseModel())
    np.testing.assert_array_equal(noisy.packed(), again.packed())
    assert not np.array_equal(clean.packed(), noisy.packed())
    # same scene: rates agree to the noise level
    assert abs(clean.firing_rate().mean() - noisy.firing_rate().mean()) < 0.02
    assert noisy.meta.provenance["simulator"]["noise"]["dark_mean"] == 0.4442
