"""Automatic exposure of the viewer: the firing rate drawn as white, measured once per segment.

Reconstruction modes (``ViewMode.exposure``) give firing rates in spikes per tick
(1.0 = a spike every readout): the library's physical scale. Low-light recordings
fire rarely and look nearly black on that scale, so with auto levels on (the
default for those modes) the viewer shows ``0 .. rate`` as black .. white, where
``rate`` is :func:`spikevision.recon.auto_rate` (the 99.5th percentile of the
per-pixel firing rate maps to 1.0) over :data:`EXPOSURE_FRAMES` frames around
the frame shown. It is measured once per segment, not per frame, so playback
does not flicker; it is measured again when a seek out of the segment has settled
(:data:`EXPOSURE_SETTLE_MS`, so scrubbing stays fast) or auto levels are switched
on again. The images themselves keep the physical scale (pixel readout, ROI
plot): only the display levels change.

Example:
    >>> import numpy as np, spikevision as sv
    >>> s = sv.from_array((np.random.default_rng(0).random((500, 8, 8)) < 0.02).astype(np.uint8))
    >>> e = Exposure()
    >>> 0.02 < e.rate_at(s, 250) < 0.1 and e.segment == (0, 500)
    True
"""

from __future__ import annotations

from collections.abc import Callable

from ..stream import SpikeStream

__all__ = ["EXPOSURE_FRAMES", "EXPOSURE_SETTLE_MS", "LIVE_MIN_FRAMES", "Exposure", "exposure_segment"]

#: Frames the exposure is measured over (0.1 s at 20 kHz; about 40 ms of counting at 250x400, on the GUI
#: thread once per segment; the percentile of 2,000-frame rates is precise to 1/2000 spike per tick).
EXPOSURE_FRAMES = 2_000
#: Milliseconds without seeking before a seek out of the segment measures the exposure again (scrubbing
#: stays fast: the frames on the way keep the old exposure).
EXPOSURE_SETTLE_MS = 250
#: Frames a live camera must have delivered before its exposure is kept fixed.
LIVE_MIN_FRAMES = 2_000


def exposure_segment(n_frames: int, at: int, frames: int = EXPOSURE_FRAMES) -> tuple[int, int]:
    """The ``frames`` frames centred on ``at`` (shifted to fit; the whole stream when it is shorter)."""
    frames = max(1, min(int(n_frames), int(frames)))
    a = min(max(0, int(at) - frames // 2), int(n_frames) - frames)
    return a, a + frames


class Exposure:
    """The automatic exposure of one source (a recording or a camera), measured lazily.

    Attributes:
        rate: the firing rate shown as white (None until measured).
        segment: the frames [a, b) it was measured over (for a camera: its newest frames, 0-based).
    """

    def __init__(self, frames: int = EXPOSURE_FRAMES):
        self.frames = int(frames)
        self.rate: float | None = None
        self.segment: tuple[int, int] | None = None

    def reset(self) -> None:
        """Forget the measurement (a new source, or auto levels switched on again)."""
        self.rate = self.segment = None

    def covers(self, at: int) -> bool:
        """Whether frame ``at`` lies in the measured segment (True when nothing is measured yet)."""
        return self.segment is None or self.segment[0] <= at < self.segment[1]

    def rate_at(self, stream: SpikeStream, at: int) -> float:
        """The exposure, measured over the segment around frame ``at`` when none is measured yet."""
        from ..recon.exposure import auto_rate

        if self.rate is None:
            a, b = exposure_segment(len(stream), at, self.frames)
            self.rate, self.segment = auto_rate(stream, a, b), (a, b)
        return self.rate

    @property
    def settled(self) -> bool:
        """Whether a camera's exposure is fixed (measured on :data:`LIVE_MIN_FRAMES` frames or more)."""
        return self.segment is not None and self.segment[1] - self.segment[0] >= min(LIVE_MIN_FRAMES, self.frames)

    def rate_live(self, recent: Callable[[], SpikeStream | None]) -> float | None:
        """The exposure of a camera, measured on ``recent()`` (its newest frames) until it is :attr:`settled`."""
        from ..recon.exposure import auto_rate

        if not self.settled:
            spikes = recent()
            if spikes is not None and len(spikes):
                n = min(len(spikes), self.frames)
                self.rate, self.segment = auto_rate(spikes, len(spikes) - n), (0, n)
        return self.rate
