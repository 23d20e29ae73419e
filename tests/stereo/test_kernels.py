"""The numba kernels equal the NumPy reference bit for bit."""

import numpy as np
import pytest

import spikevision.stereo as st
from spikevision import _bits
from spikevision.stereo import _kernels as K
from spikevision.stereo._reference import (
    box_mean_ref,
    census_ref,
    cost_volume_ref,
    interval_features_ref,
    select_ref,
    sgm_ref,
)
from spikevision.stereo.spike import SpikeMatcher, SpikeParams, match_reference

from ._pairs import random_pair


def _ring_features(frames, window, intervals, adapt=0):
    n, h, w = frames.shape
    t = n - 1
    a = max(0, t - window + 1)
    ring = np.zeros((h * w, intervals + 1), np.int64)
    head = np.zeros(h * w, np.int32)
    count = np.zeros(h * w, np.int32)
    K.ring_update(_bits.pack_frames(frames[a:]), a, h * w, ring, head, count)
    out = np.empty(h * w, np.int32)
    K.interval_features(ring, head, count, t, window, K.log2_table(window), out, adapt)
    return out.reshape(h, w)


@pytest.mark.parametrize("window,intervals,adapt", [(16, 1, 0), (40, 4, 0), (300, 8, 0), (7, 12, 0), (300, 8, 50),
                                                    (60, 12, 20), (40, 3, 1)])
def test_interval_features(window, intervals, adapt, rng):
    frames = (rng.random((90, 9, 13)) < rng.random((1, 9, 13)) * 0.7).astype(np.uint8)
    frames[:, 0, 0] = 0                       # a pixel that never fires
    frames[:, 0, 1] = 0
    frames[5, 0, 1] = 1                       # one spike only
    frames[:, 1, 0] = 0
    frames[1:40:3, 1, 0] = 1                  # every 3 ticks, then every 9: the light changed
    frames[40::9, 1, 0] = 1
    got = _ring_features(frames, window, intervals, adapt)
    ref = interval_features_ref(frames, window, intervals, K.log2_table(window), adapt)
    np.testing.assert_array_equal(got, ref)
    assert got[0, 0] == K.log2_table(window)[window]


def test_features_of_a_regular_pixel():
    """A pixel firing every 4 ticks reads log2(4) = 2 octaves (128 at 64 steps per octave)."""
    frames = np.zeros((80, 1, 8), np.uint8)
    frames[3::4] = 1
    assert (_ring_features(frames, 64, 8) == 128).all()


def test_adaptive_run_stops_at_a_change_of_light():
    """Every 12 ticks, then every 2: with ``adapt`` only the recent intervals count (log2(2) = 64), without
    it the mean mixes both regimes."""
    frames = np.zeros((120, 1, 4), np.uint8)
    frames[4:100:12] = 1
    frames[100::2] = 1
    assert (_ring_features(frames, 256, 12, adapt=50) == 64).all()
    assert (_ring_features(frames, 256, 12) > 64 + 32).all()
    assert (interval_features_ref(frames, 256, 12, K.log2_table(256), 50) == 64).all()


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_box_mean(radius, rng):
    q = rng.integers(0, 500, (9, 14)).astype(np.int32)
    out = np.empty_like(q)
    K.box_mean(q, radius, out)
    np.testing.assert_array_equal(out, box_mean_ref(q, radius))
    assert out[4, 7] == q[4 - radius:5 + radius, 7 - radius:8 + radius].sum() // (2 * radius + 1) ** 2


@pytest.mark.parametrize("radius", [1, 2, 3])
def test_census(radius, rng):
    q = rng.integers(0, 50, (11, 17)).astype(np.int32)
    out = np.empty(q.shape, np.uint64)
    K.census(q, radius, out)
    np.testing.assert_array_equal(out, census_ref(q, radius))


