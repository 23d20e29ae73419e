"""NumPy (and CuPy: written against ``xp``) reference of the spike-timing matcher.

Slow and obvious; the compiled kernels (:mod:`spikevision.stereo._kernels`) and the
CuPy kernels (:mod:`spikevision.stereo._cuda`) must equal it bit for bit.
"""

from __future__ import annotations

from ..backend import get_namespace

__all__ = ["interval_features_ref", "box_mean_ref", "census_ref", "cost_volume_ref", "sgm_ref", "select_ref", "BIG"]

#: sentinel of the SGM recurrence (outside the disparity range)
BIG = 1 << 28


def interval_features_ref(frames, window: int, intervals: int, lut, adapt: int = 0):
    """Features of the last frame of ``frames`` (n, H, W) 0/1 (frame i at time i, the map at n - 1).

    The last ``intervals + 1`` spikes s_1 > s_2 > ... of each pixel within the last ``window`` frames, cut
    at the first older interval that departs from the mean of the newer ones by more than ``adapt`` % of it
    plus one tick (``adapt = 0``: no cut): with n >= 2 of them, ``lut[s_1 - s_n] - lut[n - 1]``, at least
    ``lut[t - s_1]``; else ``lut[window]``.
    """
    xp = get_namespace(frames)
    lut = xp.asarray(lut)
    n_fr = frames.shape[0]
    t = n_fr - 1
    part = frames[max(0, n_fr - window):] != 0
    t_first = t - part.shape[0] + 1
    times = xp.arange(part.shape[0], dtype=xp.int64)[:, None, None] + t_first
    rev = xp.cumsum(part[::-1].astype(xp.int32), axis=0)[::-1]   # spikes at or after each frame
    # s[k - 1]: the k-th newest spike time (-1 where the pixel has fewer than k)
    s = [xp.max(xp.where(part & (rev == k), times, -1), axis=0) for k in range(1, intervals + 2)]
    n = xp.minimum(rev[0], intervals + 1)
    if adapt > 0:
        going = xp.ones(n.shape, dtype=bool)
        for k in range(3, intervals + 2):   # the interval s_{k-1} - s_k against the k - 2 newer ones
            span = s[0] - s[k - 2]
            dev = xp.abs((s[k - 2] - s[k - 1]) * (k - 2) - span)
            going &= (n >= k) & (100 * dev <= adapt * span + 100 * (k - 2))
            n = xp.where(~going & (n >= k), k - 1, n)
    s1 = s[0]
    sn = xp.zeros_like(s1)
    for k in range(2, intervals + 2):
        sn = xp.where(n == k, s[k - 1], sn)
    ok = n >= 2
    span = xp.where(ok, s1 - sn, 0)
    q = lut[span] - lut[xp.where(ok, n - 1, 0)]
    opened = lut[xp.where(ok, t - s1, 0)]
    return xp.where(ok, xp.maximum(q, opened), lut[window]).astype(xp.int32)


