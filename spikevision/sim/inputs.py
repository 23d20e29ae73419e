"""Radiance inputs of the simulator as keyframes on the readout clock.

Every input (an array, a callable or scene, an image, a video file) becomes a
:class:`KeyframeInput`: a sequence of linear-radiance keyframes at known times
measured in readout ticks (spike frames). Between keyframes the simulator
interpolates linearly per tick, so a 30 fps video drives a 20 kHz stream
without temporal aliasing; a keyframe per tick is used as is.

Time convention: spike frame ``j`` integrates the radiance at ``t = j`` (in
ticks), i.e. ``scene.radiance(j)`` or its interpolation between keyframes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, SpikevisionError
from .photometry import srgb_to_linear, to_luminance

__all__ = ["KeyframeInput", "ArrayInput", "CallableInput", "VideoInput", "SceneInputError", "frames_alias", "as_input",
           "read_image", "check_radiance"]


class SceneInputError(SpikevisionError, ValueError):
    """A radiance input cannot be simulated (wrong shape, negative or non-finite values, ...)."""


def frames_alias(n_frames: int | None, frames: int | None, default: int | None = None) -> int | None:
    """``n_frames``, or its alias ``frames`` (the name scenes used first) when that is given.

    Args:
        n_frames: the value of ``n_frames`` (``default`` when the caller left it out).
        frames: the value of the alias, None when not given.
        default: the default of ``n_frames``; ``frames`` overrides it.

    Raises:
        SceneInputError: when both are given with different values.
    """
    if frames is None:
        return default if n_frames is None else n_frames
    if n_frames is not None and n_frames != default and int(n_frames) != int(frames):
        raise SceneInputError(f"n_frames={n_frames} and frames={frames} disagree; frames is an alias of "
                              f"n_frames, pass only n_frames")
    return frames


def check_radiance(a: np.ndarray, what: str = "radiance") -> np.ndarray:
    """Validate a linear radiance array: finite and non-negative; return it as float32."""
    a = np.asarray(a)
    if a.dtype.kind not in "fiub":
        raise SceneInputError(f"{what} must be a numeric array, got dtype {a.dtype}")
    a = a.astype(np.float32, copy=False)
    if not np.isfinite(a).all():
        raise SceneInputError(f"{what} has NaN or infinite values; replace them (np.nan_to_num) before simulating")
    if a.size and a.min() < 0:
        raise SceneInputError(f"{what} has negative values (min {float(a.min()):g}); linear radiance is >= 0: "
                              f"clip it (np.clip(x, 0, None)) or convert sRGB codes with srgb_to_linear")
    return a


class KeyframeInput:
    """Linear radiance keyframes at tick times ``times()``; subclasses provide ``frame(k)``.

    Attributes:
        height, width: frame size.
        channels: 1 (mono, frames are (H, W)) or 3 (linear RGB, frames are (H, W, 3)).
        n_frames: spike frames to simulate by default.
        description: JSON-able provenance of the input.
    """

    height: int
    width: int
    channels: int = 1
    n_frames: int
    description: dict

    def n_keyframes(self) -> int:
        raise NotImplementedError

    def time(self, k: int) -> float:
        """Tick time of keyframe ``k``."""
        raise NotImplementedError

    def frame(self, k: int) -> np.ndarray:
        """Keyframe ``k`` as float32 linear radiance."""
        raise NotImplementedError

    def segments(self, start: int, stop: int) -> Iterator[tuple[int, int, int, float, float]]:
        """Yield (j0, j1, k, t_k, t_k1) covering ticks [start, stop): ticks j0..j1-1 interpolate between
        keyframes k and k+1 at weight (j - t_k) / (t_k1 - t_k); t_k1 = inf means hold keyframe k."""
        n = self.n_keyframes()
        k = self._segment_of(start, n)
        j = start
        while j < stop:
            while k + 1 < n and self.time(k + 1) <= j:
                k += 1
            tk = self.time(k)
            tk1 = self.time(k + 1) if k + 1 < n else math.inf
            end = stop if tk1 == math.inf else min(stop, math.ceil(tk1))
            yield j, end, k, tk, tk1
            j = end

    def _segment_of(self, j: int, n: int) -> int:
        lo, hi = 0, n - 1
        while lo < hi:  # last keyframe with time <= j
            mid = (lo + hi + 1) // 2
            if self.time(mid) <= j:
                lo = mid
            else:
                hi = mid - 1
        return lo


class ArrayInput(KeyframeInput):
    """A (T, H, W) or (T, H, W, 3) radiance array (or one (H, W[, 3]) image) at ``input_fps``."""

    def __init__(self, radiance: Any, fps: float, input_fps: float | None = None, n_frames: int | None = None,
                 rgb: bool = False):
        from ..backend import to_numpy

        a = np.asarray(to_numpy(radiance))
        static = a.ndim == 2 or (a.ndim == 3 and bool(rgb) and a.shape[2] == 3)
        if static:
            a = a[None]
        if a.ndim == 4 and a.shape[3] != 3:
            raise SceneInputError(f"4-D radiance must be (T, H, W, 3) RGB, got shape {a.shape}")
        if a.ndim not in (3, 4) or a.shape[0] == 0 or a.shape[1] == 0 or a.shape[2] == 0:
            raise SceneInputError(f"radiance must be (T, H, W), (T, H, W, 3), (H, W) or (H, W, 3), "
                                  f"got shape {a.shape}")
        if a.dtype == np.uint8:
            raise SceneInputError("radiance is uint8: 8-bit codes are sRGB, not linear radiance; convert with "
                                  "spikevision.sim.srgb_to_linear(image, exposure=...) first")
        self.data = check_radiance(a)
        self.height, self.width = int(a.shape[1]), int(a.shape[2])
        self.channels = 3 if a.ndim == 4 else 1
        self.static = static
        input_fps = fps if input_fps is None else float(input_fps)
        if not input_fps > 0:
            raise SceneInputError(f"input_fps must be positive, got {input_fps}")
        self.step = fps / input_fps
        if static and n_frames is None:
            raise SceneInputError("a still image needs n_frames (how many spike frames to simulate), "
                                  "e.g. simulate(image, n_frames=2000)")
        default = round(len(self.data) * self.step)
        self.n_frames = int(n_frames if n_frames is not None else default)
        self.description = {"kind": "array", "shape": list(a.shape), "input_fps": input_fps}

    def n_keyframes(self) -> int:
        return len(self.data)

    def time(self, k: int) -> float:
        return k * self.step

    def frame(self, k: int) -> np.ndarray:
        return self.data[k]


class CallableInput(KeyframeInput):
    """A callable ``f(t) -> radiance`` (t in ticks) sampled every ``interval`` ticks.

    Scenes (:mod:`spikevision.sim.scenes`) are callables with ``frames`` and ``keyframe_interval``.
    """

    def __init__(self, fn: Callable[[float], np.ndarray], n_frames: int, interval: float = 1.0):
        if n_frames is None or n_frames < 0:
            raise SceneInputError("a callable radiance needs n_frames (how many spike frames to simulate)")
        if not interval > 0:
            raise SceneInputError(f"keyframe interval must be positive, got {interval}")
        self.fn = fn
        self.interval = float(interval)
        self.n_frames = int(n_frames)
        first = self._sample(0)
        self._cache = (0, first)
        self.height, self.width = first.shape[:2]
        self.channels = 3 if first.ndim == 3 else 1
        params = getattr(fn, "params", None)
        self.description = {"kind": "scene", **params()} if callable(params) else {
            "kind": "callable", "name": getattr(fn, "__qualname__", type(fn).__name__)}
        self.description["keyframe_interval"] = self.interval

    def n_keyframes(self) -> int:
        return max(1, math.ceil(max(self.n_frames - 1, 0) / self.interval) + 1)

    def time(self, k: int) -> float:
        return k * self.interval

    def _sample(self, k: int) -> np.ndarray:
        """Call the function at keyframe ``k``'s time and validate what it returns."""
        a = np.asarray(self.fn(self.time(k)))
        if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3):
            raise SceneInputError(f"the radiance callable must return (H, W) or (H, W, 3), got shape {a.shape}")
        return check_radiance(a, f"radiance at t={self.time(k):g}")

    def frame(self, k: int) -> np.ndarray:
        if self._cache[0] == k:
            return self._cache[1]
        a = self._sample(k)
        if a.shape[:2] != (self.height, self.width):
            raise SceneInputError(f"the radiance callable changed frame size to {a.shape[:2]} at t={self.time(k):g}; "
                                  f"it must return {self.height}x{self.width} every time")
        self._cache = (k, a)
        return a


