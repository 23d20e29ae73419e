"""Quality bounds on simulated scenes (noisy sensors): the best method beats SGBM on TFP-41 reconstructions."""

import pytest

import spikevision.stereo as st
from spikevision.metrics import disparity_metrics
from spikevision.sim import NoiseModel, StereoScene, simulate


def _pair(seed: int, speed: float):
    sc = StereoScene(64, 128, n_frames=400, seed=seed, speed=speed)
    left = simulate(sc.view("left"), seed=seed, noise=NoiseModel(), init="uniform")
    right = simulate(sc.view("right"), seed=seed + 7, noise=NoiseModel(), init="uniform")
    return sc, left, right


@pytest.mark.parametrize("seed,speed", [(0, 0.0), (2, 0.03)])
def test_best_beats_sgbm_on_tfp(seed, speed):
    sc, left, right = _pair(seed, speed)
    t = 399
    best = disparity_metrics(st.disparity(left, right, t, max_disparity=40), sc.disparity(t))
    # the baseline reconstructs with a window centred on its frame
    tb = 300
    base = disparity_metrics(st.disparity(left, right, tb, method="sgbm", recon="tfp", window=41, max_disparity=40),
                             sc.disparity(tb))
    assert best["epe"] < 0.7 * base["epe"]
    assert best["bad3"] < base["bad3"]
    assert best["epe"] < 2.5


@pytest.mark.slow
@pytest.mark.parametrize("seed,speed", [(1, 0.0), (1, 0.03), (3, 0.0), (3, 0.03)])
def test_best_beats_sgbm_on_tfp_more_scenes(seed, speed):
    test_best_beats_sgbm_on_tfp(seed, speed)
