"""OpenCV StereoSGBM on two reconstructions: the classical baseline, with left-right check and hole filling.

Both views are reconstructed at frame ``t`` with :func:`spikevision.recon.reconstruct`
(``recon="best"``, spikevision's adaptive windows, by default; ``recon="tfp"`` with
``window=41`` is the baseline a user reaches for first), mapped to 8 bits with one
common scale (the 99.5th percentile of both images), and matched by
``cv2.StereoSGBM`` (Hirschmuller, TPAMI 2008) in its full-DP mode with the
penalties OpenCV's documentation recommends, ``P1 = 8 * c * b^2`` and
``P2 = 32 * c * b^2`` (c = 1 channel, b = block size). SGBM reports disparities
in 1/16 pixel with a parabola fit; its own uniqueness test and an explicit
left-right check (the right matcher of ``cv2.ximgproc`` is not in the headless
build, so the right disparity comes from matching the mirrored pair) mark
unreliable pixels, which are then filled from the farther neighbour on the row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import get_namespace, to_numpy
from ..recon import reconstruct
from ._input import StereoInputError
from ._post import fill_holes

__all__ = ["SGBM_DEFAULTS", "sgbm_disparity", "to_uint8_pair"]

#: defaults of the "sgbm" method
SGBM_DEFAULTS = dict(recon="best", window=None, block_size=5, uniqueness=5, lr_tol=1, speckle_window=0)


def to_uint8_pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two images on one 8-bit scale: the 99.5th percentile of both maps to 255."""
    top = float(np.percentile(np.concatenate([a.ravel(), b.ravel()]), 99.5)) or 1.0
    conv = [np.clip(np.rint(x / top * 255.0), 0, 255).astype(np.uint8) for x in (a, b)]
    return conv[0], conv[1]


def _matcher(n_disp: int, block: int, uniqueness: int, speckle: int):
    import cv2

    c = 1
    return cv2.StereoSGBM_create(minDisparity=0, numDisparities=n_disp, blockSize=block,
                                 P1=8 * c * block * block, P2=32 * c * block * block, disp12MaxDiff=-1,
                                 uniquenessRatio=uniqueness, speckleWindowSize=speckle, speckleRange=2,
                                 mode=cv2.STEREO_SGBM_MODE_HH)


def sgbm_images(img_l: np.ndarray, img_r: np.ndarray, max_disparity: int, *, block_size: int = 5,
                uniqueness: int = 5, lr_tol: int = 1, speckle_window: int = 0):
    """(disparity, valid, confidence) of SGBM on two uint8 images (confidence: 1 where checked, 0 else)."""
    n_disp = (max_disparity + 1 + 15) // 16 * 16
    width = img_l.shape[1]
    if width < n_disp + block_size // 2 + 1:  # OpenCV's own limit, raised before it throws cv2.error
        largest = (width - block_size // 2 - 1) // 16 * 16 - 1
        hint = f"choose max_disparity <= {largest}" if largest >= 0 else "use a wider image"
        raise StereoInputError(f"method 'sgbm' searches {n_disp} disparities (max_disparity {max_disparity} rounded up "
                               f"to a multiple of 16) and needs images at least {n_disp + block_size // 2 + 1} pixels "
                               f"wide with block_size {block_size}; these are {width}: {hint}, or use method='spike'")
    m = _matcher(n_disp, block_size, uniqueness, speckle_window)
    dl = m.compute(img_l, img_r).astype(np.float32) / 16.0
    # right disparity: match the mirrored pair (right becomes the reference view)
    dr = m.compute(np.ascontiguousarray(img_r[:, ::-1]), np.ascontiguousarray(img_l[:, ::-1]))
    dr = dr[:, ::-1].astype(np.float32) / 16.0
    h, w = dl.shape
    ok = dl >= 0
    xs = np.clip(np.rint(np.arange(w)[None, :] - np.maximum(dl, 0)).astype(np.int64), 0, w - 1)
    back = dr[np.arange(h)[:, None], xs]
    valid = ok & (back >= 0) & (np.abs(back - dl) <= lr_tol) & (dl <= max_disparity)
    return np.where(valid, dl, 0).astype(np.float32), valid, valid.astype(np.float32)


def sgbm_disparity(left: Any, right: Any, t: int, max_disparity: int, **params: Any):
    """Left disparity and confidence at frame ``t`` by OpenCV SGBM on reconstructions (inputs checked)."""
    bad = set(params) - set(SGBM_DEFAULTS) - {"rate", "convention", "span"}
    if bad:
        raise StereoInputError(f"unknown option(s) {sorted(bad)} of method 'sgbm'; choose from "
                               f"{', '.join(SGBM_DEFAULTS)}")
    opts = {**SGBM_DEFAULTS, **params}
    block = opts.pop("block_size")
    if not isinstance(block, (int, np.integer)) or block < 1 or block % 2 == 0 or block > 11:
        raise StereoInputError(f"block_size must be an odd integer in [1, 11], got {block!r}")
    method, window = opts.pop("recon"), opts.pop("window")
    uniq, lr_tol, speckle = opts.pop("uniqueness"), opts.pop("lr_tol"), opts.pop("speckle_window")
    rparams = dict(opts)
    if window is not None:
        rparams["window"] = window
    xp = get_namespace(left) if not hasattr(left, "meta") else np
    img_l = to_numpy(reconstruct(left, method, at=t, **rparams))
    img_r = to_numpy(reconstruct(right, method, at=t, **rparams))
    a, b = to_uint8_pair(img_l, img_r)
    disp, valid, conf = sgbm_images(a, b, max_disparity, block_size=int(block), uniqueness=int(uniq),
                                    lr_tol=lr_tol, speckle_window=int(speckle))
    out = np.clip(fill_holes(disp, valid), 0, max_disparity).astype(np.float32)
    if xp is not np:
        return xp.asarray(out), xp.asarray(conf)
    return out, conf
