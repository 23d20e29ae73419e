"""CuPy twin of the re-emission kernel (a CUDA RawKernel), used with ``engine="cupy"``.

One thread per packed byte (8 canonical pixels) runs all ticks of a call with the pixels' state in
registers. The arithmetic is the NumPy reference's (:mod:`._reference`), written with round-to-nearest
intrinsics (``__fadd_rn``, ``__fmul_rn``, ``__fdiv_rn``) so the compiler cannot fuse multiply-adds: spikes
are bit-identical to the CPU kernels. CuPy is imported lazily (only through
:func:`spikevision.backend.cupy_available`), so this module imports on machines without a GPU.
"""

from __future__ import annotations

import functools

import numpy as np

from ..backend import cupy_available
from ..errors import BackendUnavailable
from ._reference import AGE_CAP, CAP, DEV, FIRE, FLOOR, PH_CAP

__all__ = ["CUDA_SOURCE", "kernel", "require_cupy", "launch"]

CUDA_SOURCE = r"""
extern "C" __global__ void reemit(
    const unsigned char* packed, long long n, long long nbytes,
    float* since, float* ph, float* rate, float* acc, float* dev, float* hsum, float* hn,
    const float* dark, const float* inv_gain, float kf, float gate, int sync, float inv_lock,
    float fire, float cap, float flo, float devmax, float phcap, float agecap, unsigned char* out)
{
    long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= nbytes) return;
    float SI[8], PH[8], RA[8], AC[8], DV[8], HS[8], HN[8], DK[8], IG[8];
    for (int i = 0; i < 8; ++i) {
        long long k = 8 * b + i;
        SI[i] = since[k]; PH[i] = ph[k]; RA[i] = rate[k]; AC[i] = acc[k]; DV[i] = dev[k];
        HS[i] = hsum[k]; HN[i] = hn[k]; DK[i] = dark[k]; IG[i] = inv_gain[k];
    }
    for (long long t = 0; t < n; ++t) {
        const unsigned int byte = packed[t * nbytes + b];
        unsigned int bits = 0;
        for (int i = 0; i < 8; ++i) {
            const int s = (byte >> i) & 1;
            const float sv = SI[i];
            const int known = sv >= 0.0f;
            const int ended = s && known;
            const float ival = __fadd_rn(sv, 1.0f);
            float mu = HS[i], c = HN[i];
            if (c > 0.0f && fabsf(__fsub_rn(ival, mu)) > __fadd_rn(__fmul_rn(gate, mu), 1.0f)) c = 0.0f;
            c = fminf(__fadd_rn(c, 1.0f), kf);
            mu = __fadd_rn(mu, __fdiv_rn(__fsub_rn(ival, mu), c));
            if (ended) { HN[i] = c; HS[i] = mu; RA[i] = __fdiv_rn(1.0f, mu); }
            const float ra = RA[i];
            const int quiet = !s && known && ra > 0.0f;
            const float r = (quiet && __fmul_rn(ival, ra) > 1.0f) ? __fdiv_rn(1.0f, ival) : ra;
            const float p = PH[i];
            float dphi;
            if (sync) {
                const float dq = fmaxf(fminf(r, __fsub_rn(phcap, p)), 0.0f);
                dphi = ended ? __fsub_rn(1.0f, p) : (quiet ? dq : 0.0f);
                PH[i] = s ? 0.0f : (quiet ? __fadd_rn(p, dq) : p);
            } else {
                const int step = ended || quiet;
                const float p2 = __fadd_rn(p, r);
                float dv = DV[i];
                if (ended) dv = fminf(fmaxf(__fadd_rn(dv, __fsub_rn(1.0f, p2)), -devmax), devmax);
                const float cr = __fmul_rn(__fmul_rn(dv, r), inv_lock);
                PH[i] = s ? 0.0f : (step ? p2 : p);
                DV[i] = step ? __fsub_rn(dv, cr) : dv;
                dphi = step ? __fadd_rn(r, cr) : 0.0f;
            }
            SI[i] = s ? 0.0f : (known ? fminf(ival, agecap) : -1.0f);
            float a = __fadd_rn(AC[i], __fmul_rn(__fsub_rn(dphi, DK[i]), IG[i]));
            a = fmaxf(fminf(a, cap), flo);
            const int f = a >= fire;
            AC[i] = f ? __fsub_rn(a, 1.0f) : a;
            bits |= (unsigned int)f << i;
        }
        out[t * nbytes + b] = (unsigned char)bits;
    }
    for (int i = 0; i < 8; ++i) {
        long long k = 8 * b + i;
        since[k] = SI[i]; ph[k] = PH[i]; rate[k] = RA[i]; acc[k] = AC[i]; dev[k] = DV[i];
        hsum[k] = HS[i]; hn[k] = HN[i];
    }
}
"""


def require_cupy():
    """The cupy module, or :class:`BackendUnavailable` naming the fix."""
    if not cupy_available():
        raise BackendUnavailable("engine='cupy' needs CuPy with a CUDA GPU; install spikevision[gpu] on a machine "
                                 "with an NVIDIA GPU, or use engine='numba'")
    import cupy

    return cupy


@functools.cache
def kernel():
    """The compiled ``reemit`` RawKernel (compiled once per process)."""
    return require_cupy().RawKernel(CUDA_SOURCE, "reemit")


def launch(packed, st: dict, dark, inv_gain, history: int, gate: float, sync: bool, inv_lock: float, out) -> None:
    """Run the kernel on device arrays: ``packed``/``out`` (n, F) uint8, state and inputs flat (8 F,) float32."""
    n, nbytes = (int(v) for v in packed.shape)
    threads = 128
    blocks = (nbytes + threads - 1) // threads
    kernel()((blocks,), (threads,), (packed, np.int64(n), np.int64(nbytes), st["since"], st["ph"], st["rate"],
                                     st["acc"], st["dev"], st["hsum"], st["hn"], dark, inv_gain,
                                     np.float32(history), np.float32(gate), np.int32(sync), np.float32(inv_lock),
                                     np.float32(FIRE), np.float32(CAP), np.float32(FLOOR), np.float32(DEV),
                                     np.float32(PH_CAP), np.float32(AGE_CAP), out))
