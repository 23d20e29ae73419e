"""Tone mapping of linear HDR radiance and HDR export (float32 TIFF, OpenEXR, HDF5 stack).

``"mu"``: the mu-law ``T(x) = log(1 + mu x) / log(1 + mu)`` on ``x = L / max`` (mu = 5000, the
HDR-unwrapping literature's PSNR-mu convention); ``"reinhard"`` and ``"drago"``: OpenCV's
``createTonemapReinhard`` / ``createTonemapDrago`` (Reinhard et al. 2002, Drago et al. 2003).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import get_namespace, like, to_numpy
from ..errors import FormatError, OutputError
from ..io._atomic import atomic_path

__all__ = ["tonemap", "mu_law", "save_hdr", "TONEMAPS", "HDR_FORMATS"]

TONEMAPS = ("mu", "reinhard", "drago")
HDR_FORMATS = (".tif", ".tiff", ".exr", ".h5", ".hdf5")


def mu_law(x: Any, mu: float = 5000.0) -> Any:
    """``log(1 + mu x) / log(1 + mu)`` on x in [0, 1] (clipped)."""
    xp = get_namespace(x)
    return (xp.log1p(mu * xp.clip(x, 0, 1)) / np.log1p(mu)).astype(xp.float32)


def tonemap(hdr: Any, *, method: str = "mu", mu: float = 5000.0, peak: float | None = None) -> Any:
    """Tone-map linear radiance (H, W) or (H, W, 3) to display values in [0, 1] float32.

    Args:
        hdr: linear radiance (>= 0), any backend.
        method: "mu" (mu-law, default), "reinhard" or "drago" (OpenCV).
        mu: the mu-law compression.
        peak: the radiance mapped to 1 (default: the image maximum).
    """
    if method not in TONEMAPS:
        raise ValueError(f"unknown tone map {method!r}; choose one of {', '.join(TONEMAPS)}")
    if not mu > 0:
        raise ValueError(f"mu must be > 0, got {mu}")
    xp = get_namespace(hdr)
    top = float(xp.max(hdr)) if peak is None else float(peak)
    if not top > 0:
        return xp.zeros(hdr.shape, xp.float32)
    if method == "mu":
        return mu_law(hdr / top, mu)
    import cv2

    a = np.clip(to_numpy(hdr).astype(np.float32) / top, 0, None)
    rgb = a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)
    op = cv2.createTonemapReinhard(1.0, 0.0, 0.0, 0.0) if method == "reinhard" else cv2.createTonemapDrago(1.0)
    out = np.nan_to_num(op.process(np.ascontiguousarray(rgb)), nan=0.0)
    out = np.clip(out if a.ndim == 3 else out[..., 0], 0, 1).astype(np.float32)
    return like(out, hdr)


def save_hdr(path: str | os.PathLike, hdr: Any, *, overwrite: bool = True, attrs: dict | None = None) -> Path:
    """Write linear radiance atomically: ``.tif``/``.tiff`` (float32 TIFF), ``.exr`` (OpenEXR) or
    ``.h5``/``.hdf5`` (a (N, H, W[, 3]) float32 stack in dataset ``radiance``; a single image is stored as N = 1).

    Colour images are (H, W, 3) RGB. TIFF and EXR take one image; use HDF5 for a sequence.
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in HDR_FORMATS:
        raise FormatError(f"{p}: unknown HDR format {ext!r}; name the file {', '.join(HDR_FORMATS)}")
    a = np.ascontiguousarray(to_numpy(hdr), dtype=np.float32)
    if ext in (".h5", ".hdf5"):
        import h5py

        stack = a[None] if (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)) else a
        with atomic_path(p, overwrite=overwrite) as tmp:
            with h5py.File(tmp, "w") as f:
                ds = f.create_dataset("radiance", data=stack, compression="gzip", compression_opts=1)
                ds.attrs["units"] = "linear radiance"
                for k, v in (attrs or {}).items():
                    ds.attrs[k] = v
        return p
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] != 3):
        raise FormatError(f"{p}: TIFF/EXR hold one (H, W) or (H, W, 3) image, got {a.shape}; write a sequence "
                          f"to .h5")
    if ext == ".exr":
        os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    import cv2

    img = a[..., ::-1].copy() if a.ndim == 3 else a  # OpenCV writes BGR
    with atomic_path(p, overwrite=overwrite, suffix=".part" + ext) as tmp:
        try:
            ok = cv2.imwrite(str(tmp), img)
        except cv2.error as exc:
            ok = False
            why = str(exc).strip().splitlines()[-1]
        else:
            why = "the encoder refused it"
        if not ok:
            raise OutputError(f"{p}: OpenCV could not write {ext} ({why}); write .tif or .h5 instead")
    return p
