"""The stereo-pair container: two spike streams and their rig in one HDF5 file.

Layout (documented in the README)::

    /            attrs spikevision_format = "stereo_pair", spikevision_version = 1,
                       calibration (JSON of StereoCalibration.to_dict(), or ""),
                       focal (px), baseline (m) of the rectified pair (0 when unknown),
                       rectified (bool: the streams are already rectified)
    /left/spikes   (T, ceil(H*W/8)) uint8, canonical packed frames (the spikestream bit order),
    /right/spikes  chunked and LZF-compressed; each group carries the spikestream attributes
                   height, width, n_frames, fps, t0, flip, sensor, cfa, provenance, bit_order.

The file is written to a temporary name and renamed when complete. ``sv.open`` on
a pair file says to use :func:`open_pair`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError
from ..stream import SpikeStream, StreamMeta
from ._input import StereoInputError, check_pair
from .calibration import StereoCalibration

__all__ = ["StereoPair", "PairedStream", "open_pair", "open_viewable", "save_pair", "PAIR_FORMAT", "is_pair_file"]

PAIR_FORMAT = "stereo_pair"
#: added to the seed of a simulated pair for the right camera's sensor (its own fixed pattern and draws)
PAIR_SENSOR_SEED = 100_000
PAIR_VERSION = 1
_FORMAT_ATTR = "spikevision_format"


@dataclass
class StereoPair:
    """Two simultaneous spike streams and their rig.

    Attributes:
        left, right: the streams (lazy).
        calibration: the rig's :class:`StereoCalibration`, or None.
        focal, baseline: rectified focal length (px) and baseline (m), or None.
        rectified: whether the streams are already rectified.
    """

    left: SpikeStream
    right: SpikeStream
    calibration: StereoCalibration | None = None
    focal: float | None = None
    baseline: float | None = None
    rectified: bool = True

    def rectify(self) -> StereoPair:
        """The rectified pair (itself when already rectified)."""
        if self.rectified:
            return self
        if self.calibration is None:
            raise StereoInputError("this pair is not rectified and has no calibration; pass one to "
                                   "StereoCalibration.rectify")
        left, right = self.calibration.rectify((self.left, self.right))
        return StereoPair(left, right, self.calibration, self.calibration.focal, self.calibration.baseline, True)

    def as_stream(self) -> PairedStream:
        """The left view as a :class:`PairedStream` that carries this pair (for single-stream tools such
        as the viewer: every stream operation sees the left camera, stereo views find ``.stereo_pair``)."""
        return PairedStream(self)

    def close(self) -> None:
        self.left.close()
        self.right.close()

    def __enter__(self) -> StereoPair:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):   # left, right = pair
        return iter((self.left, self.right))


class PairedStream(SpikeStream):
    """The left view of a :class:`StereoPair` (a plain SpikeStream of it) with the pair as ``stereo_pair``."""

    def __init__(self, pair: StereoPair):
        left = pair.left
        super().__init__(left.source, left.meta, left._start, left._stop, left._step)
        self.stereo_pair = pair

    def close(self) -> None:
        self.stereo_pair.close()


class _GroupSource:
    """Packed frames of ``/<group>/spikes`` in a pair file, read lazily (picklable: reopened by path)."""

    def __init__(self, path: str, group: str, n_frames: int, height: int, width: int):
        self.path, self.group = path, group
        self.n_frames, self.height, self.width = n_frames, height, width
        self._f = None

    def _ds(self):
        if self._f is None:
            import h5py

            self._f = h5py.File(self.path, "r")
        return self._f[self.group]["spikes"]

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        if not 0 <= start <= stop <= self.n_frames:
            raise IndexError(f"frames [{start}, {stop}) outside the {self.n_frames} frames of {self.group}")
        return np.asarray(self._ds()[start:stop], dtype=np.uint8)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        return _bits.unpack_frames(self.read_packed(start, stop), self.height, self.width, out=out)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def __getstate__(self):
        return {**self.__dict__, "_f": None}


def is_pair_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an HDF5 stereo-pair container."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            fmt = f.attrs.get(_FORMAT_ATTR)
    except (OSError, ValueError):
        return False
    return (fmt.decode() if isinstance(fmt, bytes) else fmt) == PAIR_FORMAT


def save_pair(path: str | os.PathLike, left: SpikeStream, right: SpikeStream, *,
              calibration: StereoCalibration | None = None, focal: float | None = None,
              baseline: float | None = None, rectified: bool = True, overwrite: bool = False,
              block_frames: int = 1024, progress: Callable[[int], Any] | None = None) -> Path:
    """Write two streams (and their rig) into one pair file, atomically, block by block.

    Args:
        path: output ``.h5``.
        left, right: SpikeStreams (or (T, H, W) arrays) of the same size and rate.
        calibration: the rig, stored as JSON (focal/baseline default to its rectified values).
        focal, baseline: rectified focal length (px) and baseline (m).
        rectified: whether the streams are already rectified.
        overwrite: replace an existing file.
        progress: called with the number of frames written (both views together).
    """
    import h5py

    from ..io._atomic import atomic_path, check_output_path
    from ..stream import from_array

    left = left if isinstance(left, SpikeStream) else from_array(np.asarray(left) != 0)
    right = right if isinstance(right, SpikeStream) else from_array(np.asarray(right) != 0, fps=left.fps)
    n, h, w = check_pair(left, right)
    if focal is None and calibration is not None:
        focal, baseline = calibration.focal, calibration.baseline
    p = Path(path)
    check_output_path(p, overwrite=overwrite)
    fb = _bits.frame_nbytes(h, w)
    chunk = max(1, min(block_frames, (1 << 20) // fb))
    with atomic_path(p) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs[_FORMAT_ATTR] = PAIR_FORMAT
            f.attrs["spikevision_version"] = PAIR_VERSION
            f.attrs["calibration"] = json.dumps(calibration.to_dict()) if calibration is not None else ""
            f.attrs["focal"] = float(focal or 0.0)
            f.attrs["baseline"] = float(baseline or 0.0)
            f.attrs["rectified"] = bool(rectified)
            for name, s in (("left", left), ("right", right)):
                g = f.create_group(name)
                ds = g.create_dataset("spikes", shape=(n, fb), dtype=np.uint8, chunks=(max(1, min(chunk, n)), fb),
                                      compression="lzf")
                m = s.meta
                g.attrs.update({"height": h, "width": w, "n_frames": n, "fps": s.fps, "t0": s.t0,
                                "flip": bool(m.flip), "sensor": m.sensor or "", "cfa": m.cfa or "",
                                "provenance": json.dumps(m.provenance, default=str),
                                "bit_order": "canonical: pixel k = r*W + c is bit k%8 (LSB first) of byte k//8"})
                for a in range(0, n, block_frames):
                    b = min(n, a + block_frames)
                    ds[a:b] = s[a:b].packed()
                    if progress:
                        progress(b - a)
    return p


def open_viewable(path: str | os.PathLike, right: str | os.PathLike | None = None, **read_options: Any) -> SpikeStream:
    """What a single-stream tool opens: ``sv.open(path)``, or for a pair file / a ``right`` file the left view
    as a :class:`PairedStream` carrying the pair (its focal length and baseline when recorded)."""
    import spikevision as sv

    if right is not None:
        left_s, right_s = sv.open(path, **read_options), sv.open(right, **read_options)
        check_pair(left_s, right_s)
        return StereoPair(left_s, right_s).as_stream()
    if str(path).lower().endswith((".h5", ".hdf5")) and is_pair_file(path):
        return open_pair(path).rectify().as_stream()
    return sv.open(path, **read_options)


def open_pair(path: str | os.PathLike) -> StereoPair:
    """Open a pair file lazily as a :class:`StereoPair` (``left, right = open_pair(p)`` also works).

    Raises:
        FormatError: not a pair file, or its views are damaged or disagree.
    """
    import h5py

    p = Path(path)
    if not p.is_file():
        raise FormatError(f"{p}: no such file; write a pair with spikevision.stereo.save_pair or "
                          f"`spikevision simulate --scene stereo OUT.h5`")
    try:
        f = h5py.File(p, "r")
    except OSError as exc:
        raise FormatError(f"{p}: not an HDF5 file ({exc}); a stereo pair is the .h5 written by save_pair") from None
    with f:
        fmt = f.attrs.get(_FORMAT_ATTR)
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != PAIR_FORMAT:
            raise FormatError(f"{p}: not a stereo pair file (format {fmt!r}); open a single stream with sv.open, "
                              f"or give the left and right files separately")
        views, metas = {}, {}
        for name in ("left", "right"):
            if name not in f or "spikes" not in f[name]:
                raise FormatError(f"{p}: the pair lacks /{name}/spikes; the file is damaged, write it again")
            g, ds = f[name], f[name]["spikes"]
            try:
                h, w, n = int(g.attrs["height"]), int(g.attrs["width"]), int(g.attrs["n_frames"])
                fps, t0 = float(g.attrs["fps"]), float(g.attrs.get("t0", 0.0))
            except (KeyError, TypeError, ValueError) as exc:
                raise FormatError(f"{p}: /{name} lacks a valid attribute {exc}; write the pair again") from None
            if ds.ndim != 2 or ds.shape[1] != _bits.frame_nbytes(h, w) or ds.shape[0] < n or n < 0:
                raise FormatError(f"{p}: /{name}/spikes is {ds.shape} but {n} frames of {h}x{w} are recorded; "
                                  f"the file is damaged, write it again")
            prov_text = g.attrs.get("provenance", "{}")
            try:
                prov = json.loads(prov_text)
            except (json.JSONDecodeError, TypeError):
                prov = {"raw": str(prov_text)[:1000]}
            sensor = str(g.attrs.get("sensor", "")) or None
            cfa = str(g.attrs.get("cfa", "")) or None
            metas[name] = StreamMeta(fps=fps, t0=t0, sensor=sensor, flip=bool(g.attrs.get("flip", False)), cfa=cfa,
                                     provenance={"format": "stereo_pair", "path": str(p), "view": name,
                                                 "source": prov})
            views[name] = (n, h, w)
        cal_text = f.attrs.get("calibration", "")
        cal = StereoCalibration.from_dict(json.loads(cal_text)) if cal_text else None
        focal, baseline = float(f.attrs.get("focal", 0.0)) or None, float(f.attrs.get("baseline", 0.0)) or None
        rectified = bool(f.attrs.get("rectified", True))
    streams = [SpikeStream(_GroupSource(str(p), k, *views[k]), metas[k]) for k in ("left", "right")]
    check_pair(*streams)
    return StereoPair(streams[0], streams[1], cal, focal, baseline, rectified)
