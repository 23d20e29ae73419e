"""The numba combination kernel equals its NumPy reference bit for bit; window geometry."""

import numpy as np
import pytest

from spikevision.derain._blocks import window_blocks
from spikevision.derain._kernels import MAX_COUNT, combine, combine_counts, combine_reference, sorting_network


@pytest.mark.parametrize("n", [3, 4, 8, 13])
@pytest.mark.parametrize("center", [0, 2, -1])
def test_combine_equals_reference(rng, n, center):
    counts = rng.integers(0, 41, size=(n, 1500)).astype(np.float32)   # several chunks of pixels
    counts[:, :50] = 7  # ties everywhere
    counts[n // 2, 50:100] = 40  # outliers
    warped = counts + rng.random(counts.shape).astype(np.float32)  # non-integer (aligned) values
    for v, integer in ((counts, True), (counts, False), (warped, False)):
        got, mask = combine(v, center, 3.0, 1.5, 0.05, integer=integer)
        ref, rmask = combine_reference(v, center, 3.0, 1.5, 0.05)
        np.testing.assert_array_equal(got, ref)
        np.testing.assert_array_equal(mask, rmask)


def test_combine_trims_outliers():
    v = np.full((8, 3), 10.0, np.float32)
    v[3, 0] = 40.0    # a bright drop in one block
    v[3, 1] = 0.0     # a dark one (rain over a bright background)
    clean, rain = combine(v, 3)
    np.testing.assert_array_equal(clean, [10.0, 10.0, 10.0])
    assert rain.tolist() == [True, True, False]


def test_window_geometry():
    w = window_blocks(200, 1000, 40, 8)
    assert w.starts == tuple(180 + 40 * m for m in range(-4, 4)) and w.starts[w.center] == 180
    w = window_blocks(0, 1000, 40, 8)   # one-sided at the start
    assert w.starts[0] == 20 and w.center == 0
    w = window_blocks(999, 1000, 40, 8)
    assert w.starts[-1] + 40 <= 1000 and w.starts[w.center] == w.starts[-1]


@pytest.mark.parametrize("n", range(2, 17))
def test_sorting_network_sorts_every_01_input(n):
    """The 0/1 principle: a comparator network that sorts all 2**n 0/1 inputs sorts everything."""
    net = sorting_network(n)
    x = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).T.copy()   # (n, 2**n): every 0/1 column
    for a, b in net:
        x[a], x[b] = np.minimum(x[a], x[b]), np.maximum(x[a], x[b])
    assert (np.diff(x, axis=0) >= 0).all()
    if n == 8:
        assert len(net) == 19


def test_combine_rows_selects_blocks_without_copy(rng):
    ring = rng.integers(0, 41, size=(10, 700)).astype(np.float32)
    rows = [7, 2, 9, 0, 4]
    got = combine(ring, 1, integer=True, rows=rows)
    ref = combine_reference(ring[rows], 1)
    np.testing.assert_array_equal(got[0], ref[0])
    np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.parametrize("n", [3, 4, 8, 13, 64])
@pytest.mark.parametrize("center", [0, 2, -1])
@pytest.mark.parametrize("top", [40, 300, MAX_COUNT])
def test_combine_counts_equals_reference(rng, n, center, top):
    """The int16 streaming kernel: the reference's image after scaling and clipping, and its mask, bit for bit,
    over ties, outliers, counts up to MAX_COUNT and tolerances that land on half-integers."""
    counts = rng.integers(0, top + 1, size=(n + 2, 1500)).astype(np.int16)
    counts[:, :50] = 7
    counts[n // 2, 50:100] = top
    counts[:, 100:200] = rng.integers(0, 3, size=(n + 2, 100))   # the floor decides
    rows = list(rng.permutation(n + 2)[:n])
    for k, floor, rel, scale in ((2.0, 1.5, 0.05, 1 / 40), (3.0, 0.5, 0.0, 1 / top), (1.0, 2.25, 0.125, 0.7)):
        out = np.empty(1500, np.float32)
        mask = np.empty(1500, bool)
        combine_counts(counts, rows, center, k, floor, rel, scale, out, mask)
        ref, rmask = combine_reference(counts[rows].astype(np.float64), center, k, floor, rel)
        np.testing.assert_array_equal(out, np.clip(ref * scale, 0, 1).astype(np.float32))
        np.testing.assert_array_equal(mask, rmask)


def test_combine_counts_threaded_split_is_the_same(rng, monkeypatch):
    from spikevision.derain import _kernels

    counts = rng.integers(0, 41, size=(8, 3001)).astype(np.int16)
    results = []
    for threshold in (1 << 40, 1):  # one piece, then split across threads
        monkeypatch.setattr(_kernels, "PARALLEL_PIXELS", threshold)
        out, mask = np.empty(3001, np.float32), np.empty(3001, bool)
        combine_counts(counts, range(8), 3, 2.0, 1.5, 0.05, 1 / 40, out, mask)
        results.append((out, mask))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


@pytest.mark.parametrize("n", [3, 8, 13])
@pytest.mark.parametrize("center", [0, 2, -1])
def test_combine_with_missing_values_equals_reference(rng, n, center):
    """Missing samples (outside their block's frame) are left out of median, MAD and mean, bit for bit as a
    NaN-aware reference; a pixel with every value missing gives 0 and no rain."""
    v = (rng.integers(0, 41, size=(n, 1500)) + rng.random((n, 1500))).astype(np.float32)
    valid = rng.random((n, 1500)) < 0.7
    valid[:, :20] = False                     # nothing valid
    valid[:, 20:40] = False
    valid[1, 20:40] = True                    # one valid value
    v[n // 2, 40:90] = 40.0                   # outliers
    got, mask = combine(v, center, 2.0, 1.5, 0.05, valid=valid)
    ref, rmask = combine_reference(v, center, 2.0, 1.5, 0.05, valid=valid)
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(mask, rmask)
    assert (got[:20] == 0).all() and not mask[:20].any()
    np.testing.assert_array_equal(got[20:40], v[1, 20:40].astype(np.float64))
    full, _ = combine(v, center, 2.0, 1.5, 0.05, valid=np.ones_like(valid))   # all valid: the plain kernel
    np.testing.assert_array_equal(full, combine(v, center, 2.0, 1.5, 0.05)[0])


def test_inside_marks_samples_from_outside_the_frame():
    from spikevision.derain._motion import inside

    flow = np.zeros((4, 6, 2), np.float32)
    flow[..., 0] = 2.0                        # sample 2 px to the right: the last 2 columns see outside
    assert inside(flow).tolist() == [[True] * 4 + [False] * 2] * 4
    flow[..., 0] = -0.4                       # within half a pixel of the border: kept
    assert inside(flow).all()
