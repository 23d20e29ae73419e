"""Deraining: rain-free scenes pass, a drop of known duration is removed and found, quality bounds."""

import numpy as np
import pytest

from spikevision.derain import DEFAULTS, derain, derain_sequence, iter_derain, rain_mask
from spikevision.errors import FormatError
from spikevision.metrics import psnr
from spikevision.recon import tfp
from spikevision.sim import TextureMotion, expected_rate, simulate

from ._scenes import drop_spikes, rain_case, truth

METHODS = ["temporal", "motion", "rpca"]


@pytest.mark.parametrize("method", METHODS)
def test_drop_of_known_duration_removed_and_found(method):
    s, where = drop_spikes()
    img = derain(s, 240, method=method)
    assert img.dtype == np.float32 and img.shape == (12, 16)
    np.testing.assert_allclose(img, 0.25, atol=0.01)       # the drop is gone: the background rate everywhere
    mask = rain_mask(s, 240, method=method)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, where)
    assert not rain_mask(s, 400, method=method).any()     # long after the drop: no rain


def test_no_rain_passes_unchanged():
    """A rain-free scene comes back as its rate within the temporal bias (one spike per window of counts)."""
    sc = TextureMotion(32, 48, 800, seed=3, velocity=(0.0, 0.0), low=0.05, high=0.9)
    s = simulate(sc).unpack()
    for method in ("temporal", "rpca"):
        img = derain(s, 400, method=method)
        b, n = DEFAULTS[method]["block"], DEFAULTS[method]["blocks"]
        err = np.abs(img - expected_rate(sc.radiance(400.0), 2.0))
        assert err.max() <= 2.0 / b + 1e-6, method   # counts within +-1 of rate * B, averaged
        assert err.mean() <= 1.0 / (b * n) * 4, method
        assert not rain_mask(s, 400, method=method).any()
    moving = derain(s, 400, method="motion")
    assert np.abs(moving - expected_rate(sc.radiance(400.0), 2.0)).max() <= 2.0 / DEFAULTS["motion"]["block"]


@pytest.mark.parametrize("kind,method,gain", [("static", "temporal", 4.0), ("static", "motion", 4.0),
                                              ("bright", "temporal", 6.0), ("bright", "rpca", 2.0),
                                              ("pan", "motion", 3.0)])
def test_quality_bound_against_tfp(kind, method, gain):
    s, sc = rain_case(kind)
    ats = [300, 400, 500]
    ours = np.mean([psnr(derain(s, a, method=method), truth(sc, a)) for a in ats])
    base = np.mean([psnr(tfp(s, a, 41), truth(sc, a)) for a in ats])
    assert ours >= base + gain, (ours, base)


def test_rain_mask_precision_recall():
    """The mask flags the pixels whose block count rain shifts by 6 spikes or more (recall) and nothing far
    from rain (precision), judged over the 40 frames of the block that holds the frame."""
    s, sc = rain_case("bright")
    hit = strong = flagged = near = 0
    for a in (300, 400, 500):
        ticks = range(a - 20, a + 20)
        shift = np.mean([np.abs(sc.rate(float(t)) - truth(sc, t)) for t in ticks], axis=0) * 40
        covered = np.max([sc.rain_coverage(float(t)) for t in ticks], axis=0) > 0
        m = rain_mask(s, a)
        strong += (shift >= 6).sum()
        hit += (m & (shift >= 6)).sum()
        flagged += m.sum()
        near += (m & covered).sum()
    assert strong > 10 and hit / strong > 0.5
    assert flagged > 0 and near / flagged > 0.9


def test_sequence_equals_single_frames():
    s, _ = drop_spikes()
    for method in ("temporal", "rpca"):
        seq = derain_sequence(s, step=40, start=0, method=method)
        assert seq.shape == (12, 12, 16)
        for i, t in enumerate(range(0, 480, 40)):
            np.testing.assert_array_equal(seq[i], derain(s, t, method=method))
    # a step that is not a multiple of the block: each image on its own, same result
    items = list(iter_derain(s, step=30, start=15, method="temporal", with_mask=True))
    assert [t for t, *_ in items] == list(range(15, 480, 30))
    for t, img, mask in items:
        np.testing.assert_array_equal(img, derain(s, t, method="temporal"))
        np.testing.assert_array_equal(mask, rain_mask(s, t))


def test_stream_input_equals_array(tmp_path):
    from spikevision.io import dat, open_stream
    from spikevision.stream import from_array

    s, _ = drop_spikes()
    path = tmp_path / "rain.dat"
    dat.write(path, from_array(s))
    stream = open_stream(path)
    np.testing.assert_array_equal(derain(stream, 240, method="temporal"), derain(s, 240, method="temporal"))


def test_bad_input_errors():
    s, _ = drop_spikes()
    with pytest.raises(ValueError, match="unknown deraining method"):
        derain(s, 100, method="median")
    with pytest.raises(ValueError, match="unknown option"):
        derain(s, 100, window=5)
    with pytest.raises(ValueError, match="block must be"):
        derain(s, 100, block=0)
    with pytest.raises(IndexError, match="outside"):
        derain(s, 10_000)
    with pytest.raises(FormatError, match="only 30"):
        derain(s[:30], 10, method="temporal")
    with pytest.raises(ValueError, match="shape"):
        derain(s[0], 0)
    with pytest.raises(FormatError, match="even height and width"):
        derain(s[:, :11], 100, color="bggr")


def test_torch_input_returns_tensor():
    torch = pytest.importorskip("torch")
    s, _ = drop_spikes()
    got = derain(torch.from_numpy(s), 240, method="temporal")
    assert isinstance(got, torch.Tensor)
    np.testing.assert_array_equal(got.numpy(), derain(s, 240, method="temporal"))


def test_short_recording_sequence():
    """A recording shorter than a window still gives every image (one-sided windows), equal to derain()."""
    s = (np.random.default_rng(0).random((300, 8, 8)) < 0.3).astype(np.uint8)
    seq = derain_sequence(s, step=40, method="temporal")
    assert seq.shape == (8, 8, 8)
    for i, t in enumerate(range(0, 300, 40)):
        np.testing.assert_array_equal(seq[i], derain(s, t, method="temporal"))
