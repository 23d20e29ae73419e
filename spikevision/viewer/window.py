"""``ViewerWindow``: the spike viewer's main window (recordings and live cameras).

The GUI thread never decodes or reconstructs: a :class:`~.playback.FramePlayer`
(recordings) or a :class:`~.live.LiveSession` (cameras) renders in a worker
thread, and a QTimer at the display rate pulls the newest frame. Playback is
clocked by wall time (``position += spike_rate * dt``), so when rendering falls
behind frames are skipped rather than the clock slowing down.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PyQt6.QtCore import QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..errors import SpikevisionError
from . import theme
from .canvas import ImageCanvas
from .clock import PlaybackClock
from .dialogs import FILE_FILTER, ConnectDialog, ExportDialog, OpenOptionsDialog
from .display import DisplaySettings, auto_levels, to_rgb
from .export import save_png
from .export_job import ExportJob
from .live import LiveSession
from .modes import get_mode, mode_names
from .panels import CameraPanel, DisplayPanel, ViewPanel
from .playback import FramePlayer, RenderedFrame, RenderKey, render_frame
from .plots import TracePlot
from .probe import readout
from .settings import load_settings, remember_file, save_settings, saved_speed
from .transport import format_time

__all__ = ["ViewerWindow", "FILE_FILTER"]

log = logging.getLogger(__name__)


class ViewerWindow(QMainWindow):
    """The viewer (see the module docstring).

    Signals:
        frameReady(): emitted (queued, from the render worker) when a requested frame is ready, so a
            seek shows its frame without waiting for the next timer tick.

    Args:
        settings: where to remember settings between sessions (None: remember nothing,
            as for screenshots and tests).
        prefetch: frames rendered ahead while playing.
    """

    frameReady = pyqtSignal()

    def __init__(self, settings: QSettings | None = None, prefetch: int = 6):
        super().__init__()
        self.settings = settings
        self.prefetch = prefetch
        self.stream = None
        self.player: FramePlayer | None = None
        self.live: LiveSession | None = None
        self.source_name = ""
        self.position = 0.0
        self.playing = False
        self.loop = False
        self.reverse = False
        self.frozen = False
        self.last_error: str | None = None
        self.shown: RenderedFrame | None = None
        self.rgb: np.ndarray | None = None
        self.dropped_draws = 0
        self.draw_count = 0
        self._draws: list[float] = []
        self.clock = PlaybackClock(1)
        self._hist_time = 0.0
        self._readout_time = 0.0
        self._want: RenderKey | None = None
        self._live_state = ""
        self._ticks = 0
        self._hover = (-1, -1)
        self.export_job: ExportJob | None = None
        self._message_boxes: list[QMessageBox] = []
        self.recent_files: list[str] = []
        self.setWindowTitle("spikevision viewer")
        self.setAcceptDrops(True)
        self._build()
        self._build_actions()
        self.frameReady.connect(self._frame_ready, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._set_timer_rate(self.transport.display_rate)
        self.timer.start()
        load_settings(self)
        self._update_title()

    # --- layout ----------------------------------------------------------------
    def _build(self) -> None:
        from .transport import TransportBar

        self.canvas = ImageCanvas()
        self.transport = TransportBar()
        center = QWidget()
        cl = QVBoxLayout(center)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.canvas, 1)
        cl.addWidget(self.transport)

        self.view_panel = ViewPanel()
        self.display_panel = DisplayPanel()
        self.camera_panel = CameraPanel()
        self.camera_panel.hide()
        roi = QGroupBox("ROI")
        rl = QVBoxLayout(roi)
        self.trace = TracePlot()
        rl.addWidget(self.trace)
        pix = QGroupBox("Pixel")
        pl = QVBoxLayout(pix)
        self.pixel_label = QLabel("move the cursor over the image")
        self.pixel_label.setObjectName("readout")
        self.pixel_label.setWordWrap(True)
        pl.addWidget(self.pixel_label)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(6, 6, 6, 6)
        for w in (self.camera_panel, self.view_panel, self.display_panel, roi, pix):
            sl.addWidget(w)
        sl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side.setMinimumWidth(300)
        scroll.setMinimumWidth(320)
        scroll.setMaximumWidth(480)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        split = QSplitter()
        split.addWidget(center)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setCollapsible(0, False)
        split.setSizes([1000, 360])
        self.setCentralWidget(split)

        sb = self.statusBar()
        self.status_frame = QLabel("")
        self.status_fps = QLabel("")
        self.status_load = QLabel("")
        self.status_msg = QLabel("")
        sb.addWidget(self.status_msg, 1)
        for w in (self.status_frame, self.status_fps, self.status_load):
            sb.addPermanentWidget(w)

        t = self.transport
        t.playToggled.connect(self.set_playing)
        t.stepRequested.connect(self.step)
        t.seekRequested.connect(self.set_frame)
        t.loopToggled.connect(lambda on: setattr(self, "loop", on))
        t.reverseToggled.connect(self._set_reverse)
        t.displayFpsChanged.connect(self._set_timer_rate)
        t.speedChanged.connect(lambda _v: self._reset_clock())
        self.view_panel.changed.connect(self._view_changed)
        self.display_panel.changed.connect(self._redisplay)
        self.canvas.hovered.connect(self._hovered)
        self.canvas.roiChanged.connect(self._roi_changed)
        self.camera_panel.recordToggled.connect(self._record_toggled)
        self.camera_panel.disconnectRequested.connect(self.close_source)
        self.camera_panel.openRecordingRequested.connect(self.open_file)
        self.resize(1400, 860)

    def _build_actions(self) -> None:
        mb = self.menuBar()

        def act(menu, text, slot, keys=None, checkable=False) -> QAction:
            a = QAction(text, self)
            if keys:
                a.setShortcuts([QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys)])
                a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.setCheckable(checkable)
            a.triggered.connect(slot)
            menu.addAction(a)
            return a

        f = mb.addMenu("&File")
        act(f, "&Open file…", lambda: self._open_dialog(), "Ctrl+O")
        act(f, "Open with &options…", lambda: self._open_dialog(True), "Ctrl+Shift+O")
        act(f, "&Connect camera…", self._connect_dialog, "Ctrl+K")
        act(f, "Close source", self.close_source, "Ctrl+W")
        f.addSeparator()
        act(f, "&Snapshot PNG…", self._snapshot_dialog, "Ctrl+S")
        act(f, "&Export range…", self._export_dialog, "Ctrl+E")
        f.addSeparator()
        act(f, "&Quit", self.close, "Ctrl+Q")
        p = mb.addMenu("&Playback")
        act(p, "Play / pause", self.toggle_playing, "Space")
        act(p, "Step forward", lambda: self.step(1), "Right")
        act(p, "Step back", lambda: self.step(-1), "Left")
        act(p, "Forward 10 frames", lambda: self.step(10), "Shift+Right")
        act(p, "Back 10 frames", lambda: self.step(-10), "Shift+Left")
        act(p, "First frame", lambda: self.set_frame(0), "Home")
        act(p, "Last frame", lambda: self.set_frame(len(self.stream) - 1 if self.stream else 0), "End")
        act(p, "Go to frame…", self._focus_goto, "Ctrl+G")
        act(p, "Loop", lambda: self.transport.loop.toggle(), "L")
        act(p, "Reverse", lambda: self.transport.reverse.toggle(), "R")
        act(p, "Faster", lambda: self._speed_step(1), "]")
        act(p, "Slower", lambda: self._speed_step(-1), "[")
        v = mb.addMenu("&View")
        group = QActionGroup(self)
        self.mode_actions: dict[str, QAction] = {}
        for i, name in enumerate(mode_names()):
            m = get_mode(name)
            a = act(v, m.label, lambda _c=False, n=name: self.set_mode(n), str(i + 1) if i < 9 else None, True)
            a.setEnabled(m.unavailable() is None)
            group.addAction(a)
            self.mode_actions[name] = a
        v.addSeparator()
        act(v, "Auto levels", lambda: self.display_panel.auto.toggle(), "A")
        act(v, "Zoom in", lambda: self.canvas.set_zoom(self.canvas.zoom * 1.25), ["+", "="])
        act(v, "Zoom out", lambda: self.canvas.set_zoom(self.canvas.zoom * 0.8), "-")
        act(v, "Actual pixels (1:1)", lambda: self.canvas.set_zoom(1.0), "Ctrl+1")
        act(v, "Fit to window", self.canvas.fit, "F")
        act(v, "Clear ROI", lambda: self.canvas.set_roi(None), "Escape")
        h = mb.addMenu("&Help")
        act(h, "Keyboard shortcuts", self._show_shortcuts, "F1")

    # --- sources ----------------------------------------------------------------------
    def open_file(self, path: str | os.PathLike, **read_options: Any) -> bool:
        """Open a spike file lazily; on failure show the message and keep the current state."""
        import spikevision as sv

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                stream = sv.open(path, **read_options)
            if len(stream) == 0:
                raise SpikevisionError(f"{path} holds no complete frame; check the size options (--height/--width)")
        except (SpikevisionError, OSError, ValueError) as exc:
            self.show_error("Cannot open file", str(exc))
            return False
        self.close_source()
        self.stream = stream
        self.player = FramePlayer(stream, prefetch=self.prefetch, on_ready=lambda _f: self.frameReady.emit())
        self.clock = PlaybackClock(len(stream))
        self.source_name = str(path)
        self.position = 0.0
        self.transport.set_stream(len(stream), stream.fps, saved_speed(self, stream.fps))
        self.transport.set_live(False)
        self.view_panel.fps = stream.fps
        self.view_panel.set_window(self.view_panel.window.value())
        self.canvas.set_image(None)
        self.trace.clear()
        self.camera_panel.hide()
        remember_file(self, str(path))
        self._update_title()
        msg = f"opened {Path(path).name}: {len(stream):,} frames of {stream.height}x{stream.width} " \
              f"at {stream.fps:,.0f} Hz ({format_time(stream.duration)})"
        if caught:
            msg += "  —  " + "; ".join(str(w.message) for w in caught)
        self.set_message(msg, warn=bool(caught))
        self.set_frame(0)
        return True

    def open_camera(self, url: Any) -> LiveSession:
        """Connect to a camera URL (or an unopened :class:`~spikevision.camera.Camera`); its state, counters
        and errors show in the camera panel."""
        self.close_source()
        self.live = LiveSession(url, mode=self.view_panel.mode_name, window=self.view_panel.window.value(),
                                render_hz=1.25 * max(30.0, self.transport.display_rate))
        self.live.set_view(self.view_panel.mode_name, self.view_panel.window.value(), self.canvas.roi)
        self.live.start()
        self.source_name = self.live.url
        self._live_state = ""
        self.frozen = False
        self.transport.set_live(True)
        self.transport.set_playing(True)
        self.camera_panel.show()
        self.camera_panel.set_recording(False)
        if not self.camera_panel.path.text() or Path(self.camera_panel.path.text()).exists():
            self.camera_panel.path.setText(self._new_recording_path())
        self.canvas.set_image(None)
        self.canvas.banner = f"connecting to {self.live.url} …"
        self.trace.clear()
        if self.settings is not None and isinstance(url, str):
            self.settings.setValue("last_url", url)
        self._update_title()
        self.set_message(f"connecting to {self.live.url}")
        return self.live

    def close_source(self) -> None:
        """Stop playback or the camera and release the file; threads are joined."""
        self.set_playing(False)
        if self.player is not None:
            self.player.close()
            self.player = None
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        if self.live is not None:
            rec = self.live.stop()
            if rec is not None and rec.active is False:
                self.set_message(f"recording finished: {rec.frames:,} frames in {rec.path}")
            self.live = None
        self.transport.set_live(False)
        self.camera_panel.hide()
        self.shown = None
        self._want = None
        self.canvas.banner = "Open a spike file (Ctrl+O), drop one here, or connect a camera (Ctrl+K)"
        self.canvas.set_image(None)
        self.source_name = ""
        self._update_title()

    # --- state setters (also the scripting / test API) ---------------------------------------------
    @property
    def index(self) -> int:
        """The frame the view is at (recordings)."""
        return int(self.position)

    def set_frame(self, index: int) -> None:
        """Go to frame ``index`` (clamped); the image follows as soon as it is rendered."""
        if self.stream is None:
            return
        self.position = float(min(max(0, int(index)), len(self.stream) - 1))
        self.transport.set_position(self.index)
        self._reset_clock()
        self._request(self.index)

    def step(self, n: int) -> None:
        """Step ``n`` frames (pauses playback)."""
        self.set_playing(False)
        self.set_frame(self.index + int(n))

    def set_playing(self, on: bool) -> None:
        """Play or pause (recordings); freeze or resume the view (cameras)."""
        if self.live is not None:
            self.frozen = not on
            self.transport.set_playing(on)
            return
        on = bool(on) and self.stream is not None
        if on and not self.loop:
            end = 0 if self.reverse else len(self.stream) - 1
            if self.index == end:  # play again from the start
                self.position = float(len(self.stream) - 1 if self.reverse else 0)
        self.playing = on
        self.transport.set_playing(on)
        self._reset_clock()

    def toggle_playing(self) -> None:
        """Space: play/pause a recording, freeze/resume a camera."""
        self.set_playing(self.frozen if self.live is not None else not self.playing)

    def set_mode(self, name: str, window: int | None = None) -> None:
        """Switch the view mode (and optionally its window); applies the mode's default colormap and levels."""
        self.view_panel.set_mode(name, window)

    def set_window(self, window: int) -> None:
        self.view_panel.set_window(window)

    def set_speed(self, spike_frames_per_second: float) -> None:
        self.transport.set_speed(spike_frames_per_second)
        self._reset_clock()

    def set_display(self, levels: tuple[float, float] | None = None, gamma: float | None = None,
                    colormap: str | None = None, auto: bool | None = None) -> None:
        """Change display settings (each None keeps the current value)."""
        dp = self.display_panel
        dp._quiet = True
        if colormap is not None:
            dp.set_colormap(colormap)
        if gamma is not None:
            dp.gamma.setValue(float(gamma))
        if auto is not None:
            dp.auto.setChecked(bool(auto))
        dp._quiet = False
        if levels is not None:
            if auto is None:
                dp.auto.blockSignals(True)
                dp.auto.setChecked(False)
                dp.auto.blockSignals(False)
            dp.set_levels(float(levels[0]), float(levels[1]))
        dp._emit()

    @property
    def display(self) -> DisplaySettings:
        dp = self.display_panel
        return DisplaySettings(dp.levels, float(dp.gamma.value()), str(dp.colormap.currentData()),
                               dp.auto.isChecked())

    def current_key(self, index: int | None = None) -> RenderKey:
        return RenderKey(self.index if index is None else int(index), self.view_panel.mode_name,
                         self.view_panel.window.value(), self.canvas.roi)

    def render_now(self, timeout: float = 60.0) -> RenderedFrame | None:
        """Render the current state and show it before returning (screenshots, scripts, tests)."""
        if self.live is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                frame = self.live.newest()
                st = self.live.status()
                if frame is not None and frame.key.mode == self.view_panel.mode_name:
                    self._show(frame)
                    return frame
                if st.state not in ("connecting", "streaming"):
                    break
                time.sleep(0.02)
            self._tick()
            return self.shown
        if self.stream is None:
            return None
        key = self.current_key()
        frame = (self.player.get(key) if self.player else None) or render_frame(self.stream, key)
        self._show(frame)
        return frame

    def grab_image(self) -> np.ndarray:
        """The window as an (H, W, 3) uint8 RGB array (what a screenshot shows)."""
        return qimage_to_rgb(self.grab().toImage())

    def save_screenshot(self, path: str | os.PathLike) -> Path:
        """Save the whole window as PNG (atomically)."""
        return save_png(self.grab_image(), path)

    def snapshot(self, path: str | os.PathLike) -> Path:
        """Save the displayed image (at its native resolution, with levels and colormap) as PNG."""
        if self.rgb is None:
            raise SpikevisionError("nothing to save: no frame is shown yet; open a file or a camera first")
        return save_png(self.rgb, path)

    # --- rendering loop ---------------------------------------------------------------------------
    def _request(self, index: int, ahead: tuple[int, ...] = ()) -> None:
        if self.player is None:
            return
        self._want = self.current_key(index)
        self.player.request(self._want, ahead)

    def _reset_clock(self) -> None:
        """Restart the playback clock at the current frame (play, seek, speed or direction change)."""
        self.clock.restart(self.index, time.monotonic())

    def _set_reverse(self, on: bool) -> None:
        self.reverse = bool(on)
        self._reset_clock()

    def _set_timer_rate(self, fps: float) -> None:
        # a whole number of ms at or below the period, so the timer never runs slower than the display rate
        self.timer.setInterval(max(1, int(1000.0 / fps)))
        self._reset_clock()
        if self.live is not None:
            self.live.render_hz = 1.25 * max(30.0, fps)

    def _tick(self) -> None:
        self._ticks += 1
        if self.live is not None:
            self._tick_live()
        elif self.stream is not None and self.player is not None:
            self._tick_file()
        if self._ticks % 8 == 0:
            self._update_status()

    def _tick_file(self) -> None:
        if self.playing:
            c = self.clock
            c.spike_rate, c.display_rate = self.transport.spike_rate, self.transport.display_rate
            c.loop, c.reverse = self.loop, self.reverse
            t = c.tick(time.monotonic(), self.prefetch)
            if t.wrapped:
                self.trace.clear()
            self.position = float(t.index)
            if t.ended:
                self.set_playing(False)
            self._request(t.index, t.ahead)
            self.transport.set_position(t.index)
        want = self._want
        if want is None:
            return
        frame = self.player.get(want)
        if frame is None:
            if self.playing:
                self.dropped_draws += 1
                newest = self.player.newest()
                if newest is not None and newest is not self.shown and newest.key.mode == want.mode:
                    self._show(newest)
            return
        if frame is not self.shown:
            self._show(frame)

    def _frame_ready(self) -> None:
        """Show a requested frame as soon as the worker has it (seeks and steps; playback uses the timer)."""
        if self.playing or self.player is None or self._want is None:
            return
        frame = self.player.get(self._want)
        if frame is not None and frame is not self.shown:
            self._show(frame)

    def _tick_live(self) -> None:
        live = self.live
        if self._ticks % 4 == 0 or self._live_state in ("", "connecting"):
            st = live.status()
            self.camera_panel.update_status(st)
            if st.state != self._live_state:
                self._live_state = st.state
                if st.state in ("error", "disconnected"):
                    self.canvas.banner = f"camera {st.state}: {st.error}"
                    self.canvas.update()
                    self.show_error(f"Camera {st.state}", f"{self.source_name}: {st.error}")
                elif st.state == "streaming":
                    self.set_message(f"streaming {self.source_name}")
                elif st.state == "ended":
                    self.set_message(f"{self.source_name}: end of stream")
        if self.frozen:
            return
        frame = live.newest()
        if frame is not None and frame is not self.shown:
            self._show(frame)

    def _show(self, frame: RenderedFrame) -> None:
        self.shown = frame
        d = self.display
        if d.auto_levels:
            lo, hi = auto_levels(frame.image)
            self.display_panel.set_levels(lo, hi)
            d = d.with_(levels=(lo, hi))
        self.rgb = to_rgb(frame.image, d.levels, d.gamma, d.colormap)
        self.canvas.set_image(self.rgb)
        now = time.monotonic()
        if not (self.playing or self.live is not None) or now - self._hist_time >= 0.1:  # 10 Hz is plenty
            self._hist_time = now
            self.display_panel.hist.set_image(frame.image)
        m = get_mode(frame.key.mode)
        # camera.info only (a full status() would query the camera's counters and stat the recording per draw)
        fps = self.stream.fps if self.stream is not None else (self.live.camera.info.fps
                                                             if self.live and self.live.camera else 20000.0)
        win = "" if m.window_range[0] == m.window_range[1] else f"  window {frame.key.window}"
        self.canvas.overlay = f"frame {frame.key.index:,}  t = {format_time(frame.key.index / fps)}  {m.label}{win}"
        if frame.error:
            self.canvas.overlay += f"  ⚠ {frame.error}"
        if frame.key.roi is not None and frame.roi_mean is not None:
            self.trace.append(frame.key.index, frame.roi_mean, frame.roi_rate)
        if self.stream is not None and not self.playing:
            self.transport.set_position(frame.key.index)
        now = time.monotonic()
        self.draw_count += 1
        self._draws = [t for t in self._draws if now - t <= 1.0] + [now]
        if self._hover != (-1, -1) and (now - self._readout_time >= 0.1 or not (self.playing or self.live)):
            self._hovered(*self._hover)  # refresh the readout for the new frame, at most 10 times a second

    def _redisplay(self) -> None:
        if self.shown is not None:
            self._show(self.shown)

    def _view_changed(self, mode: str, window: int) -> None:
        m = get_mode(mode)
        if self.mode_actions.get(mode) is not None:
            self.mode_actions[mode].setChecked(True)
        if getattr(self, "_last_mode", None) != mode:
            self._last_mode = mode
            self.set_display(levels=m.levels, colormap=m.colormap, auto=m.levels is None)
        self.trace.clear()
        if self.live is not None:
            self.live.set_view(mode, window, self.canvas.roi)
        elif self.stream is not None:
            self._request(self.index)

    def _roi_changed(self, roi) -> None:
        self.trace.clear()
        if self.live is not None:
            self.live.set_view(self.view_panel.mode_name, self.view_panel.window.value(), roi)
        elif self.stream is not None:
            self._request(self.index)

    def _hovered(self, row: int, col: int) -> None:
        self._hover = (row, col)
        if row < 0 or self.shown is None:
            self.pixel_label.setText("move the cursor over the image")
            return
        self._readout_time = time.monotonic()
        value = float(self.shown.image[row, col])
        window = max(1, min(self.shown.key.window, 1024))
        try:
            if self.live is not None:
                r = self.live.readout(row, col, window, at=self.shown.key.index)
            else:
                r = readout(self.stream, self.shown.key.index, row, col, window)
        except Exception as exc:  # readout is a convenience: never let it break the view
            log.debug("pixel readout failed: %s", exc)
            r = None
        lines = [f"x {col}  y {row}", f"value   {value:.4f}"]
        if r is not None:
            lines.append(f"spikes  {r.count} in {r.window} frames")
            lines.append(f"last ISI {r.last_isi if r.last_isi is not None else '—'} frames"
                         + (f"  (last spike {r.last_spike:,})" if r.last_spike is not None else ""))
        self.pixel_label.setText("\n".join(lines))

    # --- status ------------------------------------------------------------------------------------
    def _update_status(self) -> None:
        now = time.monotonic()
        draws = len([t for t in self._draws if now - t <= 1.0])
        self.status_fps.setText(f"display {draws:3d} fps")
        load = 0.0
        if self.player is not None:
            load = self.player.load
        elif self.live is not None:
            load = self.live.status().render_load
        self.status_load.setText(f"decode load {load:4.0%}")
        if self.stream is not None:
            self.status_frame.setText(f"frame {self.index:,}/{len(self.stream) - 1:,}  skipped {self.dropped_draws:,}")
        elif self.live is not None and self.shown is not None:
            self.status_frame.setText(f"frame {self.shown.key.index:,}")
        else:
            self.status_frame.setText("")

    def set_message(self, text: str, warn: bool = False, error: bool = False) -> None:
        color = theme.ERROR if error else theme.WARN if warn else theme.MUTED
        self.status_msg.setStyleSheet(f"color: {color};")
        self.status_msg.setText(text)
        log.info("%s", text)

    def show_error(self, title: str, text: str) -> None:
        """Show an error without blocking (the app stays alive and usable)."""
        self.last_error = text
        self.set_message(f"{title}: {text}", error=True)
        log.info("%s: %s", title, text)
        if os.environ.get("SPIKEVISION_VIEWER_NO_DIALOGS"):
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.finished.connect(lambda _r, b=box: self._message_boxes.remove(b) if b in self._message_boxes else None)
        self._message_boxes.append(box)
        box.show()

    def _update_title(self) -> None:
        name = Path(self.source_name).name if self.source_name and "://" not in self.source_name else self.source_name
        self.setWindowTitle(f"{name} — spikevision viewer" if name else "spikevision viewer")

    # --- dialogs -----------------------------------------------------------------------------------
    def _last_dir(self) -> str:
        if self.settings is not None:
            return str(self.settings.value("last_dir", str(Path.home())))
        return str(Path.cwd())

    def _open_dialog(self, with_options: bool = False) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open spike file", self._last_dir(), FILE_FILTER)
        if not path:
            return
        if with_options:
            self._open_with_options(path)
        elif not self.open_file(path) and Path(path).suffix.lower() in (".dat", ".bin", ""):
            self._open_with_options(path, self.last_error or "")

    def _open_with_options(self, path: str, message: str = "") -> None:
        """Ask for the layout (size, rate, row order, head columns) and open with it."""
        opts = dict(self.settings.value("dat_options", {}) or {}) if self.settings is not None else {}
        dlg = OpenOptionsDialog(self, path, message, opts)
        if dlg.exec() and self.open_file(path, **dlg.options()) and self.settings is not None:
            self.settings.setValue("dat_options", dlg.options())

    def _connect_dialog(self) -> None:
        last = str(self.settings.value("last_url", "sim://?fps=20000")) if self.settings else "sim://?fps=20000"
        dlg = ConnectDialog(self, self.recent_files[:5], last)
        if dlg.exec() and dlg.selected_url():
            try:
                self.open_camera(dlg.selected_url())
            except (SpikevisionError, ValueError) as exc:
                self.show_error("Cannot connect", str(exc))

    def _snapshot_dialog(self) -> None:
        if self.rgb is None:
            self.show_error("Nothing to save", "no frame is shown yet; open a file or connect a camera")
            return
        stem = Path(self.source_name).stem if self.source_name and "://" not in self.source_name else "live"
        idx = self.shown.key.index if self.shown else 0
        default = str(Path(self._last_dir()) / f"{stem}_{idx:06d}_{self.view_panel.mode_name}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", default, "PNG image (*.png)")
        if path:
            try:
                self.snapshot(path)
                self.set_message(f"saved {path}")
            except (SpikevisionError, OSError) as exc:
                self.show_error("Cannot save snapshot", str(exc))

    def _export_dialog(self) -> None:
        if self.stream is None:
            self.show_error("Nothing to export", "export works on recordings; open a file (or record the camera)")
            return
        dlg = ExportDialog(self, len(self.stream), self.index, start=self.index, directory=self._last_dir())
        if dlg.exec():
            v = dlg.values()
            self.export(v["path"], v["start"], v["stop"], step=v["step"], video_fps=v["video_fps"])

    def export(self, path: str | os.PathLike, start: int, stop: int, *, step: int = 1, video_fps: float = 30.0,
               wait: bool = False, progress_dialog: bool = True) -> ExportJob:
        """Export frames [start, stop) of the current view in a worker thread with a cancellable progress dialog."""
        if self.export_job is not None and self.export_job.running:
            raise SpikevisionError("an export is running already; wait for it or cancel it")
        if self.stream is None:
            raise SpikevisionError("nothing to export: open a recording first")
        job = ExportJob(self, self.stream, start, stop, path, progress_dialog=progress_dialog,
                        mode=self.view_panel.mode_name, window=self.view_panel.window.value(), display=self.display,
                        step=step, video_fps=video_fps)
        job.done.connect(self._export_done)
        self.export_job = job.start()
        if wait:
            job.wait()
        return job

    def _export_done(self, status: str, detail: str) -> None:
        if status == "cancelled":
            self.set_message("export cancelled; nothing was written", warn=True)
        elif status == "error":
            self.show_error("Export failed", detail)
        else:
            self.set_message(f"exported {detail}")

    def cancel_export(self) -> None:
        if self.export_job is not None:
            self.export_job.cancel()

    def _record_toggled(self, on: bool, path: str) -> None:
        if self.live is None:
            return
        if on:
            try:
                self.live.start_recording(path or "recording.h5")
                self.camera_panel.update_status(self.live.status())
                self.set_message(f"recording to {path}")
            except Exception as exc:
                self.camera_panel.set_recording(False)
                self.show_error("Cannot record", str(exc))
        else:
            rec = self.live.stop_recording()
            self.camera_panel.update_status(self.live.status())
            if rec is not None:
                self.set_message(f"recorded {rec.frames:,} frames to {rec.path}", warn=bool(rec.error))
                if Path(self.camera_panel.path.text()).exists():  # the next recording gets a new name
                    self.camera_panel.path.setText(self._new_recording_path())
                if rec.error:
                    self.show_error("Recording failed", rec.error)

    def _new_recording_path(self) -> str:
        """A fresh file name in the last folder: recording_YYYYmmdd_HHMMSS.h5."""
        folder = Path(self.camera_panel.path.text()).parent if self.camera_panel.path.text() else \
            Path(self._last_dir())
        return str(folder / time.strftime("recording_%Y%m%d_%H%M%S.h5"))

    def _focus_goto(self) -> None:
        self.transport.frame.setFocus()
        self.transport.frame.selectAll()

    def _speed_step(self, d: int) -> None:
        c = self.transport.speed
        c.setCurrentIndex(min(c.count() - 1, max(0, c.currentIndex() + d)))

    def _show_shortcuts(self) -> None:
        text = ("Space  play / pause\n←/→  step one frame (Shift: 10)\nHome/End  first / last frame\n"
                "Ctrl+G  go to frame\nL  loop    R  reverse\n[ ]  slower / faster\n1-6  view modes\n"
                "A  auto levels\n+/-  zoom    Ctrl+1  1:1    F  fit\nShift+drag  draw ROI    Esc  clear ROI\n"
                "Ctrl+O open    Ctrl+K connect camera\nCtrl+S snapshot    Ctrl+E export range")
        QMessageBox.information(self, "Keyboard shortcuts", text)

    # --- drag and drop --------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.open_file(urls[0].toLocalFile())

    def shutdown(self) -> None:
        """Save settings, stop every thread this window started, and wait for them."""
        self.timer.stop()
        save_settings(self)
        self.cancel_export()
        if self.export_job is not None:
            self.export_job.wait(10)
        self.close_source()
        for box in list(self._message_boxes):
            box.close()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


def qimage_to_rgb(img) -> np.ndarray:
    """A QImage as an (H, W, 3) uint8 RGB array (copied)."""
    from PyQt6.QtGui import QImage

    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits().asarray(h * bpl), np.uint8).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()
