"""Demosaicing, white balance, Bayer planes and colour reconstruction of CFA streams."""

import cv2
import numpy as np
import pytest

import spikevision.recon as rc
from spikevision.color import CFA_PATTERNS, cfa_planes, demosaic, opencv_code, white_balance
from spikevision.errors import FormatError
from spikevision.sim import TextureMotion, expected_rate, mosaic, simulate
from spikevision.stream import from_array


def _rgb_scene(h=32, w=48, seed=0):
    """A natural-like colour image: a luminance texture times a slowly varying tint (correlated channels)."""
    rng = np.random.default_rng(seed)
    lum = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), 2.0)
    lum = (lum - lum.min()) / (lum.max() - lum.min())
    tint = cv2.GaussianBlur(rng.random((h, w, 3)).astype(np.float32), (0, 0), 8.0)
    tint = 0.5 + (tint - tint.min()) / (tint.max() - tint.min()) * 0.5
    return (0.1 + 0.8 * lum[..., None] * tint).astype(np.float32)


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_opencv_pattern_names(cfa):
    """Pure red/green/blue through each pattern comes back as that colour from OpenCV (naming is right)."""
    for c in range(3):
        rgb = np.zeros((8, 8, 3), np.float32)
        rgb[..., c] = 1.0
        codes = (mosaic(rgb, cfa) * 60000).astype(np.uint16)
        out = cv2.cvtColor(codes, opencv_code(cfa))
        assert out[4, 4].argmax() == c and out[4, 4, c] == 60000


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_bilinear_agrees_with_opencv(cfa):
    img = mosaic(_rgb_scene(), cfa)
    ours = demosaic(img, cfa)
    codes = np.rint(img * 65535).astype(np.uint16)
    cv = cv2.cvtColor(codes, opencv_code(cfa)).astype(np.float64) / 65535
    inner = (slice(2, -2), slice(2, -2))
    np.testing.assert_allclose(ours[inner], cv[inner], atol=1.5 / 65535)


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
@pytest.mark.parametrize("method", ["bilinear", "edge_aware", "vng"])
def test_sampled_sites_kept_and_dtype(cfa, method):
    img = mosaic(_rgb_scene(), cfa)
    rgb = demosaic(img, cfa, method=method)
    assert rgb.shape == (32, 48, 3) and rgb.dtype == np.float32
    back = mosaic(rgb, cfa)
    np.testing.assert_array_equal(back, img)
    if method == "edge_aware":  # the interpolated samples are OpenCV's EA on the 16-bit codes
        codes = np.rint(img * (65535 / img.max())).astype(np.uint16)
        cv = cv2.cvtColor(codes, opencv_code(cfa, "edge_aware")).astype(np.float32) * np.float32(img.max() / 65535)
        inner = (slice(2, -2), slice(2, -2))
        np.testing.assert_allclose(rgb[inner], cv[inner], atol=img.max() / 65535)


@pytest.mark.parametrize("method", ["bilinear", "edge_aware", "vng"])
def test_demosaic_quality(method):
    """Every method recovers a smooth colour scene closely (CPSNR > 35 dB away from the border)."""
    rgb = _rgb_scene(64, 64)
    out = demosaic(mosaic(rgb, "bggr"), "bggr", method=method)
    err = np.mean((out[3:-3, 3:-3] - rgb[3:-3, 3:-3]) ** 2)
    assert 10 * np.log10(1 / err) > 35


@pytest.mark.parametrize("cfa", CFA_PATTERNS)
def test_grey_scene_reconstructs_grey(cfa):
    grey = np.full((16, 24, 3), 0.6, np.float32)
    stream = simulate(grey, n_frames=200, cfa=cfa, init="zero")
    assert stream.meta.cfa == cfa
    img = rc.reconstruct(stream, "tfp", at=100)
    assert img.shape == (16, 24, 3) and img.dtype == np.float32
    np.testing.assert_allclose(img, 0.3, atol=1 / 41 + 1e-6)
    assert np.abs(img - img.mean(axis=-1, keepdims=True)).max() < 1e-6   # grey: equal channels
    for method in ("best", "tfi"):
        im = rc.reconstruct(stream, method, at=100)
        assert np.ptp(im.mean(axis=(0, 1))) < 0.01
    assert rc.reconstruct(stream, "tfp", at=100, color=False).shape == (16, 24)


