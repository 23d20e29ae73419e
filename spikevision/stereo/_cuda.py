"""CuPy RawKernels of the spike-timing matcher: box mean, census, cost volume, SGM paths, selection.

Integer arithmetic throughout (the selection's sub-pixel step and confidence use IEEE single-precision
division, as the CPU kernels), so the results equal :mod:`spikevision.stereo._reference` bit for bit.
CuPy is imported when a kernel is first used, never at import: this module imports on machines
without a GPU.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["match_cupy", "MAX_GPU_DISPARITIES"]

#: most disparities one SGM block handles (threads per block)
MAX_GPU_DISPARITIES = 1024

_SOURCE = r"""
extern "C" {

__global__ void box_mean(const int* q, int* out, int h, int w, int r) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= h * w) return;
    int y = idx / w, x = idx % w;
    long long acc = 0;
    for (int j = -r; j <= r; ++j) {
        int yy = min(max(y + j, 0), h - 1);
        for (int i = -r; i <= r; ++i) {
            int xx = min(max(x + i, 0), w - 1);
            acc += q[yy * w + xx];
        }
    }
    long long n = (2 * r + 1) * (2 * r + 1);
    out[idx] = (int)(acc / n);   /* q >= 0: floor */
}

__global__ void census(const int* q, unsigned long long* out, int h, int w, int r) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= h * w) return;
    int y = idx / w, x = idx % w;
    int c = q[idx];
    unsigned long long word = 0ULL;
    int bit = 0;
    for (int dy = -r; dy <= r; ++dy) {
        int yy = min(max(y + dy, 0), h - 1);
        for (int dx = -r; dx <= r; ++dx) {
            if (dy == 0 && dx == 0) continue;
            int xx = min(max(x + dx, 0), w - 1);
            if (q[yy * w + xx] < c) word |= 1ULL << bit;
            ++bit;
        }
    }
    out[idx] = word;
}

__global__ void cost_volume(const unsigned long long* cl, const unsigned long long* cr, const int* ql,
                            const int* qr, int* out, int h, int w, int nd, int ad_shift, int ad_max, int border) {
    long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= (long long)h * w * nd) return;
    int d = idx % nd;
    long long p = idx / nd;
    int x = p % w;
    if (x - d < 0) { out[idx] = border; return; }
    long long pr = p - d;
    int diff = abs(ql[p] - qr[pr]) >> ad_shift;
    out[idx] = __popcll(cl[p] ^ cr[pr]) + min(diff, ad_max);
}

/* one SGM path per block (a scanline), one thread per disparity */
__global__ void sgm_path(const int* cost, int* out, int n, int nd, long long sstride, long long pstride,
                         int reverse, int p1, int p2, int add) {
    extern __shared__ int sh[];
    int* prev = sh;               /* nd + 2: sentinels at 0 and nd + 1 */
    int* red = sh + nd + 2;       /* blockDim.x */
    const int BIG = 1 << 28;
    int s = blockIdx.x, d = threadIdx.x;
    if (d == 0) { prev[0] = BIG; prev[nd + 1] = BIG; }
    __syncthreads();
    for (int i = 0; i < n; ++i) {
        int pos = reverse ? n - 1 - i : i;
        long long cell = ((long long)s * sstride + (long long)pos * pstride) * nd;
        int val = 0;
        if (i == 0) {
            if (d < nd) val = cost[cell + d];
        } else {
            red[d] = d < nd ? prev[d + 1] : BIG;
            __syncthreads();
            for (int off = blockDim.x / 2; off > 0; off >>= 1) {
                if (d < off) red[d] = min(red[d], red[d + off]);
                __syncthreads();
            }
            int m = red[0];
            if (d < nd) {
                int v = min(min(prev[d + 1], prev[d] + p1), min(prev[d + 2] + p1, m + p2));
                val = cost[cell + d] + v - m;
            }
        }
        __syncthreads();
        if (d < nd) {
            prev[d + 1] = val;
            if (add) out[cell + d] += val; else out[cell + d] = val;
        }
        __syncthreads();
    }
}

__global__ void right_winner(const int* agg, int* right, int h, int w, int nd) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= h * w) return;
    int xr = idx % w;
    long long row = (long long)(idx / w) * w;
    int best = agg[(row + xr) * nd];
    int bd = 0;
    for (int d = 1; d < nd && xr + d < w; ++d) {
        int v = agg[(row + xr + d) * nd + d];
        if (v < best) { best = v; bd = d; }
    }
    right[idx] = bd;
}