class VideoInput(KeyframeInput):
    """A video file read with OpenCV, converted from 8-bit sRGB to linear radiance.

    Frames are read sequentially (keyframes must be requested in increasing order,
    as the simulator does) and converted with :func:`srgb_to_linear` times ``exposure``.
    """

    def __init__(self, path: str | os.PathLike, fps: float, exposure: float = 1.0, color: bool = False,
                 input_fps: float | None = None, n_frames: int | None = None, size: tuple[int, int] | None = None):
        import cv2

        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"{p}: no such video file; check the path")
        cap = cv2.VideoCapture(str(p))
        if not cap.isOpened():
            raise FormatError(f"{p}: OpenCV cannot decode this video; convert it to mp4/avi (H.264/MJPEG) first")
        vfps = input_fps or cap.get(cv2.CAP_PROP_FPS) or 0.0
        if not vfps > 0:
            raise FormatError(f"{p}: the video does not state its frame rate; pass input_fps (CLI: --input-fps)")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.cap, self.path, self.exposure, self.color, self.size = cap, p, exposure, color, size
        self._k, self._frames = -1, {}
        first = self.frame(0)
        if count <= 0:
            raise FormatError(f"{p}: the video has no frames")
        self.count = count
        self.height, self.width = first.shape[:2]
        self.channels = 3 if color else 1
        self.step = fps / vfps
        self.n_frames = int(n_frames if n_frames is not None else round(count * self.step))
        self.description = {"kind": "video", "path": str(p), "input_fps": vfps, "exposure": exposure,
                            "color": color, "frames": count}

    def n_keyframes(self) -> int:
        return self.count

    def close(self) -> None:
        """Release the video file."""
        cap = getattr(self, "cap", None)
        if cap is not None:
            cap.release()

    def __del__(self):
        self.close()

    def time(self, k: int) -> float:
        return k * self.step

    def frame(self, k: int) -> np.ndarray:
        import cv2

        if k in self._frames:
            return self._frames[k]
        if k < self._k:
            self.cap.set(cv2.CAP_PROP_POS_FRAMES, k)
            self._k = k - 1
        img = None
        while self._k < k:
            ok, img = self.cap.read()
            if not ok:
                raise FormatError(f"{self.path}: could not decode frame {self._k + 1}; the file may be cut off")
            self._k += 1
        lin = _to_linear(img, self.exposure, self.color, self.size)
        self._frames = {k: lin, **{j: v for j, v in self._frames.items() if j == k - 1}}
        return lin


