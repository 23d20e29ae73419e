"""Spike-level metrics against slow obvious references."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.errors import FormatError
from spikevision.metrics import isi_error, rate_map_error, spike_precision_recall


def _slow_match(a, b, k):
    m = 0
    for j in range(a.shape[1]):
        ta, tb = list(np.flatnonzero(a[:, j])), list(np.flatnonzero(b[:, j]))
        used = set()
        for x in ta:   # greedy: earliest unused reference spike within k
            for y in tb:
                if y not in used and abs(x - y) <= k:
                    used.add(y)
                    m += 1
                    break
    return m


@pytest.mark.parametrize("k", [0, 1, 3])
def test_precision_recall_matches_reference(rng, k):
    a = (rng.random((80, 3, 5)) < 0.2).astype(np.uint8)
    b = (rng.random((80, 3, 5)) < 0.25).astype(np.uint8)
    r = spike_precision_recall(a, b, k)
    m = _slow_match(a.reshape(80, -1), b.reshape(80, -1), k)
    assert r["matched"] == m and r["precision"] == m / a.sum() and r["recall"] == m / b.sum()


def test_identical_and_shifted(rng):
    a = (rng.random((100, 4, 4)) < 0.1).astype(np.uint8)
    assert spike_precision_recall(sv.from_array(a), a)["f1"] == 1.0
    shifted = np.roll(a, 2, axis=0)
    assert spike_precision_recall(shifted, a, k=1)["recall"] < 0.4   # chance coincidences only
    assert spike_precision_recall(shifted[2:], a[:-2], k=2)["f1"] == 1.0


def test_isi_and_rate_errors():
    ref = np.zeros((100, 1, 2), np.uint8)
    ref[::10, 0, 0] = 1
    ref[::5, 0, 1] = 1
    out = np.zeros_like(ref)
    out[::8, 0, 0] = 1
    out[::5, 0, 1] = 1
    e = isi_error(out, ref)
    assert e["pixels"] == 2 and e["mean_abs"] == pytest.approx(1.0) and e["median_rel"] == pytest.approx(0.1)
    r = rate_map_error(out, ref)
    assert r["bias"] == pytest.approx((13 - 10) / 100 / 2) and r["mae"] == pytest.approx(0.015)
    m = rate_map_error(out, ref, mask=np.array([[False, True]]))
    assert m["rmse"] == 0 and m["pixels"] == 1


def test_bad_input():
    with pytest.raises(FormatError, match="differ in shape"):
        rate_map_error(np.zeros((5, 2, 2)), np.zeros((6, 2, 2)))
    with pytest.raises(FormatError, match="mask"):
        isi_error(np.zeros((5, 2, 2)), np.zeros((5, 2, 2)), mask=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="k must be"):
        spike_precision_recall(np.zeros((5, 2, 2)), np.zeros((5, 2, 2)), k=-1)
