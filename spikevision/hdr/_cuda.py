"""CuPy twins of the unwrapping kernels (one RawModule; one thread per pixel, reads in sequence).

Same arithmetic as :mod:`._kernels` and :mod:`._reference` (``L`` a power of two, predictions scaled by the
host-computed factors), so the counts and flags are bit-identical. Importing this module needs no GPU;
calling it needs CuPy with a device.
"""

from __future__ import annotations

from ..backend import cupy_available
from ..errors import BackendUnavailable

__all__ = ["temporal", "hierarchical", "best"]

_SRC = r"""
__device__ long long fold(double pred, long long d, double inv) {
    double k = floor((pred - (double)d) * inv + 0.5);
    return k > 0 ? (long long)k : 0;
}
extern "C" __global__ void temporal(const long long* y, long long S, long long N, long long L, long long* out) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N) return;
    long long c = 0;
    out[p] = 0;
    for (long long s = 1; s < S; ++s) {
        c += (y[s * N + p] - y[(s - 1) * N + p]) & (L - 1);
        out[s * N + p] = c;
    }
}
extern "C" __global__ void hierarchical(const long long* y, long long S, long long N, long long L,
        long long* counts, bool* flags, long long s0, const long long* rlong, const long long* rshort,
        const double* flong, const double* fshort, bool use_short) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N) return;
    double inv = 1.0 / (double)L;
    for (long long s = s0; s < S; ++s) {
        long long d = (y[s * N + p] - y[(s - 1) * N + p]) & (L - 1);
        long long k = 0;
        bool f = false;
        long long r = rlong[s];
        if (r >= 0) {
            long long c1 = counts[(s - 1) * N + p];
            k = fold((double)(c1 - counts[r * N + p]) * flong[s], d, inv);
            long long ks = fold((double)(c1 - counts[rshort[s] * N + p]) * fshort[s], d, inv);
            f = k != ks;
            if (f && use_short) k = ks;
        }
        counts[s * N + p] = counts[(s - 1) * N + p] + d + k * L;
        flags[s * N + p] = f;
    }
}
extern "C" __global__ void best(const long long* y, long long S, long long N, long long L, long long shift,
        long long* counts, bool* flags, const long long* rlong, const long long* rshort, const double* flong,
        const double* fshort, const double* fnext, const double* fprev, long long s0, long long* prev_io,
        long long* cur_io) {
    long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= N) return;
    double inv = 1.0 / (double)L;
    long long prev = prev_io[p], cur = cur_io[p];
    for (long long s = s0; s < S; ++s) {
        long long d = (y[s * N + p] - y[(s - 1) * N + p]) & (L - 1);
        long long c1 = counts[(s - 1) * N + p];
        long long k = 0;
        bool f = false;
        long long r = rlong[s];
        if (r >= 0) {
            k = fold((double)(c1 - counts[r * N + p]) * flong[s], d, inv);
            long long ks = fold((double)(c1 - counts[rshort[s] * N + p]) * fshort[s], d, inv);
            f = k != ks;
            if (f) k = ks;
        }
        long long nxt = d + k * L;
        long long cs = c1 + nxt;
        flags[s * N + p] = f;
        long long c = cur;
        long long i = s - 1;
        if (i >= 2) {
            long long di = (y[i * N + p] - y[(i - 1) * N + p]) & (L - 1);
            double pn = (double)nxt * fnext[i];
            if (fold(pn, di, inv) != ((c - di) >> shift)) {
                long long nw = di + fold(0.5 * (pn + (double)prev * fprev[i]), di, inv) * L;
                long long delta = nw - c;
                counts[i * N + p] = c1 + delta;
                cs += delta;
                flags[i * N + p] = true;
                c = nw;
            }
        }
        counts[s * N + p] = cs;
        prev = c;
        cur = nxt;
    }
    prev_io[p] = prev;
    cur_io[p] = cur;
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


def _grid(n: int) -> tuple[tuple[int], tuple[int]]:
    return ((n + 255) // 256,), (256,)


def temporal(y, L: int, out) -> None:
    """CuPy twin of :func:`._kernels.temporal`."""
    import cupy as cp

    S, N = y.shape
    _module().get_function("temporal")(*_grid(N), (cp.ascontiguousarray(y, cp.int64), cp.int64(S), cp.int64(N),
                                                   cp.int64(L), out))


def hierarchical(y, L: int, counts, flags, s0: int, plan, use_short: bool) -> None:
    """CuPy twin of :func:`._kernels.hierarchical` (``plan`` from :func:`._reference.history_index`)."""
    import cupy as cp

    S, N = y.shape
    rlong, rshort, flong, fshort = (cp.asarray(a) for a in plan)
    _module().get_function("hierarchical")(
        *_grid(N), (cp.ascontiguousarray(y, cp.int64), cp.int64(S), cp.int64(N), cp.int64(L), counts, flags,
                    cp.int64(s0), rlong, rshort, flong, fshort, cp.bool_(use_short)))


def best(y, L: int, counts, flags, plan, factors, s0: int, state) -> None:
    """CuPy twin of :func:`._kernels.best`."""
    import cupy as cp

    S, N = y.shape
    rlong, rshort, flong, fshort = (cp.asarray(a) for a in plan)
    fnext, fprev = (cp.asarray(a) for a in factors)
    _module().get_function("best")(
        *_grid(N), (cp.ascontiguousarray(y, cp.int64), cp.int64(S), cp.int64(N), cp.int64(L),
                    cp.int64(int(L).bit_length() - 1), counts, flags, rlong, rshort, flong, fshort, fnext, fprev,
                    cp.int64(s0), state[0], state[1]))
