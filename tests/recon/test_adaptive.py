import numpy as np
import pytest

from spikevision.recon import adaptive, tfp

from ._spikes import integrate_and_fire, random_spikes, train


def slow_adaptive(spikes, at, span, intervals, tol, tol_rel, rate=1.0):
    """Per-pixel transcription of the method as documented (growth to the more central side)."""
    t_len, h, w = spikes.shape
    lo, hi = max(0, at - span), min(t_len - 1, at + span)
    out = np.zeros((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            back = [f for f in range(at, lo - 1, -1) if spikes[f, y, x]][:intervals]
            fwd = [f for f in range(at + 1, hi + 1) if spikes[f, y, x]][:intervals]
            if not back or not fwd:
                last = back[0] if back else lo - 1
                nxt = fwd[0] if fwd else hi + 1
                out[y, x] = np.float32(min(1.0, 1.0 / ((nxt - last) * rate)))
                continue
            times = back[::-1] + fwd
            left, right = len(back) - 1, len(back)
            while True:
                m, span_t = right - left, times[right] - times[left]
                limit = tol * m + tol_rel * span_t     # |ISI - mean| <= tol + tol_rel * mean, times m
                good_l = left > 0 and abs((times[left] - times[left - 1]) * m - span_t) <= limit
                good_r = right < len(times) - 1 and abs((times[right + 1] - times[right]) * m - span_t) <= limit
                if good_l and good_r:
                    cl = abs(times[left - 1] + times[right] - 2 * at)
                    cr = abs(times[left] + times[right + 1] - 2 * at)
                    good_l, good_r = cl <= cr, cl > cr
                if good_l:
                    left -= 1
                elif good_r:
                    right += 1
                else:
                    break
            out[y, x] = np.float32(min(1.0, (right - left) / ((times[right] - times[left]) * rate)))
    return out


@pytest.mark.parametrize("at", [0, 10, 37, 79])
def test_matches_slow_reference(at):
    s = random_spikes(11, 80, 4, 5, p=0.25)
    kw = dict(span=24, intervals=5, tol=1.0, tol_rel=0.1)
    np.testing.assert_array_equal(adaptive(s, at, **kw, rate=0.9), slow_adaptive(s, at, **kw, rate=0.9))


def test_if_pixels_static_scene():
    rates = np.linspace(0.03, 0.9, 24).reshape(4, 6)
    s = integrate_and_fire(rates, 300, start=np.random.default_rng(0).random((4, 6)))
    img = adaptive(s, at=150, span=64, intervals=16)
    # spike-anchored windows: relative error ~ 1 / span, far below TFP's 1 / window absolute
    assert np.abs(img - rates).max() < 0.02
    assert np.abs(img - rates).mean() < 0.6 * np.abs(tfp(s, 150, 41) - rates).mean()
    assert np.abs(adaptive(s, at=150) - rates).mean() < np.abs(tfp(s, 150, 41) - rates).mean()


def test_step_change_keeps_edges_sharp():
    # rate 0.5 until tick 100, then 0.1: at tick 95 the estimate must stay near 0.5, at 110 near 0.1
    s = integrate_and_fire(lambda t: np.full((1, 1), 0.5 if t < 100 else 0.1), 200)
    assert abs(float(adaptive(s, at=95)[0, 0]) - 0.5) < 0.05
    assert abs(float(adaptive(s, at=115)[0, 0]) - 0.1) < 0.02
    assert abs(float(tfp(s, 95, 41)[0, 0]) - 0.5) > 0.1   # TFP mixes both sides


def test_dark_pixel_falls_back_to_bound():
    s = train(100, [])
    assert adaptive(s, at=50, span=20)[0, 0] == np.float32(1 / 42)


def test_bad_parameters():
    s = train(10, [1])
    with pytest.raises(ValueError, match="span"):
        adaptive(s, at=3, span=0)
    with pytest.raises(ValueError, match="tol"):
        adaptive(s, at=3, tol=-1)


def test_convention_option():
    s = train(60, [10, 20, 30])
    assert adaptive(s, 25, convention="spikevision") == adaptive(s, 25)
    with pytest.raises(ValueError, match="convention"):
        adaptive(s, 25, convention="spikecv")
