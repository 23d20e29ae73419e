"""``replay://``: a recording played back as a live camera at its native rate.

Any spike file :func:`spikevision.io.open_stream` reads can be replayed; a
``.dat`` (or any file whose source exposes a memmap) is read through a
read-only memmap, so replay costs no more memory than one block. Frames are
released against a monotonic clock at ``fps * speed``; with ``loop=1`` the
file repeats and the frame index keeps counting.

URL: ``replay://path/to/file.dat?speed=1&loop=0&fps=20000&height=250&width=400``
(``height``, ``width``, ``fps``, ``flip``, ``head_columns``, ``frame_header_bytes``,
``format``, ``strict`` are passed to the reader; the one list of options is
``spikevision.camera._url.OPTIONS["replay"]``). Reader errors and warnings name
these URL options as the fix.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._base import Camera, CameraInfo, FrameRun, default_frames_per_block
from ._errors import CameraNotFound
from ._pacing import Pacer, parse_speed
from ._url import OPTIONS

#: options of ReplayCamera itself; every other ``replay://`` URL option goes to the reader
_OWN = ("speed", "loop", "frames")

__all__ = ["ReplayCamera"]


class ReplayCamera(Camera):
    """Replays a spike file (see the module docstring).

    Args:
        path: the recording.
        speed: 1 = native rate, ``"max"`` = unpaced.
        loop: start again at the end (endless stream).
        frames: stop after this many frames (None: the file once, or endless with loop).
        **read_options: reader options (height, width, fps, flip, head_columns, frame_header_bytes, format).
    """

    backend = "replay"
    default_policy = "block"
    _reader_keys = tuple(k for k in OPTIONS["replay"] if k not in _OWN)

    def __init__(self, path: str | os.PathLike, *, speed="1", loop: bool = False, frames: int | None = None,
                 **options: Any):
        cam_kw = {k: options.pop(k) for k in list(options) if k not in self._reader_keys}
        super().__init__(**cam_kw)
        self.path = os.fspath(path)
        self.speed = parse_speed(speed)
        self.loop = bool(loop)
        self.total = None if frames is None else int(frames)
        self.read_options = options
        self._stream = None

    def _open(self) -> CameraInfo:
        from ..io import open_stream
        from ..io.dat import option_hint

        if not os.path.exists(self.path):
            raise CameraNotFound(f"replay://{self.path}: no such file; check the path")
        with option_hint(self._url_hint):
            stream = open_stream(self.path, **self.read_options)
        self._stream = stream
        src = stream.source
        self._n = len(stream)
        if self._n == 0:
            raise CameraNotFound(f"replay://{self.path}: the file holds no complete frame")
        mm = getattr(src, "memmap", None) if hasattr(src, "layout") else None
        if mm is not None and stream.source_frames.step == 1:
            base, layout = stream.source_frames.start, src.layout
            self._read = lambda a, b: layout.to_canonical(mm[base + a: base + b], b - a)
            self._mode = "memmap"
        else:
            self._read = lambda a, b: stream[a:b].packed()
            self._mode = "reader"
        fps = stream.fps
        fpb = default_frames_per_block(stream.height, stream.width, fps)
        extra = {"frames_in_file": self._n, "loop": self.loop, "speed": self.speed, "mode": self._mode,
                 "format": stream.meta.provenance.get("format")}
        return CameraInfo(stream.height, stream.width, fps, fpb, "replay", self.path, self.url, extra)

    def _url_hint(self, opts: dict[str, Any]) -> str:
        """How to pass reader options: in the URL (``replay://rec.dat?height=250&width=400``)."""
        query = {k: v for k, v in self.read_options.items() if k not in opts}
        query.update(opts)
        text = "&".join(f"{k}={int(v) if isinstance(v, bool) else v}" for k, v in query.items())
        return f"add them to the URL: replay://{self.path}?{text}"

    def _close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
            self._read = None

    def _runs(self, stop: threading.Event) -> Iterator[FrameRun]:
        info = self.info
        pacer = Pacer(info.fps, self.speed)
        step = info.frames_per_block
        done = 0
        pos = 0
        while not stop.is_set():
            if self.total is not None and done >= self.total:
                return
            if pos >= self._n:
                if not self.loop:
                    return
                pos = 0
            n = min(step, self._n - pos)
            if self.total is not None:
                n = min(n, self.total - done)
            if not pacer.wait(done + n, stop):
                return
            packed = np.ascontiguousarray(self._read(pos, pos + n))
            self._bytes += packed.nbytes
            yield FrameRun(packed)
            pos += n
            done += n
