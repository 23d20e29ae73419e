"""Off-GUI-thread rendering of a recording, napari / pyqtgraph ImageView style.

:class:`FramePlayer` owns one worker thread. The GUI posts the frame it wants
with :meth:`FramePlayer.request` (never blocks; a newer request replaces an
older one that has not started) and pulls finished frames with
:meth:`FramePlayer.get` / :meth:`FramePlayer.newest` from a small bounded
cache. While playing, the worker renders the next frames the clock will ask
for (``ahead``) into the cache, so the GUI timer finds them ready; when the
worker falls behind, the timer shows the newest finished frame and the frames
in between are skipped.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..stream import SpikeStream
from .modes import get_mode

__all__ = ["RenderKey", "RenderedFrame", "FramePlayer", "render_frame", "roi_rate", "worker_threads",
           "limit_worker_threads"]

log = logging.getLogger(__name__)


def worker_threads() -> int:
    """Numba threads a viewer worker uses: a quarter of the cores, 1 to 4.

    The GUI thread, the camera producer and the recorder need cores too, and
    numba's parallel loops degrade badly when the machine is oversubscribed
    (measured: TFP of 41 frames at 250x400 took 16 ms with 2 threads on a
    busy 2-core machine, 1.7 ms with 1).
    """
    return max(1, min(4, (os.cpu_count() or 1) // 4))


def limit_worker_threads() -> None:
    """Apply :func:`worker_threads` to the calling thread (numba's thread count is per thread)."""
    try:
        import numba

        numba.set_num_threads(min(worker_threads(), numba.config.NUMBA_NUM_THREADS))
    except Exception as exc:  # never let tuning stop rendering
        log.debug("could not limit numba threads: %s", exc)


@dataclass(frozen=True)
class RenderKey:
    """What to render: frame index, view mode, window and the ROI (row0, row1, col0, col1) or None."""

    index: int
    mode: str
    window: int
    roi: tuple[int, int, int, int] | None = None


@dataclass(frozen=True)
class RenderedFrame:
    """A rendered frame.

    Attributes:
        key: what was asked for.
        image: (H, W) float32 image from the view mode.
        seconds: time the rendering took (decode + reconstruction).
        roi_rate: ROI firing rate in spikes per pixel per frame over the window (None without an ROI).
        roi_mean: mean of ``image`` in the ROI (None without an ROI).
        error: a message when rendering failed (``image`` is then zeros).
    """

    key: RenderKey
    image: np.ndarray
    seconds: float = 0.0
    roi_rate: float | None = None
    roi_mean: float | None = None
    error: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def roi_rate(spikes: SpikeStream, at: int, window: int, roi: tuple[int, int, int, int]) -> float:
    """Spikes per pixel per frame in ``roi`` (row0, row1, col0, col1) over the window centred on ``at``."""
    r0, r1, c0, c1 = roi
    w = max(1, min(int(window), 255))
    a = max(0, at - w // 2)
    b = min(len(spikes), a + w)
    sub = spikes[a:b].spike_counts()[r0:r1, c0:c1]  # counted from packed bits, never unpacked
    return float(sub.sum() / (sub.size * (b - a))) if sub.size else 0.0


def _finish(spikes: SpikeStream, key: RenderKey, image: np.ndarray, seconds: float) -> RenderedFrame:
    rate = mean = None
    if key.roi is not None:
        r0, r1, c0, c1 = key.roi
        rate = roi_rate(spikes, key.index, key.window, key.roi)
        sub = image[r0:r1, c0:c1]
        mean = float(sub.mean()) if sub.size else 0.0
    return RenderedFrame(key, image, seconds, rate, mean, None)


def _failed(spikes: SpikeStream, key: RenderKey, exc: BaseException, seconds: float) -> RenderedFrame:
    log.warning("rendering frame %d in mode %s failed: %s", key.index, key.mode, exc)
    image = np.zeros((spikes.height, spikes.width), np.float32)
    return RenderedFrame(key, image, seconds, None, None, f"{key.mode} failed at frame {key.index}: {exc}")


def render_frame(spikes: SpikeStream, key: RenderKey) -> RenderedFrame:
    """Render ``key`` synchronously (used by the worker, snapshots and export).

    A failing mode does not raise: the frame carries the message in ``error`` and a black image.
    """
    t = time.perf_counter()
    mode = get_mode(key.mode)
    try:
        image = mode.render(spikes, key.index, mode.clamp_window(key.window))
    except Exception as exc:  # a bad frame must not kill playback: show the message instead
        return _failed(spikes, key, exc, time.perf_counter() - t)
    return _finish(spikes, key, image, time.perf_counter() - t)


class FramePlayer:
    """A worker thread rendering frames of a :class:`SpikeStream` for a viewer.

    Example:
        >>> player = FramePlayer(stream)                      # doctest: +SKIP
        >>> player.request(RenderKey(100, "tfp", 41), ahead=(101, 102))   # doctest: +SKIP
        >>> frame = player.get(RenderKey(100, "tfp", 41))     # None until rendered   # doctest: +SKIP

    Args:
        stream: the recording (lazy; only the frames asked for are read).
        cache_frames: rendered frames kept (the bounded ring the GUI pulls from).
        prefetch: frames rendered ahead of the last request while playing.
        on_ready: called from the worker thread with each requested frame once rendered (not with
            prefetched ones); a GUI passes something thread-safe, e.g. a Qt signal's ``emit``.
    """

    def __init__(self, stream: SpikeStream, *, cache_frames: int = 16, prefetch: int = 6,
                 on_ready: Callable[[RenderedFrame], None] | None = None):
        self.stream = stream
        self.on_ready = on_ready
        self.prefetch = max(0, int(prefetch))
        self._cache: collections.OrderedDict[RenderKey, RenderedFrame] = collections.OrderedDict()
        self._cache_size = max(2, int(cache_frames))
        self._cond = threading.Condition()
        self._pending: tuple[RenderKey, float] | None = None
        self._newest: RenderedFrame | None = None
        self._stop = False
        self._busy = 0.0
        self._t_created = time.perf_counter()
        self._load_window: collections.deque[tuple[float, float]] = collections.deque(maxlen=64)
        self.rendered = 0
        self._seq: list | None = None  # [(mode, window, roi, step), next index, iterator] of a forward run
        self._thread = threading.Thread(target=self._run, name="spikevision-viewer-render", daemon=True)
        self._thread.start()

    # --- GUI side (never blocks for long) ------------------------------
    def request(self, key: RenderKey, ahead: tuple[int, ...] = ()) -> None:
        """Ask for ``key``; then prefetch the frames ``ahead`` (indices the clock will ask for next)."""
        ahead = tuple(ahead)[: self.prefetch]
        with self._cond:
            if key in self._cache:
                self._cache.move_to_end(key)
                self._newest = self._cache[key]
                if all(RenderKey(i, key.mode, key.window, key.roi) in self._cache for i in ahead):
                    return
            self._pending = (key, ahead)
            self._cond.notify()

    def get(self, key: RenderKey) -> RenderedFrame | None:
        """The rendered frame for ``key`` if it is in the cache."""
        with self._cond:
            return self._cache.get(key)

    def newest(self) -> RenderedFrame | None:
        """The most recently finished (or requested and cached) frame."""
        with self._cond:
            return self._newest

    def wait_for(self, key: RenderKey, timeout: float = 10.0) -> RenderedFrame | None:
        """Block until ``key`` is rendered (for scripts and tests; the GUI never calls this)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while key not in self._cache:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop:
                    return None
                if self._pending is None or self._pending[0] != key:
                    self._pending = (key, ())
                    self._cond.notify_all()
                self._cond.wait(min(left, 0.05))
            return self._cache[key]

    def invalidate(self) -> None:
        """Forget rendered frames (after a change that alters every image)."""
        with self._cond:
            self._cache.clear()

    @property
    def load(self) -> float:
        """Fraction of recent wall time the worker spent rendering (decode load, 0..1)."""
        with self._cond:
            if len(self._load_window) < 2:
                return 0.0
            t0 = self._load_window[0][0]
            span = max(1e-6, time.perf_counter() - t0)
            return min(1.0, sum(s for _, s in self._load_window) / span)

    def close(self, timeout: float = 5.0) -> None:
        """Stop and join the worker thread; idempotent."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- worker ---------------------------------------------------------
    def _store(self, frame: RenderedFrame, newest: bool) -> None:
        with self._cond:
            self._cache[frame.key] = frame
            self._cache.move_to_end(frame.key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            if newest:
                self._newest = frame
            self._load_window.append((time.perf_counter() - frame.seconds, frame.seconds))
            self.rendered += 1
            self._cond.notify_all()
        if newest and self.on_ready is not None:
            try:
                self.on_ready(frame)
            except Exception as exc:  # a closing GUI must not take the worker down
                log.debug("on_ready callback failed: %s", exc)

    def _next_job(self) -> tuple[RenderKey, tuple[int, ...]] | None:
        with self._cond:
            while self._pending is None and not self._stop:
                self._cond.wait()
            if self._stop:
                return None
            job, self._pending = self._pending, None
            return job

    def _run(self) -> None:
        limit_worker_threads()
        n = len(self.stream)
        while True:
            job = self._next_job()
            if job is None:
                self._seq = None
                return
            key, ahead = job
            if self._sequential(key, ahead, n):
                continue
            if 0 <= key.index < n and self.get(key) is None:
                self._store(render_frame(self.stream, key), newest=True)
            for i in ahead:
                with self._cond:
                    if self._pending is not None or self._stop:
                        break
                if not 0 <= i < n:
                    continue
                ahead_key = RenderKey(i, key.mode, key.window, key.roi)
                if self.get(ahead_key) is None:
                    self._store(render_frame(self.stream, ahead_key), newest=False)

    def _sequential(self, key: RenderKey, ahead: tuple[int, ...], n: int) -> bool:
        """Render a forward run with the mode's streaming iterator (kept alive across requests)."""
        if not ahead or not 0 <= key.index < n:
            return False
        step = ahead[0] - key.index
        mode = get_mode(key.mode)
        window = mode.clamp_window(key.window)
        lattice = all(b - a == step for a, b in zip((key.index,) + ahead[:-1], ahead, strict=True))
        if step <= 0 or not lattice or not mode.prefers_sequential(step, window):
            self._seq = None
            return False
        seq = self._seq
        ok = (seq is not None and seq[0] == (key.mode, window, key.roi, step) and key.index >= seq[1]
              and (key.index - seq[1]) % step == 0)
        if not ok:
            seq = self._seq = [(key.mode, window, key.roi, step), key.index,
                               mode.iterate(self.stream, key.index, n, step, window)]
        last = ahead[-1]
        t0 = time.perf_counter()
        try:
            for t, image in seq[2]:
                seq[1] = t + step
                if t >= key.index:
                    k = RenderKey(t, key.mode, key.window, key.roi)
                    self._store(_finish(self.stream, k, image, time.perf_counter() - t0), newest=t == key.index)
                    t0 = time.perf_counter()
                with self._cond:
                    if t >= last or self._pending is not None or self._stop:
                        break
            else:
                self._seq = None
        except Exception as exc:
            self._seq = None
            if self.get(key) is None:
                self._store(_failed(self.stream, key, exc, time.perf_counter() - t0), newest=True)
        return True
