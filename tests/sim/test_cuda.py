"""The CuPy (CUDA) twin of the kernels: bit-exact with numba on a GPU; its source checked on the CPU too."""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from spikevision.backend import cupy_available
from spikevision.errors import BackendUnavailable
from spikevision.sim import NoiseModel, Simulator
from spikevision.sim._cuda import CUDA_SOURCE
from spikevision.sim._rng import PAIR_SCALE
from spikevision.sim.engine import Engine


@pytest.mark.gpu
@pytest.mark.skipif(not cupy_available(), reason="needs CuPy with a CUDA GPU")
@pytest.mark.parametrize("noise", [None, NoiseModel(), NoiseModel.only("jitter", "dead_time")])
@pytest.mark.parametrize("reset", ["subtract", "zero"])
def test_cupy_equals_numba(noise, reset):
    arr = (np.random.default_rng(0).random((7, 13, 21)) * 3).astype(np.float32)
    outs = []
    for backend in ("numba", "cupy"):
        sim = Simulator(arr, input_fps=20000 / 13.5, n_frames=150, noise=noise, backend=backend, seed=7,
                        reset=reset, max_keyframes=3)
        outs.append((np.concatenate([b.copy() for b in sim.blocks(41)]), sim.engine.residual()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


@pytest.mark.skipif(cupy_available(), reason="checks the message shown when no GPU is there")
def test_cupy_backend_without_gpu_names_the_fix():
    with pytest.raises(BackendUnavailable, match="numba"):
        Engine(4, 8, backend="cupy")


_SHIM = r"""
#include <math.h>
#define __device__
#define __forceinline__ static inline
#define __global__
struct dim { long long x; };
static struct dim blockIdx, threadIdx, blockDim;
static inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }
static inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
static inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
static inline float __fsqrt_rn(float a) { return sqrtf(a); }
"""

_DRIVER = r"""
void run_all(float* acc, unsigned char* last, const float* charges, const long long* k0, const long long* k1,
    const float* w, const float* dark, const float* thr, const float* jit, long long n, long long npix,
    long long nbytes, u64 tick0, u64 seed, float shot_scale, float dead_factor, float full_well, float pair_scale,
    int zero_reset, int use_shot, int use_jitter, int use_dead, unsigned char* out) {
  blockDim.x = 1;
  for (long long b = 0; b < nbytes; ++b) {
    blockIdx.x = b; threadIdx.x = 0;
    if_run(acc, last, charges, k0, k1, w, dark, thr, jit, n, npix, nbytes, tick0, seed, shot_scale, dead_factor,
           full_well, pair_scale, zero_reset, use_shot, use_jitter, use_dead, out);
  }
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to run the CUDA source as C")
@pytest.mark.parametrize("noise", [None, NoiseModel()])
def test_cuda_source_run_as_c_equals_numba(tmp_path, noise):
    """The kernel source, compiled as plain C (one 'thread' at a time), reproduces the numba kernels."""
    (tmp_path / "k.c").write_text(_SHIM + CUDA_SOURCE.replace('extern "C"', "") + _DRIVER)
    subprocess.run(["gcc", "-O1", "-ffp-contract=off", "-fPIC", "-shared", "-o", str(tmp_path / "k.so"),
                    str(tmp_path / "k.c"), "-lm"], check=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))
    h, w = 13, 21
    npix = h * w
    e = Engine(h, w, noise=noise, seed=9)
    rng = np.random.default_rng(0)
    charges = np.stack([e.charge(f) for f in (rng.random((3, h, w)) * 3).astype(np.float32)])
    n = 70
    k0 = rng.integers(0, 2, n).astype(np.int64)
    k1 = k0 + 1
    wt = rng.random(n).astype(np.float32)
    acc = e.residual().reshape(-1).copy()
    last = np.zeros(npix, np.uint8)
    fp = e.pattern
    dark = fp.dark.reshape(-1).copy() if fp else np.zeros(npix, np.float32)
    thr = fp.threshold.reshape(-1).copy() if fp else np.full(npix, 2.0, np.float32)
    jit = fp.jitter.reshape(-1).copy() if fp else np.zeros(npix, np.float32)
    out = np.zeros((n, e.nbytes), np.uint8)
    p = lambda a: a.ctypes.data_as(ctypes.c_void_p)  # noqa: E731
    on = noise is not None
    lib.run_all(p(acc), p(last), p(charges), p(k0), p(k1), p(wt), p(dark), p(thr), p(jit), ctypes.c_longlong(n),
                ctypes.c_longlong(npix), ctypes.c_longlong(e.nbytes), ctypes.c_ulonglong(5), ctypes.c_ulonglong(9),
                ctypes.c_float(fp.shot_scale if on else 0.0), ctypes.c_float(0.998 if on else 1.0),
                ctypes.c_float(4.0), ctypes.c_float(PAIR_SCALE), ctypes.c_int(0), ctypes.c_int(on), ctypes.c_int(on),
                ctypes.c_int(on), p(out))
    e.tick = 5
    ref = np.zeros_like(out)
    e.run(e.planes(charges), k0, k1, wt, ref)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(acc.reshape(h, w), e.residual())
    assert 0.1 < np.unpackbits(out).mean() < 0.9
