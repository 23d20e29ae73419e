"""Compiled kernels against the NumPy reference, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision import _bits
from spikevision.denoise import Calibration, StreamingDenoiser, _kernels, _reference
from tests.denoise._sensor import if_train


def _stream(rng, t=300, h=12, w=20):
    """IF trains at random rates whose light changes halfway (an edge), plus random extra spikes."""
    r0 = rng.uniform(0.02, 0.6, (h, w))
    r1 = np.where(rng.random((h, w)) < 0.5, r0, rng.uniform(0.02, 0.6, (h, w)))
    a = if_train(r0, t // 2, rng.random((h, w)))
    b = if_train(r1, t - t // 2, rng.random((h, w)))
    s = np.concatenate([a, b])
    s |= (rng.random(s.shape) < 0.01).astype(np.uint8)
    return s


def _cal(rng, h, w, bad=True):
    c = Calibration(dark_rate=rng.uniform(0, 0.01, (h, w)), gain=rng.uniform(0.8, 1.2, (h, w)),
                    hot=np.zeros((h, w), bool), dead=np.zeros((h, w), bool), dark_rate_std=np.zeros((h, w)),
                    gain_std=np.zeros((h, w)), height=h, width=w)
    if bad:
        c.hot[2, 3] = c.hot[5, 5] = True
        c.dead[0, 0] = True
    return c


@pytest.mark.parametrize("kernel", ["accumulate", "accumulate_sparse", "accumulate_auto"])
def test_accumulate_matches_reference(rng, kernel):
    s = _stream(rng, 200, 9, 13)
    p = _bits.frame_nbytes(9, 13) * 8
    ref = [np.zeros(p, np.int64), np.zeros(p, np.int64), np.zeros(p, np.int64), np.zeros(p, np.float64)]
    got = [a.copy() for a in ref]
    flat = np.zeros((len(s), p), np.uint8)
    flat[:, : 9 * 13] = s.reshape(len(s), -1)
    for a, b in ((0, 70), (70, 71), (71, 200)):
        _reference.accumulate(flat[a:b], a, *ref)
        getattr(_kernels, kernel)(_bits.pack_frames(s[a:b]), a, *got)
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(r, g)
    assert ref[0][: 9 * 13].sum() == s.sum()


def test_dense_accumulate_across_calls_and_splits(rng, monkeypatch):
    """Intervals that span calls and the kernel's own call splits (DENSE_CALL), pixels silent for whole calls,
    and dense input: the multiply-free sums equal the reference's squared intervals exactly."""
    h, w = 8, 24
    s = (rng.random((700, h, w)) < rng.uniform(0.0, 0.9, (1, h, w))).astype(np.uint8)
    s[:, 0, :4] = 0
    s[[5, 650], 0, 0] = 1                      # one interval of 645 ticks over several calls
    s[300, 0, 1] = 1                            # a single spike
    p = _bits.frame_nbytes(h, w) * 8
    flat = s.reshape(len(s), -1)
    ref = [np.zeros(p, np.int64), np.zeros(p, np.int64), np.zeros(p, np.int64), np.zeros(p, np.float64)]
    got = [a.copy() for a in ref]
    monkeypatch.setattr(_kernels, "DENSE_CALL", 97)
    monkeypatch.setattr(_kernels, "DENSE_BYTES", -1.0)   # always the dense kernel
    for a, b in ((0, 1), (1, 260), (260, 700)):
        _reference.accumulate(flat[a:b], a, *ref)
        _kernels.accumulate_auto(_bits.pack_frames(s[a:b]), a, *got)
    for r, g in zip(ref, got):
        np.testing.assert_array_equal(r, g)
    assert got[3][0] == 645.0 ** 2 and got[0][1] == 1 and got[3][1] == 0


@pytest.mark.parametrize("method,params", [("fpn", {}), ("temporal", {}), ("temporal", {"history": 1, "lock": 0}),
                                           ("temporal", {"history": 3, "lock": 1, "gate": 0.2}),
                                           ("hot", {})])
@pytest.mark.parametrize("calibrated", [True, False])
def test_reemit_matches_reference(rng, method, params, calibrated):
    h, w = 11, 17   # H*W not a multiple of 8: padding pixels
    s = _stream(rng, 240, h, w)
    cal = _cal(rng, h, w) if calibrated else None
    if cal is None and method in ("fpn", "hot"):
        cal = Calibration.identity(h, w)
    a = StreamingDenoiser(h, w, calibration=cal, method=method, engine="reference", **params)
    b = StreamingDenoiser(h, w, calibration=cal, method=method, engine="numba", **params)
    pk = _bits.pack_frames(s)
    for lo, hi in ((0, 17), (17, 100), (100, 240)):
        np.testing.assert_array_equal(a.push_packed(pk[lo:hi]), b.push_packed(pk[lo:hi]))
    sa, sb = a.canonical_state(), b.canonical_state()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
