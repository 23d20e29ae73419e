"""make_sample: the deterministic sample other modules and the demo use."""

from __future__ import annotations

import inspect

import numpy as np

from spikevision.sim import make_sample, sample_scene, simulate


def test_signature_defaults():
    sig = inspect.signature(make_sample)
    assert {k: v.default for k, v in sig.parameters.items()} == {"height": 250, "width": 400, "n_frames": 2000,
                                                                  "seed": 0, "noise": False, "frames": None}


def test_sample_is_deterministic_and_described():
    a = make_sample(64, 96, 300, seed=5)
    b = make_sample(64, 96, 300, seed=5)
    assert a.shape == (300, 64, 96) and a.fps == 20000 and a.meta.sensor == "sim"
    np.testing.assert_array_equal(a.packed(), b.packed())
    prov = a.meta.provenance
    assert prov["seed"] == 5 and prov["scene"]["scene"] == "texture_motion" and prov["noise"] is False
    # provenance rebuilds the stream
    again = simulate(sample_scene(64, 96, 300, seed=5), seed=5)
    np.testing.assert_array_equal(again.packed(), a.packed())
    assert 0.1 < a.firing_rate().mean() < 0.4
    assert not np.array_equal(make_sample(64, 96, 300, seed=6).packed(), a.packed())


def test_noisy_sample_is_the_noisy_twin():
    clean = make_sample(32, 48, 400, seed=1)
    noisy = make_sample(32, 48, 400, seed=1, noise=True)
    assert noisy.meta.provenance["noise"] is True
    assert not np.array_equal(clean.packed(), noisy.packed())
    assert abs(clean.firing_rate().mean() - noisy.firing_rate().mean()) < 0.03
