import numpy as np

from spikevision.recon import dsft, last_next

from ._spikes import random_spikes, train


def slow_dsft(spikes):
    t_len, h, w = spikes.shape
    out = np.zeros(spikes.shape, np.int32)
    for y in range(h):
        for x in range(w):
            times = [t for t in range(t_len) if spikes[t, y, x]]
            for t in range(t_len):
                last = [s for s in times if s <= t]
                nxt = [s for s in times if s > t]
                if last and nxt:
                    out[t, y, x] = nxt[0] - last[-1]
    return out


def test_pinned():
    assert dsft(train(8, [1, 4, 6]))[:, 0, 0].tolist() == [0, 3, 3, 3, 2, 2, 0, 0]
    assert dsft(train(4, [1, 2]), fill=-1)[:, 0, 0].tolist() == [-1, 1, -1, -1]


def test_matches_slow():
    s = random_spikes(9, 40, 3, 5, p=0.2)
    np.testing.assert_array_equal(dsft(s), slow_dsft(s))
    last, nxt = last_next(s)
    assert last.dtype == np.int32 and (last <= np.arange(40)[:, None, None]).all()