def as_input(radiance: Any, fps: float, *, n_frames: int | None = None, input_fps: float | None = None,
             exposure: float = 1.0, color: bool = False, keyframe_interval: float | None = None,
             size: tuple[int, int] | None = None) -> KeyframeInput:
    """Turn any supported radiance input into a :class:`KeyframeInput`.

    Accepts a KeyframeInput, a scene or callable ``f(t)`` (t in ticks), a (T, H, W[, 3]) or (H, W[, 3])
    float array (linear), or a path to an image (sRGB, converted) or a video file; ``size`` (H, W) resizes
    image and video files (area interpolation of the sRGB codes).
    """
    if size is not None and not isinstance(radiance, (str, os.PathLike)):
        raise SceneInputError("size applies to image and video files; resample arrays and scenes yourself")
    if isinstance(radiance, KeyframeInput):
        return radiance
    if isinstance(radiance, (str, os.PathLike)):
        p = Path(radiance)
        if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
            return ArrayInput(read_image(p, exposure=exposure, color=color, size=size), fps, n_frames=n_frames,
                              rgb=color)
        return VideoInput(p, fps, exposure=exposure, color=color, input_fps=input_fps, n_frames=n_frames,
                          size=size)
    if callable(radiance):
        n = n_frames if n_frames is not None else getattr(radiance, "n_frames", getattr(radiance, "frames", None))
        interval = keyframe_interval or getattr(radiance, "keyframe_interval", 1.0)
        return CallableInput(radiance, n, interval)
    return ArrayInput(radiance, fps, input_fps=input_fps, n_frames=n_frames, rgb=color)


def read_image(path: str | os.PathLike, exposure: float = 1.0, color: bool = False,
               size: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image file as linear radiance: (H, W) luminance or (H, W, 3) RGB (float32), resized to ``size``."""
    import cv2

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such image file; check the path")
    img = cv2.imread(str(p), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FormatError(f"{p}: OpenCV cannot read this image; use PNG, JPEG, BMP or TIFF")
    return _to_linear(img, exposure, color, size)


def _to_linear(img: np.ndarray, exposure: float, color: bool, size: tuple[int, int] | None) -> np.ndarray:
    """An OpenCV image or video frame (gray or BGR(A); sRGB codes or linear floats) as linear radiance.

    Resized to ``size`` (H, W) by area interpolation of the codes; (H, W) luminance, or (H, W, 3) RGB if ``color``.
    """
    import cv2

    if size is not None:
        img = cv2.resize(img, (int(size[1]), int(size[0])), interpolation=cv2.INTER_AREA)
    if img.ndim == 3:
        img = img[..., :3][..., ::-1]  # BGR(A) -> RGB
    if img.dtype.kind == "f":
        lin = img.astype(np.float32) * exposure  # float images (EXR/TIFF) are taken as linear already
    else:
        lin = srgb_to_linear(img, exposure)
    if color and lin.ndim == 2:
        lin = np.repeat(lin[..., None], 3, axis=2)
    if not color and lin.ndim == 3:
        lin = to_luminance(lin)
    return lin
