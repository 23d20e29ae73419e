"""Scenes: ground truth verified against the rendered radiance."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.sim import (
    HDRScene,
    MovingObjects,
    RainScene,
    StereoScene,
    TextureMotion,
    expected_rate,
    make_scene,
    simulate,
)
from spikevision.sim.texture import sample_bilinear


def _warp_error(img_t, img_t1, flow, margin=12):
    """Mean |I_{t+dt}(x + flow(x)) - I_t(x)| over interior pixels (bilinear)."""
    h, w = img_t.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    warped = sample_bilinear(img_t1, xx + flow[..., 0], yy + flow[..., 1], wrap=False)
    sl = (slice(margin, h - margin), slice(margin, w - margin))
    return float(np.abs(warped - img_t)[sl].mean())


@pytest.mark.parametrize("motion", [dict(velocity=(0.3, -0.2)), dict(rotation=1e-3), dict(zoom=1e-3),
                                    dict(velocity=(0.1, 0.05), rotation=-1e-3, zoom=-5e-4)])
def test_texture_motion_flow_is_exact(motion):
    from scipy.ndimage import gaussian_filter

    from spikevision.sim.texture import natural_texture

    smooth = gaussian_filter(natural_texture(256, seed=3), 2.0, mode="wrap")  # resampling error << motion signal
    sc = TextureMotion(60, 90, frames=100, seed=3, texture=smooth, **motion)
    t, dt = 17.0, 20.0
    flow = sc.flow(t, dt)
    # a texture point keeps its texture coordinates along the flow: exact to float rounding
    u0, v0 = sc.texture_coords(t)
    a = sc.texture_map(t + dt)
    yy, xx = np.mgrid[0:60, 0:90].astype(np.float64)
    x1, y1 = xx + flow[..., 0], yy + flow[..., 1]
    np.testing.assert_allclose(a[0, 0] * x1 + a[0, 1] * y1 + a[0, 2], u0, atol=1e-3)
    np.testing.assert_allclose(a[1, 0] * x1 + a[1, 1] * y1 + a[1, 2], v0, atol=1e-3)
    # warping the clean radiance by the flow reproduces the earlier frame; zero flow does not
    i0, i1 = sc.radiance(t), sc.radiance(t + dt)
    err = _warp_error(i0, i1, flow)
    assert err < 0.004
    assert err < 0.2 * _warp_error(i0, i1, np.zeros_like(flow))


def test_stereo_disparity_reprojects_left_into_right_exactly():
    sc = StereoScene(80, 120, frames=10, seed=2, integer_disparity=True, speed=0.0, depth_range=(0.6, 2.0))
    left, right = sc.radiance(0), sc.radiance_right(0)
    d, occ = sc.disparity(0), sc.occlusion(0)
    assert len(np.unique(d)) >= 3 and 0 < occ.mean() < 0.5
    yy, xx = np.mgrid[0:80, 0:120]
    xr = xx - d.astype(int)
    ok = ~occ
    assert (xr[ok] >= 0).all()
    np.testing.assert_array_equal(right[yy[ok], xr[ok]], left[ok])
    # occluded pixels see another surface in the right view
    bad = occ & (xr >= 0)
    assert bad.any() and (np.abs(right[yy[bad], xr[bad]] - left[bad]) > 0).mean() > 0.9
    np.testing.assert_allclose(sc.depth(0), sc.focal * sc.baseline / d, rtol=1e-6)


def test_stereo_fractional_disparity_and_views():
    sc = StereoScene(80, 120, frames=50, seed=5, speed=0.05)
    t = 30.0
    left, right, d, occ = sc.radiance(t), sc.radiance_right(t), sc.disparity(t), sc.occlusion(t)
    yy, xx = np.mgrid[0:80, 0:120].astype(np.float64)
    reproj = sample_bilinear(right, xx - d, yy, wrap=False)
    ok = ~occ
    ok[:, :40] = False  # keep away from the left border where x - d leaves the image
    assert np.abs(reproj - left)[ok].mean() < 0.03
    np.testing.assert_array_equal(sc.view("right").radiance(t), right)
    assert sc.view("left").params()["view"] == "left"


def test_rain_mask_covers_exactly_the_added_streak_energy():
    sc = RainScene(80, 120, frames=400, seed=1, density=30)
    for t in (0.0, 150.0, 399.0):
        rainy, clean, mask = sc.radiance(t), sc.clean(t), sc.rain_mask(t)
        diff = rainy - clean
        assert mask.any()
        assert not diff[~mask].any()
        assert (diff[mask] != 0).all()
    # streaks are continuous: a drop moves less than a pixel per tick, so masks of consecutive ticks overlap
    m0, m1 = sc.rain_mask(200.0), sc.rain_mask(201.0)
    assert (m0 & m1).sum() > 0.8 * m0.sum()


def test_rain_background_is_the_clean_ground_truth():
    bg = TextureMotion(40, 64, frames=100, seed=9, velocity=(0.0, 0.0))
    sc = RainScene(40, 64, frames=100, seed=9, background=bg, density=0)
    np.testing.assert_array_equal(sc.radiance(10.0), bg.radiance(10.0))
    assert not sc.rain_mask(10.0).any()


@pytest.mark.parametrize("moving", [False, True])
def test_hdr_scene_spans_the_dynamic_range(moving):
    sc = HDRScene(60, 90, frames=200, seed=4, dynamic_range=1e5, moving=moving)
    a, b = sc.radiance(0.0), sc.radiance(150.0)
    assert a.max() / a.min() == pytest.approx(1e5, rel=1e-3)
    assert a.max() == pytest.approx(sc.peak)
    assert np.array_equal(a, b) != moving
    r = sc.rate(0.0)
    assert r.max() == pytest.approx(sc.peak / 2) and r.min() < 1e-4


def test_moving_objects_boxes_and_flow():
    sc = MovingObjects(80, 120, frames=300, seed=6, n_objects=3)
    for t in (0.0, 299.0):
        ids, boxes = sc.instances(t), sc.boxes(t)
        img = sc.radiance(t)
        for j, o in enumerate(sc.objects):
            ys, xs = np.nonzero(ids == j)
            if len(xs):
                x0, y0, x1, y1 = boxes[j]
                assert xs.min() >= np.floor(x0) and xs.max() <= np.ceil(x1)
                assert ys.min() >= np.floor(y0) and ys.max() <= np.ceil(y1)
                np.testing.assert_allclose(img[ids == j], o["level"], rtol=1e-6)
    flow = sc.flow(10.0, 10.0)
    ids = sc.instances(10.0)
    for j, o in enumerate(sc.objects):
        np.testing.assert_allclose(flow[ids == j], np.broadcast_to(o["v"] * 10, flow[ids == j].shape), rtol=1e-5)
    # objects stay in view over the scene's frames
    pos = np.concatenate([sc.positions(0.0), sc.positions(300.0)])
    assert (pos[:, 0] >= 0).all() and (pos[:, 0] <= 120).all() and (pos[:, 1] >= 0).all() and (pos[:, 1] <= 80).all()


@pytest.mark.parametrize("name", ["texture_motion", "stereo", "rain", "hdr", "moving_objects"])
def test_every_scene_simulates_with_its_parameters_in_provenance(name):
    sc = make_scene(name, height=32, width=48, frames=120, seed=2)
    s = simulate(sc, seed=2)
    assert s.shape == (120, 32, 48)
    assert s.meta.provenance["input"]["scene"] == name
    np.testing.assert_array_equal(sc.rate(5.0), expected_rate(sc.radiance(5.0), 2.0))
    assert sc.duration == pytest.approx(120 / 20000)
    # keyframes fall on every multiple of 10 ticks (or the scene is static): radiance(10 k) is integrated exactly
    assert 10 % sc.keyframe_interval == 0 or sc.keyframe_interval == 64


def test_scene_rate_is_what_the_stream_fires():
    sc = TextureMotion(32, 48, frames=4000, seed=1, velocity=(0.0, 0.0))
    s = simulate(sc, seed=1)
    np.testing.assert_allclose(s.firing_rate(), sc.rate(0.0), atol=1.01 / 4000)


def test_unknown_scene_name():
    with pytest.raises(ValueError, match="choose one of"):
        make_scene("snow")


def test_integrated_radiance_equals_scene_radiance_on_keyframes():
    from spikevision.sim.simulator import Simulator

    sc = TextureMotion(16, 24, frames=40, seed=2, velocity=(0.1, 0.0))
    assert sc.keyframe_interval == 2
    # a sensor that never fires integrates the radiance: the residual after tick 20 minus after tick 19 is L(19)...
    sim = Simulator(sc, theta=1e9, init="zero", full_well=None)
    buf = np.empty((1, sim.frame_nbytes), np.uint8)
    before = None
    for j in range(21):
        sim.fill(buf)
        now = sim.engine.residual().astype(np.float64)
        if j == 20:
            np.testing.assert_allclose(now - before, sc.radiance(20.0), rtol=1e-4, atol=1e-6)
        before = now
