import numpy as np
import pytest

from spikevision.recon import tfi

from ._spikes import integrate_and_fire, random_spikes, train


def slow_spikevision(spikes, at, window, rate=1.0):
    t_len, h, w = spikes.shape
    hw = window // 2
    lo, hi = max(0, at - hw), min(t_len - 1, at + hw)
    out = np.zeros((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            last = next((f for f in range(at, lo - 1, -1) if spikes[f, y, x]), lo - 1)
            nxt = next((f for f in range(at + 1, hi + 1) if spikes[f, y, x]), hi + 1)
            out[y, x] = np.float32(min(1.0, 1.0 / ((nxt - last) * rate)))
    return out


def slow_spikezoo(spikes, key_ts, window):
    """Spike-Zoo's TFIModel.forward, written out per pixel (search stops at the last frame)."""
    t_len, h, w = spikes.shape
    half = window // 2
    out = np.zeros((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            former = latter = 0
            for ii in range(key_ts, max(key_ts - half + 1, 1) - 1, -1):
                if former == 0 and spikes[ii, y, x]:
                    former = ii
            for ii in range(key_ts + 1, min(key_ts + half, t_len - 1) + 1):
                if latter == 0 and spikes[ii, y, x]:
                    latter = ii
            interval = latter - former
            if interval == 0 or latter == 0 or former == 0:
                interval = 2 * half
            out[y, x] = np.float32(1) / np.float32(interval)
    return out


def slow_spikecv(spikes, t):
    """SpikeCV's TFI.spikes2images (cur_idx / pre_idx propagation), one frame."""
    t_len, h, w = spikes.shape
    cur = -np.ones((t_len, h, w))
    pre = -np.ones((t_len, h, w))
    for ii in range(t_len):
        if ii > 0:
            pre[ii] = cur[ii - 1]
            cur[ii] = cur[ii - 1]
        cur[ii][spikes[ii] == 1] = ii
    diff = cur - pre
    interval = -np.ones((t_len, h, w))
    for ii in range(t_len - 1, -1, -1):
        interval[ii][diff[ii] != 0] = diff[ii][diff[ii] != 0]
        if ii < t_len - 1:
            interval[ii][diff[ii] == 0] = interval[ii + 1][diff[ii] == 0]
    interval[interval == -1] = 257
    interval[pre == -1] = 257
    return (np.float32(255) / interval[t].astype(np.float32)).astype(np.uint8)


def test_constant_rate():
    s = integrate_and_fire(np.full((2, 3), 0.25), 100)
    np.testing.assert_array_equal(tfi(s, at=50), np.full((2, 3), 0.25, np.float32))


def test_hand_built_spikevision():
    s = train(30, [5, 9])
    assert tfi(s, at=5)[0, 0] == np.float32(0.25)       # L = 5 (at or before), N = 9
    assert tfi(s, at=8)[0, 0] == np.float32(0.25)
    assert tfi(s, at=9, window=9)[0, 0] == np.float32(1 / 5)   # L = 9, no N in (9, 13]: bound 14
    # no spike at all in [at-h, at+h]: bounds one beyond each side -> 2h + 2
    assert tfi(train(60, []), at=30, window=41)[0, 0] == np.float32(1 / 42)
    # data edges bound the search too: at=0, h=20 -> L bound -1, N = 3
    assert tfi(train(60, [3]), at=0)[0, 0] == np.float32(1 / 4)


@pytest.mark.parametrize("window", [1, 3, 8, 41])
@pytest.mark.parametrize("at", [0, 1, 17, 39])
def test_spikevision_matches_slow(window, at):
    s = random_spikes(4, 40, 5, 4, p=0.15)
    np.testing.assert_array_equal(tfi(s, at, window, rate=0.7), slow_spikevision(s, at, window, rate=0.7))


def test_spikezoo_pinned():
    s = train(41, [0, 12, 19, 25])
    # former in [1, 20] -> 19, latter in [21, 40] -> 25
    assert tfi(s, at=20, window=41, convention="spikezoo")[0, 0] == np.float32(1 / 6)
    # a spike at frame 0 is "missing" in Spike-Zoo: 2h
    s = train(41, [0, 30])
    assert tfi(s, at=5, window=41, convention="spikezoo")[0, 0] == np.float32(1 / 40)
    # latter beyond at + h -> missing -> 2h
    s = train(61, [10, 45])
    assert tfi(s, at=20, window=41, convention="spikezoo")[0, 0] == np.float32(1 / 40)


@pytest.mark.parametrize("at", [1, 5, 20, 35, 39])
def test_spikezoo_matches_slow(at):
    s = random_spikes(5, 40, 4, 5, p=0.1)
    np.testing.assert_array_equal(tfi(s, at, 21, convention="spikezoo"), slow_spikezoo(s, at, 21))


def test_spikecv_pinned():
    s = train(30, [4, 7, 20])
    u8 = lambda v: round(float(v) * 255)  # noqa: E731
    assert u8(tfi(s, at=7, convention="spikecv")[0, 0]) == 255 // 3    # L < 7 -> 4, N >= 7 -> 7
    assert u8(tfi(s, at=8, convention="spikecv")[0, 0]) == 255 // 13   # L = 7, N = 20
    assert u8(tfi(s, at=4, convention="spikecv")[0, 0]) == 0           # nothing before 4
    assert u8(tfi(s, at=25, convention="spikecv")[0, 0]) == 0          # nothing after 20


@pytest.mark.parametrize("at", [0, 3, 22, 49])
def test_spikecv_matches_slow(at):
    s = random_spikes(6, 50, 3, 4, p=0.1)
    got = np.round(tfi(s, at, convention="spikecv") * 255).astype(np.uint8)
    np.testing.assert_array_equal(got, slow_spikecv(s, at))


def test_window_limit():
    with pytest.raises(ValueError, match="window"):
        tfi(train(10, [1]), at=3, window=254)
