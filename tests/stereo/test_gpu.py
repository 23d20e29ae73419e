"""The CuPy kernels equal the NumPy reference bit for bit (run where a GPU is lent)."""

import numpy as np
import pytest

import spikevision.stereo as st
from spikevision.stereo import _cuda
from spikevision.stereo._kernels import log2_table
from spikevision.stereo._reference import interval_features_ref
from spikevision.stereo.spike import SpikeParams, match_reference

from ._pairs import random_pair, shifted_texture_pair


def test_module_imports_without_a_gpu():
    assert "sgm_path" in _cuda._SOURCE and _cuda.MAX_GPU_DISPARITIES == 1024



@pytest.mark.gpu
@pytest.mark.parametrize("params", [{}, dict(radius=1, smooth=0, p1=3, p2=20), dict(radius=3, smooth=2, ad_shift=0)])
def test_cupy_matcher_equals_reference(cp, params):
    left, right = random_pair(t=80, h=20, w=40)
    p = SpikeParams.of(params)
    lut = log2_table(p.window)
    ql = interval_features_ref(left, p.window, p.intervals, lut)
    qr = interval_features_ref(right, p.window, p.intervals, lut)
    got = _cuda.match_cupy(cp.asarray(ql), cp.asarray(qr), 12, p)
    for g, r in zip(got, match_reference(ql, qr, 12, p)):
        np.testing.assert_array_equal(cp.asnumpy(g), r)


@pytest.mark.gpu
def test_cupy_disparity_equals_cpu(cp):
    left, right = shifted_texture_pair(4, frames=150)
    l_np, r_np = left.unpack(), right.unpack()
    d, c = st.disparity(cp.asarray(l_np), cp.asarray(r_np), 149, max_disparity=12, return_confidence=True)
    assert isinstance(d, cp.ndarray)
    d2, c2 = st.disparity(l_np, r_np, 149, max_disparity=12, return_confidence=True)
    np.testing.assert_array_equal(cp.asnumpy(d), d2)
    np.testing.assert_array_equal(cp.asnumpy(c), c2)
