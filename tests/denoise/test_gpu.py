"""The CuPy re-emission kernel against the NumPy reference (runs where a GPU is lent)."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision import _bits
from spikevision.backend import cupy_available
from spikevision.denoise import StreamingDenoiser
from spikevision.errors import BackendUnavailable
from tests.denoise.test_kernels import _cal, _stream

gpu = pytest.mark.skipif(not cupy_available(), reason="needs CuPy with a CUDA GPU")


def test_cuda_module_imports_without_a_gpu():
    from spikevision.denoise import _cuda

    assert "reemit" in _cuda.CUDA_SOURCE
    if not cupy_available():
        with pytest.raises(BackendUnavailable, match="engine='numba'"):
            StreamingDenoiser(4, 8, method="temporal", engine="cupy")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("method,params", [("fpn", {}), ("temporal", {}), ("temporal", {"history": 1, "lock": 0}),
                                           ("hot", {})])
def test_cupy_matches_reference(rng, method, params):
    import cupy as cp

    h, w = 11, 17
    s = _stream(rng, 240, h, w)
    cal = _cal(rng, h, w)
    a = StreamingDenoiser(h, w, calibration=cal, method=method, engine="reference", **params)
    b = StreamingDenoiser(h, w, calibration=cal, method=method, engine="cupy", **params)
    pk = _bits.pack_frames(s)
    for lo, hi in ((0, 17), (17, 100), (100, 240)):
        ref = a.push_packed(pk[lo:hi])
        np.testing.assert_array_equal(b.push_packed(pk[lo:hi]), ref)
    c = StreamingDenoiser(h, w, calibration=cal, method=method, engine="cupy", **params)
    out = c.push_packed(cp.asarray(pk))      # device in, device out
    assert isinstance(out, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(out)[100:], ref)
    sa, sb = a.canonical_state(), b.canonical_state()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