def test_cost_sgm_select(rng):
    h, w, nd = 10, 30, 9
    ql = rng.integers(0, 300, (h, w)).astype(np.int32)
    qr = np.roll(ql, -3, axis=1) + rng.integers(-5, 6, (h, w)).astype(np.int32)
    cl, cr = np.empty((h, w), np.uint64), np.empty((h, w), np.uint64)
    K.census(ql, 2, cl)
    K.census(qr, 2, cr)
    cost = np.empty((h, w, nd), np.int32)
    K.cost_volume(cl, cr, ql, qr, 2, 12, 36, cost)
    ref_cost = cost_volume_ref(cl, cr, ql, qr, nd, 2, 12, 36)
    np.testing.assert_array_equal(cost, ref_cost)
    agg = np.empty_like(cost)
    K.sgm(cost, 7, 40, agg)
    np.testing.assert_array_equal(agg, sgm_ref(ref_cost, 7, 40))
    disp, valid, conf = np.empty((h, w), np.float32), np.empty((h, w), bool), np.empty((h, w), np.float32)
    K.select(agg, 1, disp, valid, conf)
    rd, rv, rc = select_ref(agg, 1)
    np.testing.assert_array_equal(disp, rd)
    np.testing.assert_array_equal(valid, rv)
    np.testing.assert_array_equal(conf, rc)


@pytest.mark.parametrize("h,w,nd,p1,p2", [(10, 30, 9, 7, 40), (7, 12, 20, 3, 30), (5, 9, 3, 5, 5), (6, 40, 2, 1, 9),
                                           (12, 50, 17, 10, 60), (4, 6, 6, 0, 0)])
@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_fused_sgm_select(h, w, nd, p1, p2, dtype, rng):
    """The fused three-pass kernel (uint16 or int32 path costs) equals select_ref(sgm_ref(cost))."""
    base = rng.integers(0, 40, (h, w))
    cost = (base[..., None] + rng.integers(0, 20, (h, w, nd))).astype(np.uint8)
    cost[:, :3, 1:] = 60   # a border of the same cost: ties must keep the smallest disparity
    ref = sgm_ref(cost.astype(np.int32), p1, p2)
    rd, rv, rc = select_ref(ref, 1)
    agg = np.empty((h, w, nd), dtype)
    K.sgm(cost, p1, p2, agg)
    np.testing.assert_array_equal(agg, ref)
    disp, valid, conf = np.empty((h, w), np.float32), np.empty((h, w), bool), np.empty((h, w), np.float32)
    K.sgm_select(cost, p1, p2, 1, int(cost.max()) + 2 * p2 + 1, agg, disp, valid, conf, False)
    np.testing.assert_array_equal(disp, rd)
    np.testing.assert_array_equal(valid, rv)
    np.testing.assert_array_equal(conf, rc)


def test_agg_dtype_bound():
    """uint16 path costs only where the sum of four paths (each <= border + P2) and the sentinel fit."""
    assert K.agg_dtype(48, 60) == np.uint16
    assert K.agg_dtype(1072, 20000) == np.int32
    p = SpikeParams.of(dict(ad_max=1000, radius=3, p2=40000, p1=10))
    assert SpikeMatcher(4, 8, 3, p)._agg.dtype == np.int32 and SpikeMatcher(4, 8, 3, p)._cost.dtype == np.int16


def test_popcount(rng):
    v = rng.integers(0, 2**63, 200, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    from spikevision.stereo._reference import _popcount

    want = np.array([bin(int(x)).count("1") for x in v])
    np.testing.assert_array_equal(_popcount(v), want)


@pytest.mark.parametrize("params", [{}, dict(radius=1, p1=3, p2=20, intervals=3, window=30, smooth=0),
                                    dict(radius=3, smooth=2, ad_shift=0, ad_max=40),
                                    dict(ad_shift=0, ad_max=1000, p1=40, p2=40000)])   # int16 cost, int32 paths
def test_matcher_end_to_end(params):
    left, right = random_pair(t=70, h=14, w=28)
    p = SpikeParams.of(params)
    a = st.disparity(left, right, 69, max_disparity=10, return_confidence=True, **params)
    b = st.disparity(left, right, 69, max_disparity=10, return_confidence=True, engine="reference", **params)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    ql = interval_features_ref(left, p.window, p.intervals, K.log2_table(p.window))
    qr = interval_features_ref(right, p.window, p.intervals, K.log2_table(p.window))
    for x, y in zip(SpikeMatcher(14, 28, 10, p).match(ql, qr), match_reference(ql, qr, 10, p)):
        np.testing.assert_array_equal(x, y)
