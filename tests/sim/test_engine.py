"""The integrate-and-fire engine: numba == NumPy reference == a scalar loop, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.sim import _rng
from spikevision.sim.engine import Engine
from spikevision.sim.noise import NoiseModel
from spikevision.sim.simulator import Simulator

NOISES = {
    "clean": None,
    "full": NoiseModel(),
    "shot": NoiseModel.only("shot"),
    "jitter+dead": NoiseModel.only("jitter", "dead_time"),
    "fixed": NoiseModel.only("dark_current", "prnu", "capacitance", "threshold_offset"),
}


def _run(backend, noise, reset, arr, **kw):
    sim = Simulator(arr, input_fps=20000 / 13.5, n_frames=120, noise=noise, backend=backend, seed=7, reset=reset,
                    max_keyframes=3, **kw)
    packed = np.concatenate([b.copy() for b in sim.blocks(37)])
    return packed, sim.engine.residual()


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@pytest.mark.parametrize("noise", list(NOISES))
def test_numba_equals_numpy_reference(noise, reset):
    arr = (np.random.default_rng(0).random((7, 13, 21)) * 3).astype(np.float32)  # 273 pixels: padded last byte
    p1, r1 = _run("numba", NOISES[noise], reset, arr)
    p2, r2 = _run("numpy", NOISES[noise], reset, arr)
    assert p1.shape == (120, 35)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(r1, r2)
    assert 0 < np.unpackbits(p1).mean() < 1


def _scalar_reference(L, n, theta, seed, noise, reset="subtract"):
    """Plain per-pixel loop of the model (float32 scalars), sharing only the random words and fixed patterns."""
    h, w = L.shape
    npix = h * w
    fp = noise.draw(h, w, seed, theta, 20000.0) if noise is not None else None
    acc = _rng.uniform_init(seed, npix) * np.float32(theta)
    keys = _rng.pixel_keys(npix)
    out = np.zeros((n, npix), np.uint8)
    for k in range(npix):
        a = acc[k]
        last = False
        g = np.float32(fp.gain.flat[k]) if fp is not None else np.float32(1)
        c = np.float32(g * np.float32(L.flat[k]))
        for t in range(n):
            if fp is None:
                a = np.float32(min(np.float32(a + c), np.float32(2 * theta)))
                s = a >= np.float32(theta)
                if s:
                    a = np.float32(0) if reset == "zero" else np.float32(a - np.float32(theta))
            else:
                z1, z2 = _rng.normal_pair(_rng.words(_rng.tick_key(seed, _rng.STREAM_NOISE, t), keys[k:k + 1]))
                mu = np.float32(c + fp.dark.flat[k])
                inc = mu
                if noise.shot:
                    inc = np.float32(max(np.float32(mu + np.float32(np.sqrt(np.float32(mu * fp.shot_scale)) * z1[0])),
                                         np.float32(0)))
                if noise.dead_time and last:
                    inc = np.float32(inc * np.float32(noise.dead_factor))
                a = np.float32(min(np.float32(a + inc), np.float32(2 * theta)))
                th = np.float32(fp.threshold.flat[k])
                if noise.jitter:
                    th = np.float32(th + np.float32(fp.jitter.flat[k] * z2[0]))
                s = a >= th
                if s:
                    a = np.float32(0) if reset == "zero" else np.float32(a - th)
            last = s
            out[t, k] = s
    return out.reshape(n, h, w)


@pytest.mark.parametrize("noise", ["clean", "full"])
def test_engine_matches_scalar_loop(noise):
    L = (np.random.default_rng(1).random((3, 5)) * 2.5).astype(np.float32)
    nz = NOISES[noise]
    ref = _scalar_reference(L, 60, 2.0, 11, nz)
    e = Engine(3, 5, noise=nz, seed=11)
    got = np.unpackbits(e.run_constant(L, 60), axis=1, bitorder="little")[:, :15].reshape(60, 3, 5)
    np.testing.assert_array_equal(got, ref)


def test_all_terms_off_is_the_clean_twin():
    L = (np.random.default_rng(2).random((16, 24))).astype(np.float32)
    a = Engine(16, 24, noise=None, seed=5).run_constant(L, 200)
    b = Engine(16, 24, noise=NoiseModel.off(), seed=5).run_constant(L, 200)
    c = Engine(16, 24, noise=NoiseModel(), seed=5).run_constant(L, 200)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_terms_are_the_boolean_fields():
    import dataclasses

    from spikevision.sim.noise import NOISE_TERMS

    flags = [f.name for f in dataclasses.fields(NoiseModel) if isinstance(getattr(NoiseModel(), f.name), bool)]
    assert list(NOISE_TERMS) == flags
    assert all(getattr(NoiseModel(), t) for t in flags) and not NoiseModel.off().any
    for t in flags:
        assert NoiseModel.only(t).any and [getattr(NoiseModel.only(t), u) for u in flags].count(True) == 1


def test_pixel_words_are_uniform_and_independent():
    z1, z2 = _rng.normal_pair(_rng.words(_rng.tick_key(3, _rng.STREAM_NOISE, 17), _rng.pixel_keys(200_000)))
    for z in (z1, z2):
        assert abs(z.mean()) < 0.01
        assert abs(z.var() - 1) < 0.01
    assert abs(np.corrcoef(z1, z2)[0, 1]) < 0.01
    y1, _ = _rng.normal_pair(_rng.words(_rng.tick_key(3, _rng.STREAM_NOISE, 18), _rng.pixel_keys(200_000)))
    assert abs(np.corrcoef(z1, y1)[0, 1]) < 0.01
    u = _rng.uniform_init(9, 100_000)
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01


def test_bad_parameters_raise_with_fix():
    from spikevision.errors import SpikevisionError

    for kw in ({"theta": 0}, {"reset": "hard"}, {"gain": -1}, {"full_well": 0.5}, {"init": "gaussian"},
               {"backend": "fortran"}, {"init": np.zeros((2, 2))}, {"cfa": "rgbw"}):
        with pytest.raises(SpikevisionError):
            Engine(4, 8, **kw)
