"""``ViewerWindow``: the spike viewer's main window (recordings and live cameras).

The window holds the state (source, position, mode, display) and its scripting
API; the concerns live in their own modules: :mod:`.layout` (widgets and
signals), :mod:`.menus` (actions and shortcuts), :mod:`.render_loop` (the
display timer, drawing and the status bar) and :mod:`.commands` (dialogs,
export and recording).
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
from PyQt6.QtWidgets import QMainWindow, QMessageBox

from ..errors import SpikevisionError
from . import theme
from .clock import PlaybackClock
from .commands import Commands
from .dialogs import FILE_FILTER
from .display import DisplaySettings
from .export import save_png
from .export_job import ExportJob
from .exposure import EXPOSURE_SETTLE_MS, Exposure
from .layout import build_layout
from .live import LiveSession
from .menus import build_menus
from .playback import FramePlayer, RenderedFrame, RenderKey, render_frame
from .render_loop import RenderLoop
from .settings import load_settings, remember_file, save_settings, saved_speed
from .transport import format_time

__all__ = ["ViewerWindow", "FILE_FILTER", "qimage_to_rgb"]

log = logging.getLogger(__name__)


class ViewerWindow(RenderLoop, Commands, QMainWindow):
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
        self.raw_mosaic = False  # show a colour (Bayer) stream's raw mosaic instead of its colour images
        self._cfa = None  # the opened stream's Bayer pattern (kept while the raw mosaic is shown)
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
        self.exposure = Exposure()
        self._auto_was = False
        self.setWindowTitle("spikevision viewer")
        self.setAcceptDrops(True)
        build_layout(self)
        build_menus(self)
        self.frameReady.connect(self._frame_ready, Qt.ConnectionType.QueuedConnection)
        self.exposure_timer = QTimer(self, singleShot=True, interval=EXPOSURE_SETTLE_MS)
        self.exposure_timer.timeout.connect(self._remeasure_exposure)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self._set_timer_rate(self.transport.display_rate)
        self.timer.start()
        load_settings(self)
        self._update_title()

    # --- sources ----------------------------------------------------------------------
    def open_file(self, path: str | os.PathLike, right: str | os.PathLike | None = None, **read_options: Any) -> bool:
        """Open a spike file lazily (a stereo pair file, or ``path`` with the ``right`` camera's file: the left
        view carrying the pair); on failure show the message and keep the current state."""
        from ..stereo.pair import open_viewable

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                stream = open_viewable(path, right, **read_options)
            if len(stream) == 0:
                raise SpikevisionError(f"{path} holds no complete frame; check the size options (--height/--width)")
        except (SpikevisionError, OSError, ValueError) as exc:
            self.show_error("Cannot open file", str(exc))
            return False
        self.close_source()
        self._cfa = stream.meta.cfa
        if self.raw_mosaic and self._cfa is not None:
            stream = stream.with_meta(cfa=None)
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

    def set_raw_mosaic(self, on: bool) -> None:
        """Show a colour (Bayer) stream's raw colour-filtered mosaic (``True``, grey) or its demosaiced colour
        images (``False``, the default); streams without a Bayer pattern look the same either way."""
        self.raw_mosaic = bool(on)
        if self.stream is None or self._cfa is None:
            return
        self.stream = self.stream.with_meta(cfa=None if self.raw_mosaic else self._cfa)
        if self.player is not None:
            self.player.close()
        self.player = FramePlayer(self.stream, prefetch=self.prefetch, on_ready=lambda _f: self.frameReady.emit())
        self.set_frame(self.index)

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
        self.exposure.reset()
        self.exposure_timer.stop()
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
        if not self.exposure.covers(self.index):  # a seek elsewhere: measure there once the seeking settles
            self.exposure_timer.start()
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

    # --- status ------------------------------------------------------------------------------------
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
        self.exposure_timer.stop()
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