__global__ void select(const int* agg, const int* right, float* disp, bool* valid, float* conf,
                       int h, int w, int nd, int lr_tol) {
    int idx = blockIdx.x * blockDim.x + threadIdx.x;
    if (idx >= h * w) return;
    int x = idx % w;
    const int* cell = agg + (long long)idx * nd;
    int best = cell[0], bd = 0;
    for (int d = 1; d < nd; ++d) if (cell[d] < best) { best = cell[d]; bd = d; }
    int second = -1;
    for (int d = 0; d < nd; ++d)
        if (d < bd - 1 || d > bd + 1) { int v = cell[d]; if (second < 0 || v < second) second = v; }
    float sub = (float)bd;
    if (bd > 0 && bd < nd - 1) {
        int a = cell[bd - 1], c = cell[bd + 1];
        int den = a - 2 * best + c;
        if (den > 0) sub = (float)bd + __fdiv_rn((float)(a - c), (float)(2 * den));
    }
    disp[idx] = sub;
    int xr = x - bd;
    bool ok = xr >= 0 && abs(right[idx - bd] - bd) <= lr_tol;
    valid[idx] = ok;
    conf[idx] = (ok && second > 0) ? __fdiv_rn((float)(second - best), (float)second) : 0.0f;
}

}
"""


@lru_cache(maxsize=1)
def _module():
    import cupy

    return cupy.RawModule(code=_SOURCE, options=("--std=c++11",))


def _grid(n: int, block: int = 256) -> tuple[tuple[int], tuple[int]]:
    return ((n + block - 1) // block,), (block,)


def match_cupy(ql, qr, max_disparity: int, p):
    """(raw disparity, valid, confidence) of two (H, W) int32 CuPy feature maps: the GPU twin of
    :meth:`spikevision.stereo.spike.SpikeMatcher.match`."""
    import cupy as cp

    from ._input import StereoInputError

    nd = max_disparity + 1
    if nd > MAX_GPU_DISPARITIES:
        raise StereoInputError(f"max_disparity {max_disparity} is above the GPU matcher's "
                               f"{MAX_GPU_DISPARITIES - 1}; use a smaller range or the CPU (NumPy input)")
    mod = _module()
    h, w = ql.shape
    npix = h * w
    ql = cp.ascontiguousarray(ql, dtype=cp.int32)
    qr = cp.ascontiguousarray(qr, dtype=cp.int32)
    if p.smooth:
        sl, sr = cp.empty_like(ql), cp.empty_like(qr)
        for src, dst in ((ql, sl), (qr, sr)):
            mod.get_function("box_mean")(*_grid(npix), (src, dst, cp.int32(h), cp.int32(w), cp.int32(p.smooth)))
        ql, qr = sl, sr
    cl = cp.empty((h, w), cp.uint64)
    cr = cp.empty((h, w), cp.uint64)
    for src, dst in ((ql, cl), (qr, cr)):
        mod.get_function("census")(*_grid(npix), (src, dst, cp.int32(h), cp.int32(w), cp.int32(p.radius)))
    cost = cp.empty((h, w, nd), cp.int32)
    mod.get_function("cost_volume")(*_grid(npix * nd), (cl, cr, ql, qr, cost, cp.int32(h), cp.int32(w), cp.int32(nd),
                                                        cp.int32(p.ad_shift), cp.int32(p.ad_max), cp.int32(p.border)))
    agg = cp.empty((h, w, nd), cp.int32)
    threads = 32
    while threads < nd:
        threads *= 2
    shared = (nd + 2 + threads) * 4
    path = mod.get_function("sgm_path")
    # (scanlines, length, scanline stride, step stride) in pixels: rows along x, then columns along y
    for k, (lines, n, sstride, pstride, rev) in enumerate(((h, w, w, 1, 0), (h, w, w, 1, 1),
                                                           (w, h, 1, w, 0), (w, h, 1, w, 1))):
        path((lines,), (threads,), (cost, agg, cp.int32(n), cp.int32(nd), cp.int64(sstride), cp.int64(pstride),
                                    cp.int32(rev), cp.int32(p.p1), cp.int32(p.p2), cp.int32(1 if k else 0)),
             shared_mem=shared)
    right = cp.empty((h, w), cp.int32)
    mod.get_function("right_winner")(*_grid(npix), (agg, right, cp.int32(h), cp.int32(w), cp.int32(nd)))
    disp = cp.empty((h, w), cp.float32)
    valid = cp.empty((h, w), cp.bool_)
    conf = cp.empty((h, w), cp.float32)
    mod.get_function("select")(*_grid(npix), (agg, right, disp, valid, conf, cp.int32(h), cp.int32(w), cp.int32(nd),
                                              cp.int32(p.lr_tol)))
    return disp, valid, conf
