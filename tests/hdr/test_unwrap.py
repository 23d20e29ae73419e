"""Unwrapping: exactness where the model's conditions hold, kernels against the NumPy references, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.hdr import HDRInputError, StreamingUnwrapper, poisson_dct, spatial_unwrap, unwrap
from spikevision.hdr._reference import lar
from spikevision.hdr.spatial import wrapped_gradients


def _reads(counts: np.ndarray, L: int, offset: np.ndarray | None = None) -> np.ndarray:
    c = counts if offset is None else counts + offset
    return (c % L).astype(np.uint8 if L <= 256 else np.uint16)


def test_temporal_is_exact_below_L_fires_per_interval(rng):
    L = 256
    inc = rng.integers(0, L, (30, 9, 11))
    inc[0] = 0
    true = np.cumsum(inc, axis=0)
    y = _reads(true, L, rng.integers(0, L, (9, 11)))
    ticks = np.cumsum(rng.integers(1, 9, 30))
    for engine in ("numba", "numpy"):
        res = unwrap(y, ticks, 8, method="temporal", engine=engine)
        np.testing.assert_array_equal(res.counts, true)
        assert res.counts.dtype == np.int64 and not res.flags.any()
    # one interval with L fires more is lost by temporal unwrapping
    true2 = true.copy()
    true2[10:] += L
    assert not np.array_equal(unwrap(_reads(true2, L), ticks, 8, method="temporal").counts, true2)


@pytest.mark.parametrize("tau", [1, 4, 16])
def test_hierarchical_is_exact_within_its_ratio_bound(rng, tau):
    # nested reads 0, 1, tau, tau^2 of each period (ratio tau); per-pixel rates up to 3 L fires per tick with
    # Poisson counts: the prediction error tau * (quantisation + noise) stays below L / 2 for tau <= L / 16
    L = 256
    offsets = sorted({0, 1, tau, tau * tau})
    period = 2 * tau * tau + 2
    ticks = np.concatenate([p * period + np.array(offsets) for p in range(6)])
    rate = rng.uniform(0, 3 * L / max(tau * tau, 1) if tau > 1 else 60, (6, 7))
    gaps = np.diff(ticks, prepend=0)
    inc = rng.poisson(rate[None] * gaps[:, None, None]) if tau <= 4 else np.round(rate[None] * gaps[:, None, None])
    inc[0] = 0
    true = np.cumsum(inc, axis=0).astype(np.int64)
    y = _reads(true, L)
    res = unwrap(y, ticks, 8, method="hierarchical", window=period)
    np.testing.assert_array_equal(res.counts, true)
    assert (np.diff(true, axis=0) >= L).any() or tau == 1  # there was something to unwrap


def test_motion_is_flagged_and_best_follows_the_current_rate():
    # pixel 1 brightens by 5 fires/tick every interval: the 80-tick window lags by ~250 fires (a wrong fold),
    # the previous interval by 100 (< L / 2): the two disagree -> flagged; best takes the previous interval
    L = 256
    ticks = np.arange(0, 400, 20)
    rate = np.full((len(ticks), 1, 2), 4.0)
    rate[:, 0, 1] += 5.0 * np.maximum(np.arange(len(ticks)) - 5, 0)
    inc = np.round(rate * 20).astype(np.int64)
    inc[0] = 0
    true = np.cumsum(inc, axis=0)
    hier = unwrap(_reads(true, L), ticks, 8, method="hierarchical", window=80)
    assert not np.array_equal(hier.counts[:, 0, 1], true[:, 0, 1])
    np.testing.assert_array_equal(hier.counts[:, 0, 0], true[:, 0, 0])
    assert hier.flags[:, 0, 1].any() and not hier.flags[:, 0, 0].any()
    best = unwrap(_reads(true, L), ticks, 8, window=80)
    np.testing.assert_array_equal(best.counts, true)
    assert best.fold_flags[0, 1] and not best.fold_flags[0, 0]


def _random_case(rng, S=40, H=6, W=9, L=64):
    ticks = np.cumsum(rng.integers(1, 6, S))
    rate = rng.uniform(0, 30, (H, W)) * (1 + 0.5 * np.sin(np.arange(S) / 3))[:, None, None]
    inc = rng.poisson(rate * np.diff(ticks, prepend=0)[:, None, None])
    inc[0] = 0
    return _reads(np.cumsum(inc, axis=0), L), ticks


@pytest.mark.parametrize("method", ["temporal", "hierarchical", "best"])
def test_numba_kernels_equal_the_numpy_reference(rng, method):
    for _ in range(3):
        y, ticks = _random_case(rng)
        a = unwrap(y, ticks, 6, method=method, window=12)
        b = unwrap(y, ticks, 6, method=method, window=12, engine="numpy")
        np.testing.assert_array_equal(a.counts, b.counts)
        np.testing.assert_array_equal(a.flags, b.flags)
        assert a.method == method


@pytest.mark.parametrize("method", ["temporal", "hierarchical", "best"])
@pytest.mark.parametrize("block", [1, 5, 13])
def test_streaming_equals_offline(rng, method, block):
    y, ticks = _random_case(rng, S=37)
    off = unwrap(y, ticks, 6, method=method, window=12)
    su = StreamingUnwrapper(6, window=12, method=method)
    parts = list(su.iter_reads(y, ticks, block=block))
    counts = np.concatenate([c for c, _ in parts])
    flags = np.concatenate([f for _, f in parts])
    np.testing.assert_array_equal(counts, off.counts)
    np.testing.assert_array_equal(flags, off.flags)


def test_lar_itoh_identity_on_random_integer_fields(rng):
    L = 32
    for _ in range(20):
        phi = np.cumsum(np.cumsum(rng.integers(-5, 6, (12, 15)), axis=0), axis=1) + rng.integers(0, 10**6)
        w = np.mod(phi, L)
        for axis in (0, 1):
            dphi = np.diff(phi, axis=axis)
            ok = np.abs(dphi) < L / 2
            np.testing.assert_array_equal(lar(np.diff(w, axis=axis), L)[ok], dphi[ok])
        # a second-order difference too (any integer difference operator)
        d2 = np.diff(phi, 2, axis=1)
        ok = np.abs(d2) < L / 2
        np.testing.assert_array_equal(lar(np.diff(w, 2, axis=1), L)[ok], d2[ok])
    v = rng.integers(-1000, 1000, 500)
    r = lar(v, L)
    assert r.min() >= -L // 2 and r.max() < L // 2 and ((v - r) % L == 0).all()


def test_dct_poisson_solve_equals_dense_least_squares(rng):
    H, W = 5, 7
    gx, gy = rng.normal(size=(H, W)), rng.normal(size=(H, W))
    gx[:, -1] = 0
    gy[-1, :] = 0
    phi = poisson_dct(gx, gy)
    rows, b = [], []
    for i in range(H):
        for j in range(W):
            if j + 1 < W:
                r = np.zeros(H * W)
                r[i * W + j + 1], r[i * W + j] = 1, -1
                rows.append(r)
                b.append(gx[i, j])
            if i + 1 < H:
                r = np.zeros(H * W)
                r[(i + 1) * W + j], r[i * W + j] = 1, -1
                rows.append(r)
                b.append(gy[i, j])
    x = np.linalg.lstsq(np.array(rows), np.array(b), rcond=None)[0].reshape(H, W)
    np.testing.assert_allclose(phi - phi.mean(), x - x.mean(), atol=1e-10)


def test_spatial_unwrap_is_exact_when_itoh_holds(rng):
    yy, xx = np.mgrid[0:32, 0:48]
    true = (40 * np.sin(yy / 6.0) + 3 * xx + 200).astype(np.int64)
    w = np.mod(true, 32)
    gx, gy = wrapped_gradients(w, 32)
    np.testing.assert_array_equal(gx[:, :-1], np.diff(true, axis=1))
    got = spatial_unwrap(w, 32)
    np.testing.assert_array_equal(got - got.min(), true - true.min())
    known = rng.random(true.shape) < 0.5
    np.testing.assert_array_equal(spatial_unwrap(w, 32, anchor=true, known=known), true)
    # the spatial method unwraps each interval's increment field
    inc = np.stack([np.zeros_like(true), true - true.min(), 2 * (true - true.min())])
    res = unwrap(_reads(np.cumsum(inc, axis=0), 256), np.array([0, 10, 20]), 8, method="spatial")
    np.testing.assert_array_equal(res.counts, np.cumsum(inc, axis=0))


def test_result_rate_radiance_and_record_input():
    ticks = np.array([0, 1, 5, 15, 25, 35])
    n = 30 * ticks[:, None, None] + np.zeros((1, 4, 4), np.int64)
    res = unwrap((n % 256).astype(np.uint8), ticks, 8, calibration={"response": 2.0, "dark": 10.0})
    np.testing.assert_array_equal(res.counts[:, 0, 0], [0, 30, 150, 450, 750, 1050])
    assert not np.array_equal(unwrap((n % 256).astype(np.uint8), ticks, 8, method="temporal").counts, n)
    assert res.rate(0, -1).dtype == np.float32 and float(res.rate(1, 3)[0, 0]) == 30.0
    assert float(res.radiance(0, 5)[0, 0]) == 10.0
    assert float(res.radiance(0, 5, {"response": 1.0, "dark": 0.0})[0, 0]) == 30.0
    with pytest.raises(HDRInputError, match="window"):
        res.rate(3, 3)


@pytest.mark.parametrize("args,match", [
    ((np.zeros((3, 4, 4), np.uint8), np.array([0, 2, 2]), 8), "strictly increasing"),
    ((np.full((3, 4, 4), 300, np.uint16), np.array([0, 1, 2]), 8), "8-bit counter"),
    ((np.zeros((3, 4, 4), np.uint8), np.array([0, 1]), 8), "one tick per read"),
    ((np.zeros((4, 4), np.uint8), np.array([0]), 8), r"\(S, H, W\)"),
    ((np.zeros((3, 4, 4), np.float32), np.array([0, 1, 2]), 8), "integers"),
    ((np.zeros((3, 4, 4), np.uint8), np.array([0, 1, 2]), 0), "bits"),
    ((np.zeros((3, 4, 4), np.uint8), None, 8), "ticks"),
])
def test_bad_input_gets_a_clear_error(args, match):
    with pytest.raises(HDRInputError, match=match):
        unwrap(*args)


def test_bad_method_and_window():
    y = np.zeros((3, 4, 4), np.uint8)
    with pytest.raises(HDRInputError, match="choose one of"):
        unwrap(y, np.arange(3), 8, method="magic")
    with pytest.raises(HDRInputError, match="window"):
        unwrap(y, np.arange(3), 8, window=0)
    with pytest.raises(HDRInputError, match="call unwrap"):
        StreamingUnwrapper(8, 10, method="spatial")
    su = StreamingUnwrapper(8, 10)
    su.push(y, np.arange(3))
    with pytest.raises(HDRInputError, match="keep increasing"):
        su.push(y, np.arange(3))
