"""``sim://``: a simulated spike camera paced at its nominal rate.

Frames come from the spikevision simulator (:func:`spikevision.sim.make_sample`,
a moving textured scene through integrate-and-fire), looped after
``loop_frames`` frames; the frame index keeps counting across loops. With
``wire="vidar"`` or ``wire="m1"`` the frames are encoded to the camera's wire
bytes and framed again in ``transfer``-byte pieces, exercising the same
framing path as the USB backend.

URL: ``sim://[scene]?height=250&width=400&fps=20000&speed=1|max&frames=N&seed=0&noise=0&wire=vidar|m1``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import numpy as np

from .. import _bits
from ._base import Camera, CameraInfo, FrameRun, default_frames_per_block
from ._pacing import Pacer, parse_speed
from .framing import feed_counted, make_framer

__all__ = ["SimCamera", "scene_frames"]

log = logging.getLogger(__name__)


def _loop_rows(loop: np.ndarray, start: int, n: int) -> np.ndarray:
    """Rows ``start .. start + n`` of ``loop`` repeated endlessly (a view when they do not wrap)."""
    m = loop.shape[0]
    a = start % m
    return loop[a: a + n] if a + n <= m else loop[(a + np.arange(n)) % m]


def scene_frames(height: int, width: int, frames: int, seed: int = 0, noise: bool = False) -> np.ndarray:
    """Canonical packed (frames, F) spikes of the simulator's sample scene."""
    from ..sim import make_sample

    stream = make_sample(height=height, width=width, frames=frames, seed=seed, noise=noise)
    return np.ascontiguousarray(stream.packed())


class SimCamera(Camera):
    """A simulated camera (see the module docstring for the URL options).

    Args:
        height, width: frame size.
        fps: nominal rate in Hz.
        speed: 1 = real time, 2 = twice as fast, ``"max"`` = unpaced.
        frames: stop after this many frames (None: endless).
        seed, noise: simulator options.
        wire: None, ``"vidar"`` (250x400 row layout) or ``"m1"`` (1000x1000 line packets).
        transfer: bytes per simulated transfer when ``wire`` is set.
        loop_frames: frames simulated once and looped (default: up to 64 MiB packed, at most 1000).
    """

    backend = "sim"
    default_policy = "block"

    def __init__(self, height: int = 250, width: int = 400, fps: float = 20000.0, *, speed="1",
                 frames: int | None = None, seed: int = 0, noise: bool = False, wire: str | None = None,
                 transfer: int = 1 << 20, loop_frames: int | None = None, scene: str = "sample", **kw):
        super().__init__(**kw)
        if height < 1 or width < 1 or not fps > 0:
            raise ValueError(f"sim:// needs height, width >= 1 and fps > 0, got {height}x{width} at {fps}")
        if wire not in (None, "vidar", "m1"):
            raise ValueError(f"sim:// wire must be 'vidar' or 'm1', got {wire!r}")
        if wire == "m1" and (height, width) != (1000, 1000):
            raise ValueError("sim:// wire=m1 emits 1000x1000 M1 frames; add height=1000&width=1000")
        if frames is not None and frames < 0:
            raise ValueError(f"frames must be >= 0, got {frames}")
        self.height, self.width, self.fps = int(height), int(width), float(fps)
        self.speed = parse_speed(speed)
        self.total = None if frames is None else int(frames)
        self.seed, self.noise, self.wire, self.scene = int(seed), bool(noise), wire, scene
        self.transfer = int(transfer)
        f = _bits.frame_nbytes(self.height, self.width)
        self.loop_frames = int(loop_frames or max(1, min(1000, (64 << 20) // f)))
        if self.total is not None:
            self.loop_frames = max(1, min(self.loop_frames, self.total))

    def _open(self) -> CameraInfo:
        self._loop = scene_frames(self.height, self.width, self.loop_frames, self.seed, self.noise)
        # the loop is encoded to wire bytes straight from its packed frames (no unpacked copy)
        if self.wire == "m1":
            from ..io.raw import encode_packed

            self._framer = make_framer("m1")
            self._wire = encode_packed(self._loop).reshape(self.loop_frames, -1)
        elif self.wire == "vidar":
            self._framer = make_framer("vidar", height=self.height, width=self.width)
            self._wire = self._framer.layout.from_canonical(self._loop)
        fpb = default_frames_per_block(self.height, self.width, self.fps)
        extra = {"speed": self.speed, "wire": self.wire, "loop_frames": self.loop_frames, "seed": self.seed}
        return CameraInfo(self.height, self.width, self.fps, fpb, "sim", f"sim:{self.scene}", self.url, extra)

    def _runs(self, stop: threading.Event) -> Iterator[FrameRun]:
        pacer = Pacer(self.fps, self.speed)
        step = self.info.frames_per_block
        fbytes = self.info.frame_nbytes
        done = 0
        offset = 0  # wire bytes sent so far (transfer boundaries fall at multiples of self.transfer)
        while not stop.is_set() and (self.total is None or done < self.total):
            n = step if self.total is None else min(step, self.total - done)
            if not pacer.wait(done + n, stop):
                return
            if self._framer is None:
                packed = _loop_rows(self._loop, done, n)
                self._bytes += n * fbytes
                yield FrameRun(packed)
            else:
                data = _loop_rows(self._wire, done, n).reshape(-1)
                i = 0
                while i < data.size:
                    k = min(data.size - i, self.transfer - offset % self.transfer)
                    out, lost, resync = feed_counted(self._framer, data[i: i + k])
                    i += k
                    offset += k
                    self._bytes += k
                    if out.shape[0] or lost:
                        yield FrameRun(out, lost, resync)
            done += n
