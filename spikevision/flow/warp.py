"""Backward warping of images (and flow fields) by a flow field.

``warp(image, flow)[y, x] = image(x + u, y + v)`` with ``(u, v) = flow[y, x]``: bilinear
interpolation, sample positions clamped to the image (the border is replicated). With the
flow from frame ``t`` to ``t + dt`` and ``image`` frame ``t + dt``, the result is frame ``t``
as predicted by the flow (the photometric check of an estimate; the motion compensation of the
deraining module). Three implementations give the same numbers: a NumPy reference, a numba
kernel (CPU arrays) and a CuPy kernel (CuPy arrays), all in float32.

Example:
    >>> import numpy as np
    >>> img = np.arange(12, dtype=np.float32).reshape(3, 4)
    >>> flow = np.zeros((3, 4, 2), np.float32); flow[..., 0] = 1   # sample one pixel to the right
    >>> warp(img, flow)[0].tolist()
    [1.0, 2.0, 3.0, 3.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import backend_name, get_namespace, like, to_numpy
from ._checks import FlowInputError, check_flow

__all__ = ["warp", "warp_reference"]

_CUDA_SRC = r"""
extern "C" __global__ void warp_bilinear(const float* img, const float* flow, float* out, int h, int w, int nc) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= h * w) return;
    int y = i / w, x = i - y * w;
    float sx = fminf(fmaxf(__fadd_rn((float)x, flow[2 * i]), 0.0f), (float)(w - 1));
    float sy = fminf(fmaxf(__fadd_rn((float)y, flow[2 * i + 1]), 0.0f), (float)(h - 1));
    int x0 = min((int)floorf(sx), w - 1), y0 = min((int)floorf(sy), h - 1);
    int x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1);
    float fx = __fsub_rn(sx, (float)x0), fy = __fsub_rn(sy, (float)y0);
    for (int c = 0; c < nc; ++c) {
        float a = img[(y0 * w + x0) * nc + c], b = img[(y0 * w + x1) * nc + c];
        float d = img[(y1 * w + x0) * nc + c], e = img[(y1 * w + x1) * nc + c];
        float top = __fadd_rn(a, __fmul_rn(fx, __fsub_rn(b, a)));
        float bot = __fadd_rn(d, __fmul_rn(fx, __fsub_rn(e, d)));
        out[i * nc + c] = __fadd_rn(top, __fmul_rn(fy, __fsub_rn(bot, top)));
    }
}
"""
_cuda_kernel = None


def _split(image: Any, flow: Any) -> tuple[Any, Any, bool]:
    """(H, W, C) float32 image and (H, W, 2) float32 flow on one backend; whether the image had no channel axis."""
    h, w = check_flow(flow)
    xp = get_namespace(image)
    shape = tuple(image.shape)
    if len(shape) not in (2, 3) or shape[:2] != (h, w):
        raise FlowInputError(f"image of shape {shape} does not match the flow's {(h, w)}; warp an (H, W) or "
                             f"(H, W, C) image with an (H, W, 2) flow of the same H and W")
    img = xp.asarray(image, dtype=xp.float32)
    flat = img.ndim == 2
    if flat:
        img = img[:, :, None]
    fl = flow if backend_name(flow) == backend_name(image) else (xp.asarray(to_numpy(flow)))
    return xp.ascontiguousarray(img), xp.ascontiguousarray(fl, dtype=xp.float32), flat


def warp_reference(image: Any, flow: Any) -> Any:
    """NumPy/CuPy array-op reference of :func:`warp` (same float32 arithmetic as the kernels)."""
    img, fl, flat = _split(image, flow)
    xp = get_namespace(img)
    h, w, _ = img.shape
    f32 = xp.float32
    yy, xx = xp.meshgrid(xp.arange(h, dtype=f32), xp.arange(w, dtype=f32), indexing="ij")
    sx = xp.clip(xx + fl[..., 0], f32(0), f32(w - 1))
    sy = xp.clip(yy + fl[..., 1], f32(0), f32(h - 1))
    x0 = xp.minimum(xp.floor(sx).astype(xp.int64), w - 1)
    y0 = xp.minimum(xp.floor(sy).astype(xp.int64), h - 1)
    x1, y1 = xp.minimum(x0 + 1, w - 1), xp.minimum(y0 + 1, h - 1)
    fx = (sx - x0.astype(f32))[..., None]
    fy = (sy - y0.astype(f32))[..., None]
    top = img[y0, x0] + fx * (img[y0, x1] - img[y0, x0])
    bot = img[y1, x0] + fx * (img[y1, x1] - img[y1, x0])
    out = (top + fy * (bot - top)).astype(f32)
    return out[..., 0] if flat else out


def _warp_cupy(img, fl):
    global _cuda_kernel
    import cupy as cp

    if _cuda_kernel is None:
        _cuda_kernel = cp.RawKernel(_CUDA_SRC, "warp_bilinear")
    h, w, nc = img.shape
    out = cp.empty_like(img)
    n = h * w
    _cuda_kernel(((n + 255) // 256,), (256,), (img, fl, out, np.int32(h), np.int32(w), np.int32(nc)))
    return out


def warp(image: Any, flow: Any) -> Any:
    """Backward-warp ``image`` by ``flow``: ``out[y, x] = image(x + flow[y, x, 0], y + flow[y, x, 1])``.

    Args:
        image: (H, W) or (H, W, C) array of any backend (a flow field warps as a 2-channel image).
        flow: (H, W, 2) displacements in pixels (x to the right, y down).

    Returns:
        float32 array of ``image``'s shape on ``image``'s backend (bilinear, border replicated).
    """
    name = backend_name(image)
    if name == "cupy":
        img, fl, flat = _split(image, flow)
        out = _warp_cupy(img, fl)
        return out[..., 0] if flat else out
    img, fl, flat = _split(to_numpy(image), to_numpy(flow))
    from ._kernels import warp_bilinear

    out = np.empty_like(img)
    warp_bilinear(img, fl, out)
    out = out[..., 0] if flat else out
    return like(out, image) if name == "torch" else out
