"""The ``.dat`` sidecar: ``rec.dat.json`` records what a header-less ``.dat`` cannot hold.

spikevision's ``.dat`` writers keep it next to the file: the layout (so a cut-off or
oddly sized file opens without options), the readout rate, the start time, the sensor and
how many frames are committed. Recordings rewrite it atomically (new temporary file,
rename) after every commit; sealed writes put it in place with the file. Readers treat it
as a hint: a damaged, foreign or stale sidecar is ignored with a warning.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._source import StoredLayout
from ._exclusive import replace_bytes

__all__ = ["Sidecar", "sidecar_path", "write_sidecar", "read_sidecar", "FORMAT", "VERSION"]

FORMAT = "spikevision.dat-sidecar"
VERSION = 1
MAX_BYTES = 1 << 16


def sidecar_path(path: str | os.PathLike) -> Path:
    """``rec.dat`` -> ``rec.dat.json``."""
    p = Path(path)
    return p.with_name(p.name + ".json")


@dataclass(frozen=True)
class Sidecar:
    """The fields of a sidecar (JSON object, ``format``/``version`` added on writing).

    Attributes:
        height, width: display size; head_columns: extra stored columns per row (dropped);
            frame_header_bytes: bytes before every frame (skipped); flip: rows stored bottom-up.
        fps: readout rate in Hz (None: unknown); t0: time of frame 0 in seconds.
        sensor, cfa: as in :class:`~spikevision.stream.StreamMeta`.
        frames: frames committed (whole, fsynced) when the sidecar was written.
        complete: the writer closed the file (False: a recording in progress or cut off).
        start_time: wall-clock start of the recording (ISO 8601), if any.
        camera: backend facts (URL, serial, first frame index, gaps) for recordings.
    """

    height: int
    width: int
    flip: bool = True
    head_columns: int = 0
    frame_header_bytes: int = 0
    fps: float | None = None
    t0: float = 0.0
    sensor: str | None = None
    cfa: str | None = None
    frames: int = 0
    complete: bool = False
    start_time: str | None = None
    camera: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def layout(self) -> StoredLayout:
        return StoredLayout(self.height, self.width, self.width + self.head_columns, self.frame_header_bytes,
                            self.flip)

    def to_bytes(self) -> bytes:
        return (json.dumps({"format": FORMAT, "version": VERSION, **asdict(self)}, indent=1, default=str)
                + "\n").encode()


def write_sidecar(dat_path: str | os.PathLike, sidecar: Sidecar, *, fsync: bool = True) -> None:
    """Replace ``dat_path``'s sidecar atomically (a symlink there is replaced, never followed)."""
    replace_bytes(sidecar_path(dat_path), sidecar.to_bytes(), fsync=fsync)


def _int(d: dict, key: str, low: int) -> int:
    v = d.get(key, 0 if low == 0 else None)
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ValueError(f"{key} must be an integer >= {low}, got {v!r}")
    return v


def _parse(d: Any) -> Sidecar:
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise ValueError(f"not a spikevision .dat sidecar (no \"format\": \"{FORMAT}\")")
    version = d.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}")
    if version > VERSION:
        raise ValueError(f"written by a newer spikevision (sidecar version {version}, this one reads "
                         f"{VERSION}); update spikevision")
    h, w = _int(d, "height", 1), _int(d, "width", 1)
    head, header = _int(d, "head_columns", 0), _int(d, "frame_header_bytes", 0)
    if (h * (w + head)) % 8:
        raise ValueError(f"a {h}x{w + head} frame is not a whole number of bytes")
    flip = d.get("flip", True)
    if not isinstance(flip, bool):
        raise ValueError(f"flip must be true or false, got {flip!r}")
    fps = d.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, (int, float))
                            or not (math.isfinite(fps) and fps > 0)):
        raise ValueError(f"fps must be a positive number or null, got {fps!r}")
    t0 = d.get("t0", 0.0)
    if t0 is None:
        t0 = 0.0
    if isinstance(t0, bool) or not isinstance(t0, (int, float)) or not math.isfinite(t0):
        raise ValueError(f"t0 must be a number, got {t0!r}")
    sensor, cfa, start = d.get("sensor"), d.get("cfa"), d.get("start_time")
    for key, v in (("sensor", sensor), ("cfa", cfa), ("start_time", start)):
        if v is not None and not isinstance(v, str):
            raise ValueError(f"{key} must be a string or null, got {v!r}")
    if cfa is not None and (len(cfa) != 4 or set(cfa.lower()) - set("rgb")):
        raise ValueError(f"cfa must be a 2x2 Bayer pattern such as 'bggr', got {cfa!r}")
    complete = d.get("complete", False)
    if not isinstance(complete, bool):
        raise ValueError(f"complete must be true or false, got {complete!r}")
    camera = d.get("camera")
    if camera is not None and not isinstance(camera, dict):
        raise ValueError(f"camera must be an object or null, got {type(camera).__name__}")
    return Sidecar(h, w, flip, head, header, None if fps is None else float(fps), float(t0), sensor, cfa,
                   _int(d, "frames", 0), complete, start, camera)


def read_sidecar(dat_path: str | os.PathLike, size: int, warn: Callable[[str], None]) -> Sidecar | None:
    """The sidecar of ``dat_path`` (``size`` bytes), or None when there is none or it cannot be trusted.

    Never raises: a sidecar that cannot be read or parsed, or that describes another file,
    is reported through ``warn`` and ignored. One that records more committed frames than the
    file holds (the file was cut afterwards) is used, with a warning.
    """
    sc_path = sidecar_path(dat_path)
    if not os.path.lexists(sc_path):
        return None
    ignore = f"; it is ignored (delete {sc_path} or fix it)"
    try:
        fd = os.open(sc_path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                warn(f"{sc_path} is not a regular file" + ignore)
                return None
            if st.st_size > MAX_BYTES:
                warn(f"{sc_path} is {st.st_size:,} bytes, too large for a .dat sidecar" + ignore)
                return None
            data = os.read(fd, MAX_BYTES + 1)
        finally:
            os.close(fd)
        sc = _parse(json.loads(data.decode("utf-8")))
    except OSError as exc:
        warn(f"cannot read the sidecar {sc_path}: {exc.strerror or exc}" + ignore)
        return None
    except Exception as exc:  # any damage: bad UTF-8, bad JSON, deep nesting, wrong fields
        warn(f"the sidecar {sc_path} is damaged or invalid ({type(exc).__name__}: {exc})" + ignore)
        return None
    stride = sc.layout.stride
    n = size // stride
    if n < sc.frames:
        if n == 0:
            warn(f"{dat_path}: its sidecar {sc_path} records {sc.frames:,} frames of {sc.height}x{sc.width} "
                 f"({stride:,} B each) but the file is only {size:,} bytes: the sidecar belongs to another "
                 f"file" + ignore)
            return None
        warn(f"{dat_path}: its sidecar records {sc.frames:,} committed frames but the file holds only {n:,} "
             f"whole frames (it was cut after recording, e.g. an interrupted copy); reading the {n:,} frames")
    elif sc.complete and size != sc.frames * stride:
        warn(f"{dat_path} changed after its sidecar {sc_path} was written (sidecar: {sc.frames:,} frames = "
             f"{sc.frames * stride:,} bytes; file: {size:,} bytes)" + ignore.replace("fix it", "rewrite it"))
        return None
    return sc
