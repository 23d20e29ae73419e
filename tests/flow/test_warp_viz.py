"""warp (NumPy reference, numba kernel), the Middlebury colour wheel and the arrow overlay."""

import numpy as np
import pytest

from spikevision import flow
from spikevision.flow.warp import warp_reference


def test_warp_kernel_equals_reference(rng):
    img = rng.random((30, 41, 3)).astype(np.float32)
    f = (rng.standard_normal((30, 41, 2)) * 6).astype(np.float32)
    np.testing.assert_array_equal(flow.warp(img, f), warp_reference(img, f))
    np.testing.assert_array_equal(flow.warp(img[..., 0], f), warp_reference(img[..., 0], f))


def test_warp_integer_shift_and_subpixel(rng):
    img = rng.random((20, 30)).astype(np.float32)
    f = np.zeros((20, 30, 2), np.float32)
    f[..., 0], f[..., 1] = 2, -1
    out = flow.warp(img, f)
    np.testing.assert_array_equal(out[1:, :-2], img[:-1, 2:])
    f[..., 0], f[..., 1] = 0.25, 0
    out = flow.warp(img, f)
    np.testing.assert_allclose(out[:, :-1], 0.75 * img[:, :-1] + 0.25 * img[:, 1:], rtol=1e-6)
    np.testing.assert_array_equal(out[:, -1], img[:, -1])   # border replicated


def test_warp_shape_mismatch():
    with pytest.raises(flow.FlowInputError, match="does not match"):
        flow.warp(np.zeros((4, 5)), np.zeros((4, 6, 2), np.float32))
    with pytest.raises(flow.FlowInputError, match=r"\(H, W, 2\)"):
        flow.warp(np.zeros((4, 5)), np.zeros((4, 5, 3), np.float32))


def test_color_wheel_cardinal_directions():
    """Middlebury flowToColor: right red, down orange-yellow, left cyan-blue, up violet-blue; rest white."""
    wheel = flow.colorwheel()
    assert wheel.shape == (55, 3)
    assert wheel[0].tolist() == [255, 0, 0] and wheel[15].tolist() == [255, 255, 0]
    assert wheel[21].tolist() == [0, 255, 0] and wheel[25].tolist() == [0, 255, 255]
    assert wheel[36].tolist() == [0, 0, 255] and wheel[49].tolist() == [255, 0, 255]
    f = np.array([[[1, 0], [0, 1], [-1, 0], [0, -1], [0, 0]]], np.float32)
    c = flow.to_color(f)
    assert c.dtype == np.uint8 and c.shape == (1, 5, 3)
    assert c[0, 0].tolist() == [255, 0, 0]
    assert c[0, 1].tolist() == [255, 229, 0]    # between wheel[13] (255, 221, 0) and wheel[14] (255, 238, 0)
    assert c[0, 2].tolist() == [0, 209, 255]    # wheel[27]
    assert c[0, 3].tolist() == [88, 0, 255]     # between wheel[40] (78, 0, 255) and wheel[41] (98, 0, 255)
    assert c[0, 4].tolist() == [255, 255, 255]
    half = flow.to_color(f * 0.5, max_magnitude=1.0)
    assert half[0, 0].tolist() == [255, 127, 127]
    beyond = flow.to_color(f * 2, max_magnitude=1.0)
    assert beyond[0, 0].tolist() == [191, 0, 0]   # saturated vectors at 75 % value


def test_arrows_drawn_where_flow():
    img = np.full((64, 64), 0.5, np.float32)
    f = np.zeros((64, 64, 2), np.float32)
    out = flow.to_arrows(img, f)
    assert out.shape == (64, 64, 3) and (out == 128).all()
    f[..., 0] = 1.0
    out = flow.to_arrows(img, f, step=16)
    drawn = (out != 128).any(axis=2)
    assert drawn[8, 8:20].all() and not drawn[0].any()
    with pytest.raises(flow.FlowInputError):
        flow.to_arrows(np.zeros((10, 10)), f)


def test_window_counts_kernel_equals_reference(rng):
    from spikevision import _bits
    from spikevision.flow._images import PackedImages, pad_packed
    from spikevision.flow._kernels import window_counts, window_counts_reference
    from spikevision.recon import tfp

    s = (rng.random((60, 13, 21)) < 0.4).astype(np.uint8)    # 273 pixels: a partial last byte and word
    work = pad_packed(_bits.pack_frames(s))
    acc = np.empty(work.shape[1], np.uint64)
    for a, b in [(0, 60), (5, 46), (59, 60), (10, 10)]:
        window_counts(work, a, b, _bits.LUT64, acc)
        np.testing.assert_array_equal(acc.view(np.uint8)[:273], window_counts_reference(work, a, b, 273))
        np.testing.assert_array_equal(acc.view(np.uint8)[:273].reshape(13, 21), s[a:b].sum(axis=0))
    src = PackedImages(work, 0, 60, 13, 21, 41)
    for f in (0, 7, 30, 59):   # TFP images equal the recon module's (windows clipped at the ends alike)
        np.testing.assert_array_equal(src.tfp([f])[0], tfp(s, at=f, window=41))
        np.testing.assert_allclose(src.log([f])[0], np.log(np.maximum(tfp(s, at=f, window=41), 0.5 / 41)),
                                   rtol=1e-6)
    from spikevision.flow._images import stretch, to_uint8

    for w in (41, 9):   # 8-bit images by table lookup equal the mapped log images
        lo, hi = src.stretch(30, w)
        assert (lo, hi) == stretch(src.log([30], w)[0], src.floor_of(w))
        for f in (0, 30, 59):
            np.testing.assert_array_equal(src.u8([f], lo, hi, w)[0], to_uint8(src.log([f], w)[0], lo, hi))
