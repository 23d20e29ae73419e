"""Tone mapping, HDR export, demosaicing, metrics, and unwrapping simulated counter records."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from spikevision.color import demosaic
from spikevision.errors import FormatError
from spikevision.hdr import save_hdr, tonemap, unwrap
from spikevision.metrics import fold_error_rate, modulo_bandwidth, psnr_linear, psnr_mu, ssim_mu
from spikevision.sim import HDRScene, mosaic, simulate_modulo


def test_tonemaps_are_monotone_and_in_range(rng):
    hdr = np.geomspace(1e-4, 10, 64, dtype=np.float32).reshape(8, 8)
    for m in ("mu", "reinhard", "drago"):
        out = tonemap(hdr, method=m)
        assert out.shape == hdr.shape and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1
        assert (np.diff(out.reshape(-1)) >= -1e-6).all(), m
    np.testing.assert_allclose(tonemap(hdr)[-1, -1], 1.0, rtol=1e-6)
    assert tonemap(np.zeros((4, 4), np.float32)).max() == 0
    with pytest.raises(ValueError, match="tone map"):
        tonemap(hdr, method="gamma")


def test_save_hdr_tiff_and_h5_round_trip(tmp_path):
    import cv2

    img = np.geomspace(1e-5, 3, 12 * 16, dtype=np.float32).reshape(12, 16)
    p = save_hdr(tmp_path / "a.tif", img)
    np.testing.assert_array_equal(cv2.imread(str(p), cv2.IMREAD_UNCHANGED), img)
    rgb = np.stack([img, img * 2, img * 3], axis=-1)
    back = cv2.imread(str(save_hdr(tmp_path / "c.tiff", rgb)), cv2.IMREAD_UNCHANGED)[..., ::-1]
    np.testing.assert_array_equal(back, rgb)
    save_hdr(tmp_path / "s.h5", np.stack([img, img]))
    with h5py.File(tmp_path / "s.h5") as f:
        np.testing.assert_array_equal(f["radiance"][1], img)
    with pytest.raises(FormatError, match="unknown HDR format"):
        save_hdr(tmp_path / "a.png", img)
    with pytest.raises(FormatError, match="h5"):
        save_hdr(tmp_path / "b.tif", np.stack([img, img, img, img]))
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.tif", "c.tiff", "s.h5"]


@pytest.mark.parametrize("cfa", ["rggb", "bggr", "grbg", "gbrg"])
def test_bilinear_demosaic_recovers_flat_colour(cfa):
    rgb = np.broadcast_to(np.array([0.2, 5.0, 1e-3], np.float32), (10, 12, 3)).copy()
    out = demosaic(mosaic(rgb, cfa), cfa)
    np.testing.assert_allclose(out[2:-2, 2:-2], rgb[2:-2, 2:-2], rtol=1e-5)


def test_metrics_on_known_cases(rng):
    true = np.cumsum(rng.integers(0, 50, (5, 4, 4)), axis=0)
    est = true.copy()
    est[3:, 0, 0] += 256  # one wrong fold: one of 4 * 16 increments
    assert fold_error_rate(est, true) == pytest.approx(1 / 64)
    m = np.ones((4, 4), bool)
    m[0, 0] = False
    assert fold_error_rate(est, true, mask=m) == 0.0
    img = rng.random((16, 16)) + 0.01
    assert psnr_linear(img, img) == np.inf and psnr_mu(img, img) == np.inf
    assert psnr_mu(img * 1.1, img) < np.inf and ssim_mu(img, img) == pytest.approx(1.0)
    bw = modulo_bandwidth(1000, 1000, 750, 8, 20000)
    assert bw["spikes_bps"] == 20e9 and bw["modulo_bps"] == 6e9
    with pytest.raises(ValueError, match="mask"):
        psnr_linear(img, img, mask=np.zeros((16, 16), bool))


def test_best_unwraps_a_simulated_hdr_scene_exactly_and_beats_temporal():
    sc = HDRScene(32, 48, frames=1000, seed=2)
    _, rec = simulate_modulo(sc, schedule="0,1,5,25/50", seed=2, keep_spikes=False)
    true = rec.true_counts()
    res = unwrap(rec)
    assert res.method == "best" and fold_error_rate(res.counts, true) == 0.0
    assert fold_error_rate(unwrap(rec, method="temporal").counts, true) > 0.005
    hdr = res.radiance(0, -1)
    truth = rec.radiance_true[1:].mean(axis=0)  # the reads are evenly spread over whole periods
    assert psnr_mu(hdr, truth) > 30


def test_colour_record_unwraps_and_demosaics():
    from spikevision.sim.scenes import HDRScene as _H

    class Colour(_H):
        def radiance(self, t):
            g = super().radiance(t)
            return np.stack([g, 0.5 * g, 0.25 * g], axis=-1)

    _, rec = simulate_modulo(Colour(16, 24, frames=200, seed=1), schedule="0,1,5,25/50", cfa="bggr", seed=1,
                             keep_spikes=False)
    assert rec.cfa == "bggr" and rec.radiance_true.shape == (len(rec.ticks), 16, 24, 3)
    res = unwrap(rec)
    assert fold_error_rate(res.counts, rec.true_counts()) == 0.0
    rgb = res.radiance(0, -1)
    assert rgb.shape == (16, 24, 3) and rgb.dtype == np.float32
    assert res.radiance(0, -1, demosaic=False).shape == (16, 24)


def test_exr_is_written_where_opencv_has_openexr_else_refused_cleanly(tmp_path):
    import cv2

    from spikevision.errors import OutputError

    img = np.geomspace(1e-3, 50, 6 * 8, dtype=np.float32).reshape(6, 8)
    try:
        p = save_hdr(tmp_path / "a.exr", img)
    except OutputError as exc:
        assert "write .tif or .h5 instead" in str(exc)
        assert list(tmp_path.iterdir()) == []  # nothing half-written
    else:
        np.testing.assert_allclose(cv2.imread(str(p), cv2.IMREAD_UNCHANGED), img, rtol=1e-3)
