import numpy as np
import pytest

import spikevision as sv
from spikevision.recon import tfp

from ._spikes import integrate_and_fire, random_spikes, train


def slow_tfp(spikes, at, window, rate=1.0):
    """Obvious per-pixel loop: spikevision convention."""
    t_len, h, w = spikes.shape
    a = at - window // 2
    out = np.zeros((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            frames = [f for f in range(a, a + window) if 0 <= f < t_len]
            c = sum(int(spikes[f, y, x]) for f in frames)
            out[y, x] = min(c / (len(frames) * rate), 1.0)   # exact rational value, rounded once
    return out


def test_constant_rate_recovered():
    s = integrate_and_fire(np.full((3, 4), 0.25), 200)
    img = tfp(s, at=100, window=40)
    assert img.dtype == np.float32 and img.shape == (3, 4)
    np.testing.assert_allclose(img, 0.25)


@pytest.mark.parametrize("window", [1, 2, 7, 41, 64])
@pytest.mark.parametrize("at", [0, 3, 30, 59])
def test_matches_slow_reference(window, at):
    s = random_spikes(1, 60, 5, 6)
    ref = slow_tfp(s, at, window)
    img = tfp(s, at, window)
    np.testing.assert_allclose(img, ref, rtol=2.0**-23, atol=0)   # within one float32 rounding step
    assert (img[ref == 1.0] == 1.0).all()                        # full rate is exactly white


def test_full_rate_is_exactly_one():
    for window in range(1, 256):   # every window size: a pixel firing every tick is exactly white
        s = np.ones((window, 1, 2), np.uint8)
        assert (tfp(s, window // 2, window) == 1.0).all(), window
    half = (np.arange(40) % 2 == 0).astype(np.uint8)[:, None, None]   # every other tick at rate=0.5
    assert tfp(half, 20, 40, rate=0.5)[0, 0] == 1.0


def test_window_clipped_at_edges():
    s = train(10, [0, 1, 9])
    # frames [-2, 3) clipped to [0, 3): 2 spikes in 3 frames
    assert tfp(s, at=0, window=5)[0, 0] == np.float32(2) * np.float32(1 / 3)


def test_rate_and_clip():
    s = train(8, range(8))
    assert tfp(s, at=4, window=5, rate=0.5)[0, 0] == 1.0
    s = train(8, [2, 4, 6])
    assert tfp(s, at=4, window=5, rate=0.6)[0, 0] == np.float32(3) * np.float32(1 / (5 * 0.6))


def test_spikezoo_convention():
    s = train(41, [0, 10, 20, 30, 40])
    # mean over frames [0, 40] (h = 20) = 5/41, divided by rate 0.6
    v = tfp(s, at=20, window=41, convention="spikezoo", rate=0.6)[0, 0]
    assert v == np.float32(np.float32(5) / np.float32(41)) / np.float32(0.6)
    assert tfp(train(41, range(41)), at=20, window=41, convention="spikezoo", rate=0.6)[0, 0] == 1.0
    with pytest.raises(ValueError, match="spikezoo"):
        tfp(s, at=5, window=41, convention="spikezoo")


def test_spikecv_convention():
    s = train(41, [0, 10, 20, 30, 40])
    # uint8(5/41 * 255) = uint8(31.09...) = 31
    v = tfp(s, at=20, window=41, convention="spikecv")[0, 0]
    assert round(float(v) * 255) == 31
    # SpikeCV allows at + h == T: then 2h frames are averaged
    s = train(40, [0, 39])
    v = tfp(s, at=20, window=41, convention="spikecv")[0, 0]
    assert round(float(v) * 255) == int(np.float32(2 / 40) * np.float32(255))
    with pytest.raises(ValueError, match="spikecv"):
        tfp(s, at=21, window=41, convention="spikecv")


def test_stream_input_equals_array(tmp_path):
    s = random_spikes(2, 50, 4, 8)
    stream = sv.from_array(s)
    np.testing.assert_array_equal(tfp(stream, 25), tfp(s, 25))
    np.testing.assert_array_equal(tfp(s.astype(bool), 25), tfp(s, 25))


@pytest.mark.parametrize("bad", [dict(window=0), dict(window=256), dict(rate=0), dict(convention="x"), dict(at=50)])
def test_bad_arguments(bad):
    s = random_spikes(3, 50, 2, 2)
    kw = dict(at=10) | bad
    with pytest.raises((ValueError, IndexError)):
        tfp(s, **kw)


def test_bad_shape():
    with pytest.raises(ValueError, match="T, H, W"):
        tfp(np.zeros((4, 4)), at=0)