def test_color_reconstruction_quality():
    """CPSNR of the colour reconstruction of a simulated CFA stream against the linear ground truth."""
    sc = TextureMotion(32, 48, 400, seed=2, velocity=(0.0, 0.0), color=True, low=0.1, high=0.9)
    stream = simulate(sc, cfa="rggb")
    truth = expected_rate(sc.radiance(200.0), 2.0)
    for method, bound in (("bilinear", 26.0), ("edge_aware", 26.0), ("vng", 26.0)):
        img = rc.reconstruct(stream, "tfp", at=200, window=201, demosaic_method=method)
        err = np.mean((img[2:-2, 2:-2] - truth[2:-2, 2:-2]) ** 2)
        assert 10 * np.log10(1 / err) > bound, method
    seq = rc.reconstruct_sequence(stream, "tfp", step=100)
    assert seq.shape == (4, 32, 48, 3)
    frames = [t for t, _ in rc.iter_reconstruct(stream, "tfp", step=100)]
    assert frames == [0, 100, 200, 300]


def test_white_balance():
    rgb = _rgb_scene() * np.array([0.5, 1.0, 2.0], np.float32)
    out = white_balance(rgb)
    means = out.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(means, means[1], rtol=1e-5)
    np.testing.assert_allclose(white_balance(rgb, gains=(2.0, 1.0, 0.5)), rgb * [2.0, 1.0, 0.5], rtol=1e-6)
    with pytest.raises(FormatError, match="gains"):
        white_balance(rgb, gains=(1.0, 0.0, 1.0))
    with pytest.raises(FormatError, match="white-balance method"):
        white_balance(rgb, method="retinex")
    with pytest.raises(FormatError, match=r"\(\.\.\., H, W, 3\)"):
        white_balance(rgb[..., 0])


def test_cfa_planes():
    img = np.arange(4 * 6).reshape(4, 6)
    p = cfa_planes(img, "grbg")
    assert p["g1"].tolist() == img[0::2, 0::2].tolist() and p["r"].tolist() == img[0::2, 1::2].tolist()
    assert p["b"].tolist() == img[1::2, 0::2].tolist() and p["g2"].tolist() == img[1::2, 1::2].tolist()
    s = (np.random.default_rng(0).random((5, 4, 6)) < 0.5).astype(np.uint8)
    planes = cfa_planes(from_array(s, cfa="bggr"))
    np.testing.assert_array_equal(planes["b"], s[:, 0::2, 0::2])
    with pytest.raises(FormatError, match="no colour filter"):
        cfa_planes(from_array(s))


def test_bad_input():
    s = (np.random.default_rng(0).random((50, 5, 6)) < 0.5).astype(np.uint8)
    with pytest.raises(FormatError, match="even height and width"):
        rc.reconstruct(from_array(s, cfa="rggb"), "tfp", at=10)
    with pytest.raises(FormatError, match="crop it to 4x6"):
        demosaic(np.zeros((5, 6), np.float32), "rggb")
    with pytest.raises(FormatError, match="unknown colour filter pattern"):
        demosaic(np.zeros((4, 6), np.float32), "rgbw")
    with pytest.raises(FormatError, match="unknown demosaic method"):
        demosaic(np.zeros((4, 6), np.float32), "rggb", method="ahd")
    with pytest.raises(FormatError, match="color=True needs"):
        rc.reconstruct(s[:, :4], "tfp", at=10, color=True)
    with pytest.raises(FormatError, match="one \\(H, W\\) mosaic"):
        demosaic(np.zeros((2, 4, 6), np.float32), "rggb")


def test_colour_derain():
    from spikevision.derain import derain

    rgb = np.zeros((16, 24, 3), np.float32)
    rgb[...] = [0.2, 0.5, 0.8]
    stream = simulate(rgb, n_frames=400, cfa="gbrg", init="zero")
    img = derain(stream, 200, method="temporal")
    assert img.shape == (16, 24, 3)
    np.testing.assert_allclose(img.mean(axis=(0, 1)), [0.1, 0.25, 0.4], atol=0.02)
