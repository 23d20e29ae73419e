"""Writing disparity and depth maps: 16-bit PNG, colour-mapped PNG/MP4, .npy (all atomic).

16-bit PNG scale (the KITTI convention): ``value = round(256 * x)`` with x the
disparity in pixels (or, for depth, the depth in metres), 0 = no value
(non-finite or non-positive depth); read back with ``png / 256``. Colour maps use
OpenCV's "turbo" map over ``[0, vmax]`` (near = red for disparity).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..errors import OutputError
from ..io._atomic import PendingFile, atomic_path

__all__ = ["colorize", "to_png16", "write_png16", "write_color_png", "write_npy", "ColorVideoWriter", "PNG_SCALE"]

#: 16-bit PNG value per pixel of disparity (or per metre of depth)
PNG_SCALE = 256.0


def colorize(values: Any, vmax: float, vmin: float = 0.0) -> np.ndarray:
    """(H, W, 3) uint8 RGB turbo colour map of ``values`` over [vmin, vmax]; non-finite values are black."""
    import cv2

    v = np.asarray(to_numpy(values), np.float64)
    span = max(float(vmax) - float(vmin), 1e-12)
    u8 = np.clip(np.rint((np.nan_to_num(v, nan=vmin, posinf=vmax, neginf=vmin) - vmin) / span * 255), 0, 255)
    rgb = cv2.applyColorMap(u8.astype(np.uint8), cv2.COLORMAP_TURBO)[..., ::-1]
    rgb = np.ascontiguousarray(rgb)
    rgb[~np.isfinite(v)] = 0
    return rgb


def to_png16(values: Any) -> np.ndarray:
    """uint16 ``round(256 * x)``, 0 where x is not finite or <= 0, clipped to 65535."""
    v = np.asarray(to_numpy(values), np.float64)
    ok = np.isfinite(v) & (v > 0)
    return np.where(ok, np.clip(np.rint(v * PNG_SCALE), 0, 65535), 0).astype(np.uint16)


def _imwrite(path: Path, img: np.ndarray) -> Path:
    import cv2

    with atomic_path(path, suffix=".part.png") as tmp:
        if not cv2.imwrite(str(tmp), img):
            raise OutputError(f"cannot write {path}: OpenCV failed to encode the PNG; check the path and free space")
    return path


def write_png16(path: str | os.PathLike, values: Any) -> Path:
    """Write a 16-bit PNG (see :data:`PNG_SCALE`)."""
    return _imwrite(Path(path), to_png16(values))


def write_color_png(path: str | os.PathLike, values: Any, vmax: float) -> Path:
    """Write a colour-mapped 8-bit RGB PNG."""
    return _imwrite(Path(path), colorize(values, vmax)[..., ::-1])


def write_npy(path: str | os.PathLike, values: Any) -> Path:
    """Write float32 ``.npy``."""
    p = Path(path)
    with atomic_path(p) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, np.asarray(to_numpy(values), np.float32))
    return p


class ColorVideoWriter:
    """Colour-mapped video (OpenCV, ``mp4v``) of disparity/depth maps over [0, vmax], written whole or not at all."""

    def __init__(self, path: str | os.PathLike, vmax: float, fps: float = 30.0, codec: str = "mp4v",
                 overwrite: bool = True):
        self.path, self.vmax, self.fps, self.codec = Path(path), float(vmax), float(fps), codec
        self._pending = PendingFile(self.path, overwrite, suffix=f".part{self.path.suffix}")
        self._vw = None
        self.count = 0

    def write(self, values: Any) -> None:
        import cv2

        bgr = colorize(values, self.vmax)[..., ::-1]
        if self._vw is None:
            h, w = bgr.shape[:2]
            self._vw = cv2.VideoWriter(str(self._pending.tmp), cv2.VideoWriter_fourcc(*self.codec), self.fps, (w, h),
                                       isColor=True)
            if not self._vw.isOpened():
                self.abort()
                raise OutputError(f"OpenCV cannot encode {self.path.suffix} with codec {self.codec!r} here; write "
                                  f".h5 or .npy instead")
        self._vw.write(np.ascontiguousarray(bgr))
        self.count += 1

    def close(self) -> Path:
        if self._vw is not None:
            self._vw.release()
            self._vw = None
        if self.count == 0:
            self._pending.discard()
            raise OutputError(f"no maps to write to {self.path}; check the frame range")
        return self._pending.commit()

    def abort(self) -> None:
        if self._vw is not None:
            self._vw.release()
            self._vw = None
        self._pending.discard()

    def __enter__(self) -> ColorVideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
