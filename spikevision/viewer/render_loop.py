"""The viewer's render loop: the display timer pulls rendered frames and draws them (playback wiring).

The GUI thread never decodes or reconstructs: a :class:`~.playback.FramePlayer`
(recordings) or a :class:`~.live.LiveSession` (cameras) renders in a worker
thread, and a QTimer at the display rate pulls the newest frame. Playback is
clocked by wall time (``position += spike_rate * dt``), so when rendering falls
behind frames are skipped rather than the clock slowing down.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from .display import auto_levels, to_rgb
from .modes import get_mode
from .playback import RenderedFrame
from .probe import readout
from .transport import format_time

__all__ = ["RenderLoop"]

log = logging.getLogger(__name__)


class RenderLoop:
    """Mixin of :class:`~.window.ViewerWindow`: requests, the timer tick, drawing a frame, hover readout, status."""

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
            if t.ended:  # stop on the last frame; the request below shows it once rendered
                self.set_playing(False)
            self._request(t.index, t.ahead)
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
        """Draw ``frame``; the overlay, the frame box, the slider and the status bar all name this frame."""
        self.shown = frame
        d = self.display
        if d.auto_levels:
            lo, hi = self._auto_levels(frame)
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
        if self.stream is not None:
            self.transport.show_frame(frame.key.index)
        self._status_frame()
        self.draw_count += 1
        self._draws = [t for t in self._draws if now - t <= 1.0] + [now]
        if self._hover != (-1, -1) and (now - self._readout_time >= 0.1 or not (self.playing or self.live)):
            self._hovered(*self._hover)  # refresh the readout for the new frame, at most 10 times a second

    def _auto_levels(self, frame: RenderedFrame) -> tuple[float, float]:
        """Auto levels: 0 .. the source's exposure for firing-rate modes, else the frame's percentiles."""
        if get_mode(frame.key.mode).exposure:
            if self.stream is not None:
                rate = self.exposure.rate_at(self.stream, frame.key.index)
            else:
                rate = self.exposure.rate_live(self.live.recent) if self.live is not None else None
            if rate is not None:
                return 0.0, float(rate)
        return auto_levels(frame.image)

    def _remeasure_exposure(self) -> None:
        """After a seek out of the measured segment has settled: measure the exposure there and redraw."""
        if self.stream is not None and not self.exposure.covers(self.index):
            self.exposure.reset()
            self._redisplay()

    def _redisplay(self) -> None:
        auto = self.display_panel.auto.isChecked()
        if auto and not self._auto_was:  # switching auto levels on measures the exposure again, here
            self.exposure.reset()
        self._auto_was = auto
        if self.shown is not None:
            self._show(self.shown)

    def _view_changed(self, mode: str, window: int) -> None:
        m = get_mode(mode)
        if self.mode_actions.get(mode) is not None:
            self.mode_actions[mode].setChecked(True)
        if getattr(self, "_last_mode", None) != mode:
            self._last_mode = mode
            self.set_display(levels=m.levels, colormap=m.colormap, auto=m.auto_default)
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
        px = np.asarray(self.shown.image[row, col])
        window = max(1, min(self.shown.key.window, 1024))
        try:
            if self.live is not None:
                r = self.live.readout(row, col, window, at=self.shown.key.index)
            else:
                r = readout(self.stream, self.shown.key.index, row, col, window)
        except Exception as exc:  # readout is a convenience: never let it break the view
            log.debug("pixel readout failed: %s", exc)
            r = None
        shown = f"value   {float(px):.4f}" if px.ndim == 0 else "rgb     " + " ".join(str(int(v)) for v in px)
        lines = [f"x {col}  y {row}", shown]
        if r is not None:
            lines.append(f"spikes  {r.count} in {r.window} frames")
            lines.append(f"last ISI {r.last_isi if r.last_isi is not None else '—'} frames"
                         + (f"  (last spike {r.last_spike:,})" if r.last_spike is not None else ""))
        extra = getattr(get_mode(self.shown.key.mode), "readout_lines", None)   # e.g. depth of a disparity
        if extra is not None and self.stream is not None and px.ndim == 0:
            lines += extra(self.stream, float(px))
        self.pixel_label.setText("\n".join(lines))

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
        self._status_frame()

    def _status_frame(self) -> None:
        """The status bar's frame: the one drawn (as the overlay and the frame box)."""
        if self.shown is None:
            self.status_frame.setText("")
        elif self.stream is not None:
            self.status_frame.setText(f"frame {self.shown.key.index:,}/{len(self.stream) - 1:,}  "
                                      f"skipped {self.dropped_draws:,}")
        else:
            self.status_frame.setText(f"frame {self.shown.key.index:,}")
        need = self.status_frame.sizeHint().width()
        if need > self.status_frame.minimumWidth():  # grow only: the status bar does not jitter while playing
            self.status_frame.setMinimumWidth(need)
