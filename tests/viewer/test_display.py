"""Display pipeline against a per-pixel reference written out longhand."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.viewer.display import COLORMAPS, auto_levels, colormap_lut, histogram, normalize, to_rgb


def _ref_rgb(image, lo, hi, gamma, lut):
    out = np.empty(image.shape + (3,), np.uint8)
    for idx in np.ndindex(image.shape):
        v = float(image[idx])
        x = 0.0 if np.isnan(v) else min(1.0, max(0.0, (v - lo) / (hi - lo)))
        x = x ** gamma
        out[idx] = lut[int(np.floor(x * 255.0 + 0.5))]
    return out


@pytest.mark.parametrize("cmap", ["gray", "inferno", "green"])
@pytest.mark.parametrize("levels,gamma", [((0.0, 1.0), 1.0), ((0.1, 0.6), 0.5), ((-2.0, 3.0), 2.2)])
def test_to_rgb_matches_reference(rng, cmap, levels, gamma):
    img = rng.normal(0.4, 0.5, (9, 13)).astype(np.float32)
    img[0, 0] = np.nan
    got = to_rgb(img, levels, gamma, cmap)
    ref = _ref_rgb(img, *levels, gamma, colormap_lut(cmap))
    # float32 arithmetic may land a value exactly on a .5 boundary differently: allow one level, rarely
    diff = np.abs(got.astype(int) - ref.astype(int))
    assert got.shape == (9, 13, 3) and got.dtype == np.uint8 and got.flags.c_contiguous
    assert (diff.max(axis=2) == 0).mean() > 0.97
    if cmap == "gray":
        assert diff.max() <= 1


def test_gray_levels_are_exact_on_grid_values():
    img = np.arange(256, dtype=np.float32).reshape(16, 16) / 255.0
    rgb = to_rgb(img)
    np.testing.assert_array_equal(rgb[..., 0].ravel(), np.arange(256))
    assert (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()


def test_all_colormaps_are_256_rgb_and_dark_to_bright():
    for name in COLORMAPS:
        lut = colormap_lut(name)
        assert lut.shape == (256, 3) and lut.dtype == np.uint8
        lum = lut @ np.array([0.299, 0.587, 0.114])
        assert lum[-1] > lum[0], name
    with pytest.raises(ValueError, match="unknown colormap 'nope'"):
        colormap_lut("nope")


def test_inferno_matches_opencv():
    import cv2

    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    bgr = cv2.applyColorMap(ramp, cv2.COLORMAP_INFERNO).reshape(256, 3)
    np.testing.assert_array_equal(colormap_lut("inferno"), bgr[:, ::-1])


def test_normalize_degenerate_levels_and_bad_gamma():
    img = np.array([[0.0, 0.5, 1.0]], np.float32)
    np.testing.assert_array_equal(normalize(img, (0.5, 0.5)), [[0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="gamma must be > 0"):
        normalize(img, (0, 1), gamma=0.0)


def test_auto_levels_are_percentiles():
    img = np.linspace(0, 1, 10001, dtype=np.float32).reshape(1, -1)
    lo, hi = auto_levels(img)
    assert lo == pytest.approx(0.005, abs=1e-4) and hi == pytest.approx(0.995, abs=1e-4)
    assert auto_levels(np.full((4, 4), 0.3, np.float32)) == pytest.approx((0.3, 0.303))
    assert auto_levels(np.full((2, 2), np.nan, np.float32)) == (0.0, 1.0)


def test_histogram_counts_every_finite_value(rng):
    img = rng.random((20, 30)).astype(np.float32)
    img[0, 0] = np.inf
    counts, edges = histogram(img, bins=10)
    assert counts.sum() == img.size - 1 and edges[0] == 0.0 and edges[-1] == 1.0
