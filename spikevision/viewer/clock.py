"""The playback clock: which frame to show now, and which ones come next.

Frames shown while playing lie on a lattice ``anchor + j * step`` (``step`` =
spike frames per drawn frame, at least 1), with ``j`` counted from wall time.
The next frames are therefore known exactly and can be rendered ahead, and
when rendering falls behind, ``j`` jumps and frames are skipped instead of the
clock slowing down (the napari / pyqtgraph ImageView behaviour).

Example:
    >>> c = PlaybackClock(1000, spike_rate=600.0, display_rate=60.0)
    >>> c.restart(100, now=0.0)
    >>> c.tick(0.5, ahead=2)
    ClockTick(index=400, ahead=(410, 420), ended=False, wrapped=False)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlaybackClock", "ClockTick"]


@dataclass(frozen=True)
class ClockTick:
    """The frame to show, the frames expected next, and whether playback ended or wrapped around."""

    index: int
    ahead: tuple[int, ...]
    ended: bool = False
    wrapped: bool = False


class PlaybackClock:
    """Maps wall time to frames of a recording of ``n_frames`` (see the module docstring).

    Args:
        n_frames: frames in the recording.
        spike_rate: playback speed in spike frames per second of wall time.
        display_rate: frames drawn per second.
    """

    def __init__(self, n_frames: int, spike_rate: float = 200.0, display_rate: float = 60.0):
        if n_frames < 1:
            raise ValueError(f"a playback clock needs at least one frame, got {n_frames}")
        self.n_frames = int(n_frames)
        self.spike_rate = float(spike_rate)
        self.display_rate = float(display_rate)
        self.loop = False
        self.reverse = False
        self._anchor = 0
        self._t0 = 0.0

    @property
    def step(self) -> int:
        """Spike frames between drawn frames (at least 1)."""
        return max(1, int(round(self.spike_rate / self.display_rate)))

    def restart(self, index: int, now: float) -> None:
        """Count from frame ``index`` at wall time ``now`` (play, seek, speed or direction change)."""
        self._anchor, self._t0 = int(index), float(now)

    def tick(self, now: float, ahead: int = 0) -> ClockTick:
        """The frame for wall time ``now`` and the next ``ahead`` frames of the lattice."""
        n, step = self.n_frames, self.step
        sign = -1 if self.reverse else 1
        j = int(max(0.0, now - self._t0) * self.spike_rate / step)
        pos = self._anchor + sign * j * step
        wrapped = ended = False
        if not 0 <= pos < n:
            if self.loop:
                pos %= n
                self.restart(pos, now)
                j, wrapped = 0, True
            else:
                pos, ended = min(max(pos, 0), n - 1), True
        nxt: list[int] = []
        if not ended:
            for k in range(1, ahead + 1):
                i = self._anchor + sign * (j + k) * step
                if self.loop:
                    i %= n
                if 0 <= i < n and i != pos and i not in nxt:
                    nxt.append(i)
        return ClockTick(pos, tuple(nxt), ended, wrapped)
