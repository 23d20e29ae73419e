"""The CuPy unwrapping kernels and the cupyx DCT solve equal the NumPy references (needs a GPU)."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.hdr import poisson_dct, unwrap

pytestmark = pytest.mark.gpu



def _case(seed=0, S=60, H=33, W=41):
    rng = np.random.default_rng(seed)
    ticks = np.cumsum(rng.integers(1, 9, S))
    rate = rng.uniform(0, 40, (H, W)) * (1 + 0.5 * np.sin(np.arange(S) / 4))[:, None, None]
    inc = rng.poisson(rate * np.diff(ticks, prepend=0)[:, None, None])
    inc[0] = 0
    return (np.cumsum(inc, axis=0) % 256).astype(np.uint8), ticks


@pytest.mark.parametrize("method", ["temporal", "hierarchical", "best", "spatial"])
def test_cupy_unwrap_equals_numpy(cp, method):
    y, t = _case()
    ref = unwrap(y, t, 8, method=method, engine="numpy", window=20)
    got = unwrap(cp.asarray(y), t, 8, method=method, window=20)
    assert isinstance(got.counts, cp.ndarray) and got.counts.dtype == np.int64
    np.testing.assert_array_equal(got.counts.get(), ref.counts)
    np.testing.assert_array_equal(got.flags.get(), ref.flags)
    np.testing.assert_allclose(got.radiance(0, -1).get(), ref.radiance(0, -1), rtol=1e-6)


def test_cupyx_dct_poisson_equals_scipy(cp):
    rng = np.random.default_rng(1)
    gx, gy = rng.normal(size=(40, 50)), rng.normal(size=(40, 50))
    gx[:, -1] = 0
    gy[-1, :] = 0
    np.testing.assert_allclose(poisson_dct(cp.asarray(gx), cp.asarray(gy)).get(), poisson_dct(gx, gy), atol=1e-9)
