"""A live camera session for the viewer: drain blocks, record, render the newest frame off the GUI thread.

:class:`LiveSession` runs a reader thread that opens the camera, reads every
block as soon as it arrives (so the camera's ring stays near empty), appends
it to the recorder while recording and keeps references to the blocks holding
the last ``keep_frames`` frames, and a render thread that at most
``render_hz`` times a second renders the newest frame in the current view
mode (a slow mode lowers the display rate, never the reading). The GUI pulls :meth:`LiveSession.newest` and
:meth:`LiveSession.status` from a timer and never waits on the camera.

Example:
    >>> with LiveSession("sim://?speed=1") as live:      # doctest: +SKIP
    ...     live.set_view("tfp", 41)
    ...     time.sleep(1); frame = live.newest()
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..stream import from_packed
from .modes import get_mode
from .playback import RenderedFrame, RenderKey, limit_worker_threads, render_frame
from .probe import PixelReadout, pixel_train_packed, train_readout

__all__ = ["LiveSession", "LiveStatus", "RecordingStatus", "STATES"]

log = logging.getLogger(__name__)

#: session states, in the order a session normally goes through them
STATES = ("connecting", "streaming", "ended", "disconnected", "error", "stopped")


@dataclass(frozen=True)
class RecordingStatus:
    """The recording in progress (or the last one).

    Attributes:
        path: output file.
        active: still recording.
        frames: frames committed by the writer.
        bytes_written: size of the file on disk.
        dropped_frames: frames the camera lost between recorded blocks (gaps; frames are never padded).
        error: why the recording stopped early, if it did.
    """

    path: Path
    active: bool
    frames: int
    bytes_written: int
    dropped_frames: int = 0
    error: str | None = None


@dataclass(frozen=True)
class LiveStatus:
    """A snapshot for the camera panel (see :class:`spikevision.camera.CameraStats` for ``camera``)."""

    state: str
    url: str
    info: Any = None
    camera: Any = None
    error: str | None = None
    recording: RecordingStatus | None = None
    render_fps: float = 0.0
    render_load: float = 0.0
    newest_index: int | None = None
    extra: dict = field(default_factory=dict)


class LiveSession:
    """Stream a camera for display (and optionally record it) in a worker thread.

    Args:
        source: a camera URL (``sim://``, ``replay://...``, ``usb://``, ``sdk://``) or a
            :class:`spikevision.camera.Camera` (the session closes it when it stops).
        keep_frames: recent frames kept for rendering (bounds the longest view window).
        render_hz: most renders per second (the display never needs more).
        mode, window: initial view mode and window.
    """

    def __init__(self, source: Any, *, keep_frames: int = 4096, render_hz: float = 60.0, mode: str = "tfp",
                 window: int | None = None):
        self.url = source if isinstance(source, str) else getattr(source, "url", "") or repr(source)
        self._source = source
        self.camera: Any = None
        self.keep_frames = max(8, int(keep_frames))
        self.render_hz = float(render_hz)
        m = get_mode(mode)
        self._view = (m.name, m.clamp_window(window or m.default_window), None)
        self._lock = threading.Lock()
        self._rec_lock = threading.Lock()
        self._stop = threading.Event()
        self._dirty = threading.Event()  # new frames since the last render
        self._reading_done = threading.Event()
        self._state = "connecting"
        self._error: str | None = None
        self._newest: RenderedFrame | None = None
        # recent blocks, referenced (camera blocks are read-only), never copied: a 40 kHz camera delivers
        # 500 MB/s, and only the frames of one window are ever gathered
        self._blocks: collections.deque[np.ndarray] = collections.deque()
        self._fill = 0  # frames held in _blocks
        self._last_index: int | None = None  # sensor index of the newest frame
        self._recorder: Any = None
        self._rec_status: RecordingStatus | None = None
        self._renders: list[float] = []
        self._render_time = 0.0
        self._thread = threading.Thread(target=self._run, name="spikevision-viewer-live", daemon=True)

    # --- lifecycle -------------------------------------------------------
    def start(self) -> LiveSession:
        """Start the worker (it opens the camera; failures show in :meth:`status`)."""
        if not self._thread.is_alive() and not self._stop.is_set():
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> RecordingStatus | None:
        """Stop streaming (the worker finishes the recording), close the camera, join the worker; idempotent.

        Returns the final recording status, if there was a recording.
        """
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        rec = self.stop_recording()
        with self._lock:
            if self._state in ("connecting", "streaming"):
                self._state = "stopped"
        return rec

    close = stop

    def __enter__(self) -> LiveSession:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- GUI side ----------------------------------------------------------
    def set_view(self, mode: str, window: int, roi: tuple[int, int, int, int] | None = None) -> None:
        """Change the view mode, window (frames, clamped to ``keep_frames``) and ROI."""
        m = get_mode(mode)
        with self._lock:
            self._view = (m.name, min(m.clamp_window(window), self.keep_frames), roi)

    def newest(self) -> RenderedFrame | None:
        """The newest rendered frame (its key.index is the sensor frame index)."""
        with self._lock:
            return self._newest

    def recent(self) -> Any:
        """The frames still held (up to ``keep_frames``, oldest first) as a SpikeStream; None before any."""
        with self._lock:
            if self._fill == 0 or self.camera is None:
                return None
            parts = self._tail_parts(self._fill)
        packed = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return from_packed(packed, self._buf_h, self._buf_w, self.camera.info.fps)

    def status(self) -> LiveStatus:
        """State, camera counters, recording progress, render rate (cheap; call from a GUI timer)."""
        cam = self.camera
        stats = None
        info = None
        if cam is not None and self._state != "connecting":
            try:
                info = cam.info
                stats = cam.stats()
            except Exception as exc:  # a camera that failed to open has no stats
                log.debug("camera stats unavailable: %s", exc)
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._renders if now - t <= 1.0]
            self._renders = recent
            rec = self._recording_status_locked()
            return LiveStatus(self._state, self.url, info, stats, self._error, rec, float(len(recent)),
                              min(1.0, self._render_time), self._last_index)

    def readout(self, row: int, col: int, window: int = 255, at: int | None = None,
                isi_span: int = 1024) -> PixelReadout | None:
        """Spike count and last ISI of a pixel up to sensor frame ``at`` (default: the newest frame).

        Same definitions as :func:`spikevision.viewer.probe.readout`, over the frames still held;
        None before the first block or when ``at`` is no longer held.
        """
        with self._lock:
            if self._fill == 0 or self._last_index is None:
                return None
            last = self._last_index
            at = last if at is None else min(int(at), last)
            skip = last - at
            n = min(self._fill - skip, max(1, int(window), int(isi_span)))
            if n <= 0:
                return None
            parts = self._tail_parts(n + skip)
        # only the pixel's byte column is read from each block: no frame is copied
        train = np.concatenate([pixel_train_packed(p, self._buf_w, row, col) for p in parts])[: n]
        return train_readout(train, at - n + 1, row, col, window)

    # --- recording ---------------------------------------------------------
    def start_recording(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Record every following block to ``path`` (.h5 recommended, or .dat), committing each block."""
        from ..camera import Recorder

        cam = self.camera
        if cam is None or self._state != "streaming":
            raise RuntimeError(f"cannot record: the camera is {self._state}; connect it first")
        with self._lock:
            if self._recorder is not None:
                raise RuntimeError(f"already recording to {self._recorder.path}; stop that recording first")
        rec = Recorder(path, cam.info, overwrite=overwrite)
        with self._lock:
            self._recorder = rec
            self._rec_status = None

    def stop_recording(self) -> RecordingStatus | None:
        """Finish the recording (waits for queued blocks to be written); the final status or None."""
        with self._rec_lock:  # a second caller waits until the first has closed the file
            return self._stop_recording()

    def _stop_recording(self) -> RecordingStatus | None:
        with self._lock:
            rec, self._recorder = self._recorder, None
        if rec is None:
            return self._rec_status
        err = None
        try:
            rec.close()
        except Exception as exc:
            err = f"{type(exc).__name__}: {exc}"
            log.error("recording to %s failed: %s", rec.path, err)
        status = self._status_of(rec, active=False, error=err)
        with self._lock:
            self._rec_status = status
        return status

    @staticmethod
    def _status_of(rec: Any, active: bool, error: str | None = None) -> RecordingStatus:
        try:
            size = os.path.getsize(rec.path)
        except OSError:
            size = 0
        err = error or (None if rec._error is None else f"{type(rec._error).__name__}: {rec._error}")
        return RecordingStatus(Path(rec.path), active, int(rec.frames), size, int(sum(n for _, n in rec.gaps)), err)

    def _recording_status_locked(self) -> RecordingStatus | None:
        if self._recorder is not None:
            return self._status_of(self._recorder, active=True)
        return self._rec_status

    # --- worker --------------------------------------------------------------
    def _open(self) -> Any:
        if isinstance(self._source, str):
            from ..camera import open_camera

            return open_camera(self._source)
        return self._source

    def _run(self) -> None:
        from ..camera import DeviceDisconnected

        limit_worker_threads()
        try:
            self.camera = self._open()
            self.camera.start()
            info = self.camera.info
            self._buf_w, self._buf_h = info.width, info.height
            with self._lock:
                self._state = "streaming"
        except Exception as exc:
            self._fail("error", exc)
            self._close_camera()
            return
        renderer = threading.Thread(target=self._render_loop, name="spikevision-viewer-live-render", daemon=True)
        renderer.start()
        try:
            while not self._stop.is_set():
                try:
                    block = self.camera.read(timeout=0.05)
                except TimeoutError:
                    continue
                if block is None:
                    with self._lock:
                        self._state = "ended"
                    break
                self._ingest(block)
                self._dirty.set()
        except DeviceDisconnected as exc:
            self._fail("disconnected", exc)
        except Exception as exc:
            self._fail("error", exc)
        finally:
            self._reading_done.set()
            self._dirty.set()
            renderer.join()
            self._finish_recording_on_exit()
            self._close_camera()

    def _render_loop(self) -> None:
        """Render the newest frame at most ``render_hz`` times a second, in its own thread.

        Rendering never delays reading: a slow mode (seconds per image) only lowers the display
        rate, while the reader keeps the camera's ring drained and the recording complete.
        """
        limit_worker_threads()
        next_render = 0.0  # deadlines advance by the period, so blocks arriving at 100 Hz still give render_hz
        while True:
            self._dirty.wait()
            self._dirty.clear()
            try:
                self._render()
            except Exception as exc:  # keep the session alive; the panel shows the message
                log.warning("live render failed: %s", exc)
            if self._reading_done.is_set():
                return
            now = time.monotonic()
            period = 1.0 / self.render_hz
            next_render = max(next_render + period, now - period)
            delay = next_render - now
            if delay > 0:
                self._reading_done.wait(delay)

    def _fail(self, state: str, exc: BaseException) -> None:
        msg = f"{type(exc).__name__}: {exc}"
        log.warning("live camera %s: %s", self.url, msg)
        with self._lock:
            self._state, self._error = state, msg

    def _finish_recording_on_exit(self) -> None:
        with self._lock:
            active = self._recorder is not None
        if active:
            self.stop_recording()

    def _close_camera(self) -> None:
        cam = self.camera
        if cam is not None:
            try:
                cam.close()
            except Exception as exc:
                log.warning("closing camera %s: %s", self.url, exc)

    def _ingest(self, block: Any) -> None:
        with self._lock:
            rec = self._recorder
        if rec is not None:
            try:
                rec.write(block)
            except Exception as exc:
                log.error("recording stopped: %s", exc)
                self.stop_recording()
        p = block.packed
        with self._lock:
            if block.dropped_before:
                self._blocks.clear()  # never render a window across a gap
                self._fill = 0
            self._blocks.append(p)
            self._fill += p.shape[0]
            while self._blocks and self._fill - self._blocks[0].shape[0] >= self.keep_frames:
                self._fill -= self._blocks.popleft().shape[0]
            self._last_index = block.stop_index - 1

    def _tail_parts(self, n: int) -> list[np.ndarray]:
        """Views of the newest ``n`` frames, oldest first (call with the lock held)."""
        parts: list[np.ndarray] = []
        need = n
        for p in reversed(self._blocks):
            if need <= 0:
                break
            parts.append(p[max(0, p.shape[0] - need):])
            need -= p.shape[0]
        return parts[::-1]

    def _render(self) -> None:
        mode_name, window, roi = self._view
        mode = get_mode(mode_name)
        before, after = mode.span(window)
        with self._lock:
            fill, last = self._fill, self._last_index
            if fill == 0 or last is None or self.camera is None:
                return
            n = min(fill, before + after + 1)
            parts = self._tail_parts(n)
        packed = parts[0] if len(parts) == 1 else np.concatenate(parts)  # one block: no copy at all
        stream = from_packed(packed, self._buf_h, self._buf_w, self.camera.info.fps)
        at = max(0, n - 1 - after)
        t = time.perf_counter()
        frame = render_frame(stream, RenderKey(at, mode_name, window, roi))
        dt = time.perf_counter() - t
        frame = dataclasses.replace(frame, key=RenderKey(last - (n - 1 - at), mode_name, window, roi))
        now = time.monotonic()
        with self._lock:
            self._newest = frame
            self._renders.append(now)
            self._render_time = 0.9 * self._render_time + 0.1 * dt * self.render_hz
