"""Stereo calibration and lazy rectification of spike streams (OpenCV's model and conventions).

``StereoCalibration`` holds OpenCV's stereo model: intrinsics ``K1, D1, K2, D2``,
the rotation ``R`` and translation ``T`` taking left-camera coordinates to the
right camera (``x_r = R x_l + T``, as ``cv2.stereoCalibrate`` returns them) and the
image size. :meth:`StereoCalibration.rectify` remaps every spike frame through
``cv2.stereoRectify`` / ``cv2.initUndistortRectifyMap`` with nearest-neighbour
lookup, so the rectified streams stay binary; frames are remapped lazily, as
they are read. Files: OpenCV ``FileStorage`` YAML, XML or JSON with nodes
``K1`` (or ``M1``), ``D1``, ``K2`` (or ``M2``), ``D2``, ``R``, ``T`` and
``image_size`` (width, height) or ``width``/``height``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError, OutputError
from ..stream import SpikeStream
from ._input import StereoInputError

__all__ = ["StereoCalibration", "RemapSource"]


def _mat(v: Any, shape: tuple, name: str) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    if a.size != int(np.prod(shape)) or not np.isfinite(a).all():
        raise StereoInputError(f"calibration {name} must be {shape[0]}x{shape[1] if len(shape) > 1 else 1} finite "
                               f"numbers, got {a.shape}")
    return a.reshape(shape)


@dataclass(frozen=True, eq=False)
class StereoCalibration:
    """OpenCV stereo model of a two-camera rig.

    Args:
        K1, K2: 3x3 camera matrices (pixels). D1, D2: distortion coefficients (OpenCV order, any length).
        R, T: rotation (3x3) and translation (3,) from the left to the right camera (metres).
        image_size: (width, height) in pixels.
    """

    K1: np.ndarray
    D1: np.ndarray
    K2: np.ndarray
    D2: np.ndarray
    R: np.ndarray
    T: np.ndarray
    image_size: tuple[int, int]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        put = object.__setattr__
        put(self, "K1", _mat(self.K1, (3, 3), "K1"))
        put(self, "K2", _mat(self.K2, (3, 3), "K2"))
        put(self, "R", _mat(self.R, (3, 3), "R"))
        put(self, "T", _mat(self.T, (3,), "T"))
        put(self, "D1", np.asarray(self.D1, np.float64).reshape(-1))
        put(self, "D2", np.asarray(self.D2, np.float64).reshape(-1))
        w, h = (int(v) for v in self.image_size)
        if w < 1 or h < 1:
            raise StereoInputError(f"image_size must be (width, height) > 0, got {self.image_size!r}")
        put(self, "image_size", (w, h))
        if not np.allclose(self.R @ self.R.T, np.eye(3), atol=1e-6):
            raise StereoInputError("calibration R is not a rotation matrix (R R^T != I); check the file")
        if np.linalg.norm(self.T) <= 0:
            raise StereoInputError("calibration T is zero: the two cameras must be apart (baseline > 0)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StereoCalibration):
            return NotImplemented
        return self.image_size == other.image_size and all(
            np.array_equal(getattr(self, k), getattr(other, k)) for k in ("K1", "D1", "K2", "D2", "R", "T"))

    __hash__ = None  # mutable arrays inside

    # --- constructors ------------------------------------------------------------
    @classmethod
    def ideal(cls, width: int, height: int, focal: float, baseline: float) -> StereoCalibration:
        """An already rectified rig: identical pinhole cameras, no distortion, the right one ``baseline``
        metres to the right (OpenCV: ``T = (-baseline, 0, 0)``)."""
        k = np.array([[focal, 0, (width - 1) / 2], [0, focal, (height - 1) / 2], [0, 0, 1]])
        return cls(k, np.zeros(5), k.copy(), np.zeros(5), np.eye(3), np.array([-baseline, 0.0, 0.0]),
                   (width, height))

    @classmethod
    def load(cls, path: str | os.PathLike) -> StereoCalibration:
        """Read an OpenCV FileStorage file (.yml/.yaml/.xml/.json) or a spikevision JSON."""
        import cv2

        p = Path(path)
        if not p.is_file():
            raise FormatError(f"{p}: calibration file not found; give the YAML/JSON written by "
                              f"cv2.stereoCalibrate's sample or StereoCalibration.save")
        if p.suffix.lower() == ".json":
            try:
                d = json.loads(p.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                d = None
            if isinstance(d, dict) and "K1" in d and not isinstance(d["K1"], dict):
                return cls.from_dict(d)
        try:
            fs = cv2.FileStorage(str(p), cv2.FILE_STORAGE_READ)
        except cv2.error as exc:
            raise FormatError(f"{p}: not an OpenCV YAML/XML/JSON file ({str(exc).strip()[:120]}); write it with "
                              f"cv2.FileStorage or StereoCalibration.save") from None
        try:
            def node(*names):
                for n in names:
                    nd = fs.getNode(n)
                    if not nd.empty():
                        return nd.mat() if nd.isMap() or nd.mat() is not None else nd
                return None
            vals = {k: node(*names) for k, names in
                    dict(K1=("K1", "M1"), D1=("D1",), K2=("K2", "M2"), D2=("D2",), R=("R",), T=("T",)).items()}
            missing = [k for k, v in vals.items() if v is None]
            if missing:
                raise FormatError(f"{p}: calibration lacks {', '.join(missing)}; it needs K1 (or M1), D1, K2 "
                                  f"(or M2), D2, R, T and image_size")
            size = fs.getNode("image_size")
            if not size.empty():
                m = size.mat()
                wh = [int(v) for v in (np.asarray(m).ravel() if m is not None else
                                       [size.at(i).real() for i in range(size.size())])]
            else:
                wn, hn = fs.getNode("width"), fs.getNode("height")
                if wn.empty() or hn.empty():
                    raise FormatError(f"{p}: calibration lacks image_size (width, height)")
                wh = [int(wn.real()), int(hn.real())]
        finally:
            fs.release()
        return cls(image_size=(wh[0], wh[1]), **vals)

    @classmethod
    def from_dict(cls, d: dict) -> StereoCalibration:
        """From :meth:`to_dict` (lists of numbers)."""
        try:
            return cls(d.get("K1", d.get("M1")), d["D1"], d.get("K2", d.get("M2")), d["D2"], d["R"], d["T"],
                       tuple(d["image_size"]))
        except (KeyError, TypeError) as exc:
            raise FormatError(f"calibration lacks {exc}; it needs K1, D1, K2, D2, R, T and image_size") from None

    def to_dict(self) -> dict:
        """JSON-able dict (the pair container stores it as an attribute)."""
        return {"K1": self.K1.tolist(), "D1": self.D1.tolist(), "K2": self.K2.tolist(), "D2": self.D2.tolist(),
                "R": self.R.tolist(), "T": self.T.tolist(), "image_size": list(self.image_size)}

    def save(self, path: str | os.PathLike) -> None:
        """Write an OpenCV FileStorage file (.yml/.yaml/.xml) or JSON (.json), atomically."""
        from ..io._atomic import atomic_path

        p = Path(path)
        with atomic_path(p) as tmp:
            if p.suffix.lower() == ".json":
                Path(tmp).write_text(json.dumps(self.to_dict(), indent=1))
                return
            import cv2

            ext = p.suffix.lower() if p.suffix.lower() in (".yml", ".yaml", ".xml") else ".yml"
            tmp_named = str(tmp) + ext
            fs = cv2.FileStorage(tmp_named, cv2.FILE_STORAGE_WRITE)
            for k in ("K1", "D1", "K2", "D2", "R"):
                fs.write(k, getattr(self, k) if k[0] != "D" else getattr(self, k)[None])
            fs.write("T", self.T[:, None])
            fs.write("image_size", np.array(self.image_size, np.int32)[None])
            fs.release()
            try:
                os.replace(tmp_named, tmp)
            except OSError as exc:
                raise OutputError(f"{p}: cannot write the calibration: {exc}") from None

    # --- rectification -----------------------------------------------------------
    def rectification(self) -> dict:
        """``cv2.stereoRectify`` (zero disparity at infinity, alpha 0): R1, R2, P1, P2, Q and the rectified
        focal length (pixels) and baseline (metres)."""
        if "rect" not in self._cache:
            import cv2

            r1, r2, p1, p2, q, _, _ = cv2.stereoRectify(
                self.K1, self.D1[None], self.K2, self.D2[None], self.image_size, self.R, self.T.reshape(3, 1),
                flags=cv2.CALIB_ZERO_DISPARITY, alpha=0)
            self._cache["rect"] = {"R1": r1, "R2": r2, "P1": p1, "P2": p2, "Q": q, "focal": float(p1[0, 0]),
                                   "baseline": float(abs(p2[0, 3] / p2[0, 0]))}
        return self._cache["rect"]

    @property
    def focal(self) -> float:
        """Focal length of the rectified cameras (pixels)."""
        return self.rectification()["focal"]

    @property
    def baseline(self) -> float:
        """Baseline of the rectified pair (metres)."""
        return self.rectification()["baseline"]

    def maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Nearest-neighbour source pixel of every rectified pixel, per view: (H, W) int64 flat indices,
        -1 where the source lies outside the image."""
        if "maps" not in self._cache:
            import cv2

            r = self.rectification()
            w, h = self.image_size
            out = []
            for k, d, rr, pp in ((self.K1, self.D1, r["R1"], r["P1"]), (self.K2, self.D2, r["R2"], r["P2"])):
                mx, my = cv2.initUndistortRectifyMap(k, d[None], rr, pp, (w, h), cv2.CV_32FC1)
                xi, yi = np.rint(mx).astype(np.int64), np.rint(my).astype(np.int64)
                inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                out.append(np.where(inside, yi * w + xi, -1))
            self._cache["maps"] = tuple(out)
        return self._cache["maps"]

    def rectify(self, stream_pair: tuple[SpikeStream, SpikeStream]) -> tuple[SpikeStream, SpikeStream]:
        """Rectified (left, right) streams, remapped lazily frame by frame (nearest neighbour: still binary).

        Raises:
            StereoInputError: the streams do not have the calibrated image size.
        """
        left, right = stream_pair
        w, h = self.image_size
        for side, s in (("left", left), ("right", right)):
            if not isinstance(s, SpikeStream):
                raise StereoInputError(f"rectify takes two SpikeStreams; wrap arrays with sv.from_array "
                                       f"(the {side} view is a {type(s).__name__})")
            if (s.height, s.width) != (h, w):
                raise StereoInputError(f"the {side} view is {s.height}x{s.width} but the calibration is for "
                                       f"{h}x{w}; use the calibration of this rig or crop/resize the stream")
        ml, mr = self.maps()
        r = self.rectification()
        out = []
        for s, m in ((left, ml), (right, mr)):
            prov = {**s.meta.provenance, "rectified": {"focal": r["focal"], "baseline": r["baseline"]}}
            out.append(SpikeStream(RemapSource(s, m), s.meta.__class__(**{**s.meta.__dict__, "provenance": prov})))
        return out[0], out[1]


class RemapSource:
    """Frames of a stream remapped through a nearest-neighbour index map (lazy, per read)."""

    def __init__(self, base: SpikeStream, index: np.ndarray):
        self.base, self.index = base, np.asarray(index, np.int64)
        self.n_frames = len(base)
        self.height, self.width = self.index.shape
        self._flat = self.index.reshape(-1)
        self._inside = self._flat >= 0
        self._src = np.where(self._inside, self._flat, 0)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        src = self.base[start:stop].unpack().reshape(stop - start, -1)
        got = (src[:, self._src] & self._inside).astype(np.uint8).reshape(stop - start, self.height, self.width)
        if out is not None:
            out[...] = got
            return out
        return got

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        return _bits.pack_frames(self.read_frames(start, stop))

    def close(self) -> None:
        self.base.close()
