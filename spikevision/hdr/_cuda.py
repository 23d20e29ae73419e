"""CuPy twins of the unwrapping kernels (RawKernels; one thread per pixel, reads in sequence).

Imported lazily: importing this module needs no GPU; calling it needs CuPy with a device.
"""

from __future__ import annotations

from ..backend import cupy_available
from ..errors import BackendUnavailable

__all__ = ["temporal", "hierarchical", "lookahead"]

_SRC = r"""
extern "C" __device__ long long fold(double pred, long long d, long long L) {
    double k = floor((pred - (double)d) / (double)L + 0.5);
    return k > 0 ? (long long)k : 0;
}
extern "C" __global__ void temporal(const long long* y, long long S, long long N, long long L, long long* out) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N) return;
    long long c = 0;
    out[p] = 0;
    for (long long s = 1; s < S; ++s) {
        long long d = ((y[s * N + p] - y[(s - 1) * N + p]) % L + L) % L;
        c += d;
        out[s * N + p] = c;
    }
}
extern "C" __global__ void hierarchical(const long long* y, const long long* t, long long S, long long N,
        long long L, long long* counts, bool* flags, long long s0, const long long* rlong,
        const long long* rshort, bool use_short) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N) return;
    for (long long s = s0; s < S; ++s) {
        long long d = ((y[s * N + p] - y[(s - 1) * N + p]) % L + L) % L;
        double g = (double)(t[s] - t[s - 1]);
        long long k = 0;
        bool f = false;
        long long r = rlong[s];
        if (r >= 0) {
            double span = (double)(t[s - 1] - t[r]);
            k = fold((double)(counts[(s - 1) * N + p] - counts[r * N + p]) * g / span, d, L);
            long long q = rshort[s];
            double span_s = (double)(t[s - 1] - t[q]);
            long long ks = fold((double)(counts[(s - 1) * N + p] - counts[q * N + p]) * g / span_s, d, L);
            f = k != ks;
            if (f && use_short) k = ks;
        }
        counts[s * N + p] = counts[(s - 1) * N + p] + d + k * L;
        flags[s * N + p] = f;
    }
}
"""

_MOD = None


def _module():
    global _MOD
    if not cupy_available():
        raise BackendUnavailable("the CuPy unwrapping kernels need CuPy with a CUDA device; pass NumPy arrays "
                                 "(or install spikevision[gpu] on a machine with a GPU)")
    if _MOD is None:
        import cupy as cp

        _MOD = cp.RawModule(code=_SRC)
    return _MOD


def temporal(y, L: int, out) -> None:
    """CuPy twin of :func:`._kernels.temporal` (``y`` int64 (S, N) on the device)."""
    import cupy as cp

    S, N = y.shape
    _module().get_function("temporal")(((N + 255) // 256,), (256,),
                                       (cp.ascontiguousarray(y), cp.int64(S), cp.int64(N), cp.int64(L), out))


def hierarchical(y, ticks, L: int, counts, flags, s0: int, rlong, rshort, use_short: bool) -> None:
    """CuPy twin of :func:`._kernels.hierarchical`."""
    import cupy as cp

    S, N = y.shape
    _module().get_function("hierarchical")(
        ((N + 255) // 256,), (256,),
        (cp.ascontiguousarray(y), cp.asarray(ticks, cp.int64), cp.int64(S), cp.int64(N), cp.int64(L), counts, flags,
         cp.int64(s0), cp.asarray(rlong, cp.int64), cp.asarray(rshort, cp.int64), cp.bool_(use_short)))


_LOOK = r"""
extern "C" __device__ long long fold2(double pred, long long d, long long L) {
    double k = floor((pred - (double)d) / (double)L + 0.5);
    return k > 0 ? (long long)k : 0;
}
extern "C" __global__ void lookahead(const long long* y, const long long* t, long long S, long long N,
        long long L, long long* counts, bool* flags) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N || S < 4) return;
    long long orig_prev = counts[N + p], c = counts[N + p], prev_inc = counts[N + p] - counts[p];
    for (long long i = 1; i < S - 2; ++i) {
        long long o1 = counts[(i + 1) * N + p], o2 = counts[(i + 2) * N + p];
        long long inc = o1 - orig_prev;
        double gi = (double)(t[i + 1] - t[i]);
        long long d = ((y[(i + 1) * N + p] - y[i * N + p]) % L + L) % L;
        double rb = (double)prev_inc / (double)(t[i] - t[i - 1]);
        double ra = (double)(o2 - o1) / (double)(t[i + 2] - t[i + 1]);
        long long k = (inc - d) >= 0 ? (inc - d) / L : -((d - inc + L - 1) / L);
        if (fold2(ra * gi, d, L) != k) {
            inc = d + fold2((ra + rb) / 2 * gi, d, L) * L;
            flags[(i + 1) * N + p] = true;
        }
        c += inc;
        counts[(i + 1) * N + p] = c;
        prev_inc = inc;
        orig_prev = o1;
    }
    counts[(S - 1) * N + p] = c + (counts[(S - 1) * N + p] - orig_prev);
}
"""
_LMOD = None


def lookahead(y, ticks, L: int, counts, flags) -> None:
    """CuPy twin of :func:`._kernels.lookahead`."""
    global _LMOD
    import cupy as cp

    _module()
    if _LMOD is None:
        _LMOD = cp.RawModule(code=_LOOK)
    S, N = y.shape
    _LMOD.get_function("lookahead")(((N + 255) // 256,), (256,),
                                    (cp.ascontiguousarray(y), cp.asarray(ticks, cp.int64), cp.int64(S), cp.int64(N),
                                     cp.int64(L), counts, flags))