def box_mean_ref(q, radius: int):
    """Floor mean of ``q`` over (2r+1)^2 windows with edge-replicated borders (int32)."""
    xp = get_namespace(q)
    h, w = q.shape
    if radius == 0:
        return q.astype(xp.int32)
    pad = xp.pad(q.astype(xp.int64), radius, mode="edge")
    acc = xp.zeros((h, w), dtype=xp.int64)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            acc += pad[dy: dy + h, dx: dx + w]
    return (acc // ((2 * radius + 1) ** 2)).astype(xp.int32)


def census_ref(q, radius: int):
    """Census words (uint64) of the (H, W) map ``q``: bit i = neighbour i < centre (borders clamped)."""
    xp = get_namespace(q)
    h, w = q.shape
    pad = xp.pad(q, radius, mode="edge")
    out = xp.zeros((h, w), dtype=xp.uint64)
    bit = 0
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy == 0 and dx == 0:
                continue
            nb = pad[radius + dy: radius + dy + h, radius + dx: radius + dx + w]
            out |= (nb < q).astype(xp.uint64) << xp.uint64(bit)
            bit += 1
    return out


def _popcount(v):
    xp = get_namespace(v)
    v = v.astype(xp.uint64)
    v = v - ((v >> xp.uint64(1)) & xp.uint64(0x5555555555555555))
    v = (v & xp.uint64(0x3333333333333333)) + ((v >> xp.uint64(2)) & xp.uint64(0x3333333333333333))
    v = (v + (v >> xp.uint64(4))) & xp.uint64(0x0F0F0F0F0F0F0F0F)
    return ((v * xp.uint64(0x0101010101010101)) >> xp.uint64(56)).astype(xp.int32)


def cost_volume_ref(cl, cr, ql, qr, n_disp: int, ad_shift: int, ad_max: int, border: int):
    """(H, W, D) int32 matching cost: Hamming of census words + truncated L1 of interval features."""
    xp = get_namespace(cl)
    h, w = cl.shape
    out = xp.full((h, w, n_disp), border, dtype=xp.int32)
    for d in range(n_disp):
        if d >= w:
            break
        ham = _popcount(cl[:, d:] ^ cr[:, : w - d])
        ad = xp.minimum(xp.abs(ql[:, d:].astype(xp.int32) - qr[:, : w - d]) >> ad_shift, ad_max)
        out[:, d:, d] = ham + ad
    return out


def _pass(cost, p1: int, p2: int, axis: int, reverse: bool):
    """Path costs of one direction along ``axis`` (1: x, 0: y) of an (H, W, D) cost."""
    xp = get_namespace(cost)
    c = xp.moveaxis(cost, axis, 0)   # (L, M, D): recurrence along the first axis
    n = c.shape[0]
    order = range(n - 1, -1, -1) if reverse else range(n)
    out = xp.empty(c.shape, dtype=xp.int32)
    prev = None
    for i in order:
        if prev is None:
            cur = c[i].astype(xp.int32)
        else:
            m = prev.min(axis=1, keepdims=True)
            big = xp.full((prev.shape[0], 1), BIG, dtype=xp.int32)
            left = xp.concatenate([big, prev[:, :-1]], axis=1) + p1
            right = xp.concatenate([prev[:, 1:], big], axis=1) + p1
            v = xp.minimum(xp.minimum(prev, left), xp.minimum(right, m + p2))
            cur = c[i] + v - m
        out[i] = cur
        prev = cur
    return xp.moveaxis(out, 0, axis)


def sgm_ref(cost, p1: int, p2: int):
    """Semi-global matching, 4 paths (+x, -x, +y, -y): (H, W, D) int32 sum of path costs."""
    cost = cost.astype(get_namespace(cost).int32)
    return (_pass(cost, p1, p2, 1, False) + _pass(cost, p1, p2, 1, True)
            + _pass(cost, p1, p2, 0, False) + _pass(cost, p1, p2, 0, True))


def select_ref(agg, lr_tol: int):
    """Winner-take-all + sub-pixel parabola + left-right check + confidence, as :func:`_kernels.select`."""
    xp = get_namespace(agg)
    h, w, nd = agg.shape
    bd = xp.argmin(agg, axis=2).astype(xp.int32)
    best = xp.take_along_axis(agg, bd[..., None].astype(xp.int64), axis=2)[..., 0]
    dd = xp.arange(nd)[None, None, :]
    far = (dd < bd[..., None] - 1) | (dd > bd[..., None] + 1)
    second = xp.min(xp.where(far, agg, xp.iinfo(xp.int32).max), axis=2)
    has_second = far.any(axis=2)
    inner = (bd > 0) & (bd < nd - 1)
    a = xp.take_along_axis(agg, xp.clip(bd - 1, 0, nd - 1)[..., None].astype(xp.int64), axis=2)[..., 0]
    c = xp.take_along_axis(agg, xp.clip(bd + 1, 0, nd - 1)[..., None].astype(xp.int64), axis=2)[..., 0]
    den = a - 2 * best + c
    use = inner & (den > 0)
    off = (a - c).astype(xp.float32) / xp.where(use, 2 * den, 1).astype(xp.float32)
    disp = xp.where(use, bd.astype(xp.float32) + off, bd.astype(xp.float32)).astype(xp.float32)
    # right view: winner over d of agg[y, xr + d, d]
    shifted = xp.full((h, w, nd), xp.iinfo(xp.int32).max, dtype=xp.int32)
    for d in range(min(nd, w)):
        shifted[:, : w - d, d] = agg[:, d:, d]
    right = xp.argmin(shifted, axis=2).astype(xp.int32)
    xs = xp.arange(w)[None, :] - bd
    inside = xs >= 0
    rows = xp.arange(h)[:, None]
    r_at = right[rows, xp.clip(xs, 0, w - 1)]
    valid = inside & (xp.abs(r_at - bd) <= lr_tol)
    ok = valid & has_second & (second > 0)
    conf = xp.where(ok, (second - best).astype(xp.float32) / xp.where(ok, second, 1).astype(xp.float32), 0)
    return disp, valid, conf.astype(xp.float32)
