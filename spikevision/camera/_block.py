"""``SpikeBlock``: a run of consecutive spike frames delivered by a camera.

A block holds canonical packed frames (see :mod:`spikevision._bits`) plus the
timing facts a consumer needs: the sensor frame index of its first frame
(which counts frames lost before it, so ``index / fps`` is the nominal
capture time), the host monotonic time at which it was completed, how many
frames were lost just before it, and two flags: ``resync`` (the framer had to
re-find frame boundaries before this block) and ``partial`` (fewer frames than
the camera's ``frames_per_block``, e.g. at the end of a stream or after a gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _bits
from ..stream import SpikeStream, from_packed

__all__ = ["SpikeBlock"]


@dataclass(frozen=True)
class SpikeBlock:
    """Consecutive frames from a camera, bit-packed.

    Attributes:
        packed: (n, ceil(H*W/8)) uint8 canonical packed frames (read-only).
        index: sensor frame index of the first frame (frames lost before count too).
        height, width: frame size in pixels (display orientation).
        fps: nominal readout rate in Hz.
        host_time: ``time.monotonic()`` when the block was completed on the host.
        dropped_before: frames lost between the previous block and this one.
        resync: the framer lost and re-found frame alignment before this block.
        partial: the block holds fewer frames than the camera's frames_per_block.
        meta: backend facts (e.g. SDK pts of the first frame).
    """

    packed: np.ndarray
    index: int
    height: int
    width: int
    fps: float
    host_time: float
    dropped_before: int = 0
    resync: bool = False
    partial: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self):
        f = _bits.frame_nbytes(self.height, self.width)
        p = self.packed
        if not (isinstance(p, np.ndarray) and p.dtype == np.uint8 and p.ndim == 2 and p.shape[1] == f):
            raise ValueError(f"SpikeBlock.packed must be (n, {f}) uint8 for {self.height}x{self.width}, "
                             f"got {getattr(p, 'shape', None)} {getattr(p, 'dtype', None)}")
        if p.flags.writeable:
            p.flags.writeable = False

    def __repr__(self) -> str:
        """One line without the frames (the packed array can hold megabytes)."""
        flags = "".join(f", {f}=True" for f in ("resync", "partial") if getattr(self, f))
        return (f"SpikeBlock(n_frames={self.n_frames}, {self.height}x{self.width}, index={self.index}, "
                f"fps={self.fps:g}, dropped_before={self.dropped_before}{flags})")

    @property
    def n_frames(self) -> int:
        """Number of frames in the block."""
        return self.packed.shape[0]

    def __len__(self) -> int:
        return self.n_frames

    @property
    def stop_index(self) -> int:
        """Index one past the last frame (the next block starts here when nothing is lost)."""
        return self.index + self.n_frames

    @property
    def time(self) -> float:
        """Nominal time of the first frame in seconds: ``index / fps``."""
        return self.index / self.fps

    @property
    def flags(self) -> frozenset[str]:
        """The set flags, as names: ``{"resync", "partial"}`` or a subset."""
        return frozenset(n for n in ("resync", "partial") if getattr(self, n))

    def times(self) -> np.ndarray:
        """Nominal time in seconds of every frame."""
        return (self.index + np.arange(self.n_frames)) / self.fps

    def unpack(self) -> np.ndarray:
        """Frames as a (n, H, W) uint8 array of 0/1, row 0 at the top."""
        return _bits.unpack_frames(self.packed, self.height, self.width)

    def to_stream(self, **provenance: Any) -> SpikeStream:
        """The block as a :class:`SpikeStream` with ``t0 = index / fps`` (no copy)."""
        prov = {"format": "camera", "index": self.index, "dropped_before": self.dropped_before, **provenance}
        return from_packed(self.packed, self.height, self.width, self.fps, t0=self.time, provenance=prov)
