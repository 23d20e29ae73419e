"""CuPy twin of the integrate-and-fire kernels (a CUDA RawKernel), used when a GPU is there.

One thread per output byte (8 canonical pixels) runs all ticks of a call with
the pixels' state in registers. The arithmetic is the NumPy reference's
(:mod:`._reference`), written with round-to-nearest intrinsics (``__fadd_rn``,
``__fmul_rn``, ``__fsqrt_rn``) so the compiler cannot fuse multiply-adds, and
the random words are the same SplitMix64 counter hash (:mod:`._rng`): spikes
are bit-identical to the CPU kernels. CuPy is imported lazily (only through
:func:`spikevision.backend.cupy_available`).
"""

from __future__ import annotations

import functools

import numpy as np

from ..backend import cupy_available
from ..errors import BackendUnavailable
from ._rng import PAIR_SCALE

__all__ = ["CUDA_SOURCE", "kernel", "require_cupy"]

CUDA_SOURCE = r"""
typedef unsigned long long u64;

__device__ __forceinline__ u64 sm64(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

extern "C" __global__ void if_run(
    float* acc, unsigned char* last, const float* charges, const long long* k0, const long long* k1,
    const float* w, const float* dark, const float* thr, const float* jit,
    long long n, long long npix, long long nbytes, u64 tick0, u64 seed,
    float shot_scale, float dead_factor, float full_well, float pair_scale,
    int zero_reset, int use_shot, int use_jitter, int use_dead, unsigned char* out)
{
    long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= nbytes) return;
    const u64 gold = 0x9E3779B97F4A7C15ULL;
    float a[8], dk[8], th0[8], js[8];
    unsigned char ls[8];
    u64 kb[8];
    int m = 0;
    for (int i = 0; i < 8; ++i) {
        long long k = 8 * b + i;
        if (k < npix) {
            a[i] = acc[k]; dk[i] = dark[k]; th0[i] = thr[k]; js[i] = jit[k]; ls[i] = last[k];
            kb[i] = (u64)(k + 1) * gold;
            m = i + 1;
        }
    }
    const u64 sk = sm64(seed ^ (2ULL * gold));
    for (long long t = 0; t < n; ++t) {
        const u64 key = sm64(sk ^ sm64(tick0 + (u64)t + 1ULL));
        const float wt = w[t];
        const float* c0p = charges + k0[t] * npix;
        const float* c1p = charges + k1[t] * npix;
        unsigned int bits = 0;
        for (int i = 0; i < m; ++i) {
            long long k = 8 * b + i;
            float c0 = c0p[k], c1 = c1p[k];
            float mu = __fadd_rn(__fadd_rn(c0, __fmul_rn(wt, __fsub_rn(c1, c0))), dk[i]);
            float inc = mu;
            float z1 = 0.0f, z2 = 0.0f;
            if (use_shot || use_jitter) {
                u64 h = sm64(key ^ kb[i]);
                long long lo = (long long)((h & 0xFFFFULL) + ((h >> 16) & 0xFFFFULL));
                long long hi = (long long)(((h >> 32) & 0xFFFFULL) + (h >> 48));
                z1 = __fmul_rn((float)(lo - 65535), pair_scale);
                z2 = __fmul_rn((float)(hi - 65535), pair_scale);
            }
            if (use_shot) inc = fmaxf(__fadd_rn(mu, __fmul_rn(__fsqrt_rn(__fmul_rn(mu, shot_scale)), z1)), 0.0f);
            if (use_dead && ls[i]) inc = __fmul_rn(inc, dead_factor);
            float v = fminf(__fadd_rn(a[i], inc), full_well);
            float th = th0[i];
            if (use_jitter) th = __fadd_rn(th, __fmul_rn(js[i], z2));
            int s = v >= th;
            a[i] = s ? (zero_reset ? 0.0f : __fsub_rn(v, th)) : v;
            ls[i] = (unsigned char)s;
            bits |= (unsigned int)s << i;
        }
        out[t * nbytes + b] = (unsigned char)bits;
    }
    for (int i = 0; i < m; ++i) {
        long long k = 8 * b + i;
        acc[k] = a[i]; last[k] = ls[i];
    }
}
"""


def require_cupy():
    """The cupy module, or :class:`BackendUnavailable` naming the fix."""
    if not cupy_available():
        raise BackendUnavailable("backend='cupy' needs CuPy with a CUDA GPU; install spikevision[gpu] on a machine "
                                 "with an NVIDIA GPU, or use backend='numba'")
    import cupy

    return cupy


@functools.cache
def kernel():
    """The compiled ``if_run`` RawKernel (compiled once per process)."""
    cupy = require_cupy()
    return cupy.RawKernel(CUDA_SOURCE, "if_run")


def launch(acc, last, charges, k0, k1, w, dark, thr, jit, tick0: int, seed: int, shot_scale: float,
           dead_factor: float, full_well: float, zero_reset: bool, use_shot: bool, use_jitter: bool,
           use_dead: bool, out) -> None:
    """Run the kernel on device arrays (natural pixel layout; ``out`` is (n, nbytes) uint8 on the device)."""
    n = int(w.shape[0])
    npix = int(acc.shape[0])
    nbytes = int(out.shape[1])
    threads = 128
    blocks = (nbytes + threads - 1) // threads
    kernel()((blocks,), (threads,), (acc, last, charges, k0, k1, w, dark, thr, jit, np.int64(n), np.int64(npix),
                                     np.int64(nbytes), np.uint64(tick0), np.uint64(seed), np.float32(shot_scale),
                                     np.float32(dead_factor), np.float32(full_well), np.float32(PAIR_SCALE),
                                     np.int32(zero_reset), np.int32(use_shot), np.int32(use_jitter),
                                     np.int32(use_dead), out))
