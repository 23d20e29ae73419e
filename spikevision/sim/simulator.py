"""``simulate``: linear radiance in, spike stream out (integrate-and-fire, docs/physics.md).

Example:
    >>> import numpy as np
    >>> from spikevision.sim import simulate
    >>> s = simulate(np.full((8, 16), 0.5, np.float32), n_frames=100, theta=2.0, init="zero")
    >>> float(s.firing_rate().mean())   # min(1, 0.5 / 2)
    0.25
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..stream import SpikeStream, from_packed
from .engine import Engine
from .inputs import KeyframeInput, SceneInputError, as_input, frames_alias
from .noise import NoiseModel

__all__ = ["Simulator", "simulate", "simulate_blocks"]

log = logging.getLogger(__name__)


class Simulator:
    """A spike camera looking at a radiance input, generating frames block by block in constant memory.

    Args:
        radiance: a scene or callable ``f(t)`` (t in ticks), a (T, H, W[, 3]) or (H, W[, 3]) linear float
            array, or a path to an image / video (8-bit sRGB, converted by inverse gamma times ``exposure``).
        n_frames: spike frames to generate (default: the input's length; a scene's ``n_frames``).
        frames: alias of ``n_frames``.
        fps: readout rate in Hz.
        input_fps: frame rate of an array or video input (default: ``fps`` for arrays, the file's for videos).
        theta, gain, reset, init, noise, cfa, seed, full_well, backend: see :class:`~.engine.Engine`.
        exposure: multiplier of 8-bit inputs after linearisation.
        keyframe_interval: ticks between samples of a callable (default: the scene's, else 1).
        max_keyframes: keyframes held per kernel call (memory: this many frames of float32 charge).
        size: (H, W) to resize image and video files to.
    """

    def __init__(self, radiance: Any, *, n_frames: int | None = None, fps: float = 20000.0,
                 input_fps: float | None = None, theta: float = 2.0, gain: float = 1.0, reset: str = "subtract",
                 init: str | np.ndarray = "uniform", noise: NoiseModel | None = None, cfa: str | None = None,
                 seed: int = 0, full_well: float | None = 2.0, exposure: float = 1.0,
                 keyframe_interval: float | None = None, backend: str = "numba", max_keyframes: int = 32,
                 size: tuple[int, int] | None = None, frames: int | None = None):
        n_frames = frames_alias(n_frames, frames)
        if not (fps > 0 and math.isfinite(fps)):
            raise SceneInputError(f"fps must be a positive number, got {fps!r}")
        if max_keyframes < 2:
            raise SceneInputError(f"max_keyframes must be >= 2, got {max_keyframes}")
        self.input: KeyframeInput = as_input(radiance, fps, n_frames=n_frames, input_fps=input_fps,
                                             exposure=exposure, color=cfa is not None,
                                             keyframe_interval=keyframe_interval, size=size)
        if cfa is not None and self.input.channels != 3:
            raise SceneInputError(f"cfa={cfa!r} needs RGB radiance (H, W, 3); this input is mono. Pass color "
                                  f"input (e.g. a color scene or image) or drop cfa")
        self.n_frames = int(n_frames if n_frames is not None else self.input.n_frames)
        if self.n_frames < 0:
            raise SceneInputError(f"n_frames must be >= 0, got {self.n_frames}")
        self.fps = float(fps)
        self.engine = Engine(self.input.height, self.input.width, fps=fps, theta=theta, gain=gain, reset=reset,
                             init=init, noise=noise, cfa=cfa, seed=seed, full_well=full_well, backend=backend)
        self.params = {"theta": theta, "gain": gain, "reset": reset,
                       "init": init if isinstance(init, str) else "array", "seed": seed,
                       "full_well": full_well, "fps": self.fps, "cfa": cfa, "exposure": exposure,
                       "noise": noise.as_dict() if noise is not None and noise.any else None}
        self._slots: np.ndarray | None = None
        self._slot_key: list[int] = []
        self.max_keyframes = max_keyframes

    @property
    def height(self) -> int:
        return self.engine.height

    @property
    def width(self) -> int:
        return self.engine.width

    @property
    def frame_nbytes(self) -> int:
        return self.engine.nbytes

    @property
    def tick(self) -> int:
        """Frames generated so far."""
        return self.engine.tick

    def provenance(self) -> dict:
        """JSON-able description of the input and every simulator parameter."""
        return {"format": "memory", "generator": "spikevision.sim", "input": self.input.description,
                "simulator": dict(self.params)}

    def _slot(self, k: int) -> int:
        """Slot of keyframe ``k`` in the ring buffer of keyframe charges, filled on first use."""
        if self._slots is None:
            self._slots = self.engine.new_slots(self.max_keyframes)
            self._slot_key = [-1] * self.max_keyframes
        j = k % self.max_keyframes
        if self._slot_key[j] != k:
            self.engine.set_slot(self._slots, j, self.engine.charge(self.input.frame(k)))
            self._slot_key[j] = k
        return j

    def fill(self, out: np.ndarray) -> np.ndarray:
        """Generate the next ``len(out)`` frames into ``out`` (n, frame_nbytes) uint8, canonical packed."""
        j0 = self.engine.tick
        n = len(out)
        segs = list(self.input.segments(j0, j0 + n))
        i = 0
        while i < len(segs):
            # one kernel call per run of segments whose keyframes fit the ring buffer together
            first = segs[i][2]
            group = [segs[i]]
            i += 1
            while i < len(segs) and segs[i][2] + 1 - first < self.max_keyframes:
                group.append(segs[i])
                i += 1
            a0, b1 = group[0][0], group[-1][1]
            k0 = np.empty(b1 - a0, np.int64)
            k1 = np.empty(b1 - a0, np.int64)
            w = np.zeros(b1 - a0, np.float32)
            for a, b, k, tk, tk1 in group:
                k0[a - a0 : b - a0] = self._slot(k)
                if tk1 == math.inf:
                    k1[a - a0 : b - a0] = k0[a - a0]
                else:
                    k1[a - a0 : b - a0] = self._slot(k + 1)
                    w[a - a0 : b - a0] = ((np.arange(a, b, dtype=np.float64) - tk) / (tk1 - tk)).astype(np.float32)
            self.engine.run(self._slots, k0, k1, w, out[a0 - j0 : b1 - j0])
        return out

    def blocks(self, block: int = 1024, packed: bool = True) -> Iterator[np.ndarray]:
        """Yield the remaining frames in blocks of at most ``block``: packed (n, F) or (n, H, W) uint8.

        Buffers are reused between blocks: copy a block to keep it.
        """
        if block < 1:
            raise SceneInputError(f"block must be >= 1, got {block}")
        from .. import _bits

        remaining = self.n_frames - self.tick
        buf = np.empty((min(block, max(remaining, 1)), self.frame_nbytes), np.uint8)
        ubuf = None if packed else np.empty((len(buf), self.height, self.width), np.uint8)
        while self.tick < self.n_frames:
            m = min(block, self.n_frames - self.tick)
            p = self.fill(buf[:m])
            if packed:
                yield p
            else:
                yield _bits.unpack_frames(p, self.height, self.width, out=ubuf[:m])

    def run(self, progress: Callable[[int], Any] | None = None, block: int = 4096) -> SpikeStream:
        """Generate all remaining frames into one in-memory :class:`SpikeStream`."""
        n = self.n_frames - self.tick
        out = np.empty((n, self.frame_nbytes), np.uint8)
        for a in range(0, n, block):
            self.fill(out[a : a + block])
            if progress is not None:
                progress(min(block, n - a))
        return self.stream(out)

    def stream(self, packed: np.ndarray, provenance: dict | None = None) -> SpikeStream:
        """Wrap packed frames generated by this simulator as a :class:`SpikeStream` (sensor "sim", its cfa)."""
        return from_packed(packed, self.height, self.width, self.fps, sensor="sim", cfa=self.engine.cfa,
                           provenance=self.provenance() if provenance is None else provenance)


def simulate(radiance: Any, fps: float = 20000.0, theta: float = 2.0, reset: str = "subtract",
             noise: NoiseModel | None = None, cfa: str | None = None, seed: int = 0, *,
             n_frames: int | None = None, frames: int | None = None, **options: Any) -> SpikeStream:
    """Simulate a spike camera looking at ``radiance``; return the whole stream in memory.

    Integrate-and-fire per pixel (docs/physics.md): ``A += gain * L``; a spike when
    ``A >= theta``, then ``A -= theta`` (subtract) or ``A = 0`` (zero); at most one spike per tick,
    so the firing rate is ``min(1, gain * L / theta)`` (:func:`~.photometry.expected_rate`).

    Args:
        radiance: see :class:`Simulator` (scene, callable of t in ticks, linear array, image or video path).
        fps: readout rate (Hz).
        theta: threshold charge (Spike-Zoo convention: 2.0 with radiance in [0, 1]).
        reset: "subtract" or "zero".
        noise: a :class:`~.noise.NoiseModel` (e.g. ``NoiseModel()`` for the full calibrated model) or None.
            The same seed with ``noise=None`` gives the clean twin.
        cfa: Bayer pattern ("bggr", "rggb", ...) for (H, W, 3) RGB radiance; recorded in the stream metadata.
        seed: seeds every random draw.
        n_frames: frames to generate (default: the input's length, e.g. a scene's ``n_frames``).
        frames: alias of ``n_frames`` (the name scenes used first).
        **options: ``gain``, ``init``, ``full_well``, ``input_fps``, ``exposure``, ``keyframe_interval``,
            ``backend`` (see :class:`Simulator`).

    Returns:
        A :class:`SpikeStream` with sensor "sim" and the parameters in ``meta.provenance``.
    """
    return Simulator(radiance, n_frames=frames_alias(n_frames, frames), fps=fps, theta=theta, reset=reset,
                     noise=noise, cfa=cfa, seed=seed, **options).run()


def simulate_blocks(radiance: Any, block: int = 1024, packed: bool = True, **kwargs: Any) -> Iterator[np.ndarray]:
    """Generator form of :func:`simulate`: yields packed (n, F) (or (n, H, W) uint8) blocks in constant memory.

    Takes the arguments of :func:`simulate`; the buffer is reused between blocks.
    """
    return Simulator(radiance, **kwargs).blocks(block, packed)
