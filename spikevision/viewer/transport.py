"""``TransportBar``: play/pause, step, scrub, jump to frame or time, loop, reverse, playback speed.

Speed is set in two independent units, as in high-speed camera software:
the display rate (frames drawn per second) and the playback rate in spike
frames per second (from 1 frame/s slow motion to faster than real time). One
displayed frame therefore advances ``spike_rate / display_fps`` spike frames.
"""

from __future__ import annotations

from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .icons import icon
from .theme import muted_label

__all__ = ["TransportBar", "speed_presets", "format_time", "parse_time"]

DISPLAY_FPS = (15, 30, 60, 120)


def speed_presets(fps: float) -> list[tuple[str, float]]:
    """(label, spike frames per second) choices for a recording at ``fps`` Hz."""
    out = [(f"{v:,} frame/s" if v == 1 else f"{v:,} frames/s", float(v)) for v in (1, 10, 30, 100, 300, 1000)]
    for mult in (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0):
        out.append((f"{mult:g}x  ({fps * mult:,.0f}/s)", fps * mult))
    return out


def format_time(seconds: float) -> str:
    """Seconds as a short human string in the best unit (``"12.350 ms"``, ``"1.250000 s"``)."""
    if abs(seconds) < 1:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds:.6f} s"


def parse_time(text: str) -> float:
    """``"12.5ms"``, ``"0.3 s"``, ``"250us"`` or a bare number of seconds -> seconds."""
    t = text.strip().lower().replace(" ", "")
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1.0)):
        if t.endswith(unit):
            return float(t[: -len(unit)]) * scale
    return float(t)


def _button(text: str, tip: str, checkable: bool = False, icon_name: str | None = None) -> QToolButton:
    b = QToolButton()
    if icon_name:
        b.setIcon(icon(icon_name))
    else:
        b.setText(text)
    b.setToolTip(tip)
    b.setCheckable(checkable)
    b.setMinimumWidth(32)
    b.setIconSize(QSize(18, 18))
    return b


class TransportBar(QFrame):
    """The bar under the image (see the module docstring).

    Signals:
        playToggled(bool), stepRequested(int), seekRequested(int), speedChanged(float),
        displayFpsChanged(float), loopToggled(bool), reverseToggled(bool).
    """

    playToggled = pyqtSignal(bool)
    stepRequested = pyqtSignal(int)
    seekRequested = pyqtSignal(int)
    speedChanged = pyqtSignal(float)
    displayFpsChanged = pyqtSignal(float)
    loopToggled = pyqtSignal(bool)
    reverseToggled = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transport")
        self.fps = 20000.0
        self.n_frames = 0
        self._quiet = False
        self.first = _button("", "first frame (Home)", icon_name="first")
        self.back = _button("", "step back (Left; Shift: 10 frames)", icon_name="step_back")
        self.play = _button("", "play / pause (Space)", checkable=True, icon_name="play")
        self.play.setMinimumWidth(48)
        self.fwd = _button("", "step forward (Right; Shift: 10 frames)", icon_name="step_forward")
        self.last = _button("", "last frame (End)", icon_name="last")
        self.loop = _button("⟲", "loop (L)", checkable=True)
        self.reverse = _button("⇄", "play backwards (R)", checkable=True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("scrub: drag to any frame (the recording is read lazily)")
        self.frame = QSpinBox()
        self.frame.setKeyboardTracking(False)
        self.frame.setToolTip("jump to frame (Ctrl+G)")
        self.frame.setMinimumWidth(80)
        self.time = QLineEdit()
        self.time.setToolTip("jump to time: 12.5 ms, 0.3 s, 250 us")
        self.time.setMinimumWidth(90)
        self.time.setMaximumWidth(120)
        self.total = muted_label("/ 0")
        self.speed = QComboBox()
        self.speed.setToolTip("playback rate in spike frames per second ([ and ] step it)")
        self.speed.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.speed.setMinimumContentsLength(11)
        self.display_fps = QComboBox()
        self.display_fps.setToolTip("display rate: frames drawn per second")
        for v in DISPLAY_FPS:
            self.display_fps.addItem(f"{v} fps", float(v))
        self.display_fps.setCurrentIndex(DISPLAY_FPS.index(60))
        self.step_info = muted_label()

        row1 = QHBoxLayout()
        row1.setContentsMargins(0, 0, 0, 0)
        row1.addWidget(self.slider, 1)
        row1.addWidget(self.step_info)
        row2 = QHBoxLayout()
        row2.setContentsMargins(0, 0, 0, 0)
        for w in (self.first, self.back, self.play, self.fwd, self.last):
            row2.addWidget(w)
        row2.addSpacing(8)
        row2.addWidget(self.loop)
        row2.addWidget(self.reverse)
        row2.addSpacing(8)
        self.live_label = QLabel("LIVE  ·  Space freezes the view")
        self.live_label.setStyleSheet("color: #e05050; font-weight: bold;")
        self.live_label.hide()
        row2.addWidget(self.live_label)
        self._labels = [muted_label(text) for text in ("frame", "t", "speed")]  # hidden for live cameras
        row2.addWidget(self._labels[0])
        row2.addWidget(self.frame)
        row2.addWidget(self.total)
        row2.addSpacing(8)
        row2.addWidget(self._labels[1])
        row2.addWidget(self.time)
        row2.addStretch(1)
        row2.addWidget(self._labels[2])
        row2.addWidget(self.speed)
        row2.addWidget(self.display_fps)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 6)
        lay.setSpacing(4)
        lay.addLayout(row1)
        lay.addLayout(row2)

        self.play.toggled.connect(self._play_toggled)
        self.first.clicked.connect(lambda: self.seekRequested.emit(0))
        self.last.clicked.connect(lambda: self.seekRequested.emit(max(0, self.n_frames - 1)))
        self.back.clicked.connect(lambda: self.stepRequested.emit(-1))
        self.fwd.clicked.connect(lambda: self.stepRequested.emit(1))
        self.loop.toggled.connect(self.loopToggled)
        self.reverse.toggled.connect(self.reverseToggled)
        self.slider.valueChanged.connect(self._seek)
        self.frame.valueChanged.connect(self._seek)
        self.time.returnPressed.connect(self._time_entered)
        self.speed.currentIndexChanged.connect(self._speed_changed)
        self.display_fps.currentIndexChanged.connect(self._fps_changed)
        self.set_stream(0, 20000.0)

    # --- setup -------------------------------------------------------------
    def set_stream(self, n_frames: int, fps: float, speed: float | None = None) -> None:
        """Configure for a recording of ``n_frames`` at ``fps`` Hz (``speed`` in spike frames/s)."""
        self._quiet = True
        self.n_frames, self.fps = int(n_frames), float(fps)
        top = max(0, self.n_frames - 1)
        self.slider.setRange(0, top)
        self.slider.setPageStep(max(1, top // 20))
        self.frame.setRange(0, top)
        self.total.setText(f"/ {top:,}")
        self.total.setToolTip(f"{self.n_frames:,} frames = {format_time(self.n_frames / self.fps)} "
                              f"at {self.fps:,.0f} Hz")
        self.speed.clear()
        for label, v in speed_presets(self.fps):
            self.speed.addItem(label, v)
        self._quiet = False
        self.set_speed(speed if speed else self.fps * 0.01)
        self.set_position(0)

    def set_live(self, live: bool) -> None:
        """Hide the controls that make no sense for a live camera (seek, step, speed); play freezes the view."""
        for w in (self.first, self.back, self.fwd, self.last, self.loop, self.reverse, self.slider, self.frame,
                  self.time, self.speed, self.total, self.step_info, *self._labels):
            w.setEnabled(not live)
            w.setVisible(not live)
        self.live_label.setVisible(live)
        self.play.setToolTip("freeze / resume the live view (Space)" if live else "play / pause (Space)")

    # --- state ----------------------------------------------------------------
    @property
    def spike_rate(self) -> float:
        return float(self.speed.currentData() or self.fps)

    @property
    def display_rate(self) -> float:
        return float(self.display_fps.currentData() or 60.0)

    def set_speed(self, spike_rate: float) -> None:
        """Select the preset closest to ``spike_rate`` spike frames per second."""
        best = min(range(self.speed.count()), key=lambda i: abs(self.speed.itemData(i) - spike_rate),
                   default=-1)
        if best >= 0:
            self.speed.setCurrentIndex(best)
        self._update_step()

    def set_display_fps(self, fps: float) -> None:
        best = min(range(self.display_fps.count()), key=lambda i: abs(self.display_fps.itemData(i) - fps))
        self.display_fps.setCurrentIndex(best)
        self._update_step()

    def set_position(self, index: int) -> None:
        """Show frame ``index`` without emitting seek signals."""
        self._quiet = True
        self.slider.setValue(int(index))
        self.frame.setValue(int(index))
        if not self.time.hasFocus():
            self.time.setText(format_time(index / self.fps))
        self._quiet = False

    def show_frame(self, index: int) -> None:
        """Follow the drawn frame, leaving alone a slider being dragged and a box being typed in."""
        self._quiet = True
        if not self.slider.isSliderDown():
            self.slider.setValue(int(index))
        if not self.frame.hasFocus():
            self.frame.setValue(int(index))
        if not self.time.hasFocus():
            self.time.setText(format_time(index / self.fps))
        self._quiet = False

    def set_playing(self, playing: bool) -> None:
        self._quiet = True
        self.play.setChecked(playing)
        self._play_icon(playing)
        self._quiet = False

    def _play_icon(self, playing: bool) -> None:
        self.play.setIcon(icon("pause" if playing else "play"))

    def _update_step(self) -> None:
        per = self.spike_rate / self.display_rate
        txt = f"{per:,.3g} frames/draw" if per >= 1 else f"1 frame/{1 / per:,.3g} draws"
        self.step_info.setText(txt)
        self.step_info.setToolTip(f"{self.spike_rate:,.6g} spike frames per second = "
                                  f"{self.spike_rate / self.fps:.3g}x real time, drawn at {self.display_rate:g} fps")

    # --- slots -------------------------------------------------------------------
    def _play_toggled(self, on: bool) -> None:
        self._play_icon(on)
        if not self._quiet:
            self.playToggled.emit(on)

    def _seek(self, v: int) -> None:
        """The slider was dragged or a frame number entered."""
        if not self._quiet:
            self.seekRequested.emit(int(v))

    def _time_entered(self) -> None:
        try:
            t = parse_time(self.time.text())
        except ValueError:
            self.time.setText(format_time(self.frame.value() / self.fps))
            return
        self.seekRequested.emit(int(min(max(0, round(t * self.fps)), max(0, self.n_frames - 1))))
        self.time.clearFocus()

    def _speed_changed(self, _i: int) -> None:
        self._update_step()
        if not self._quiet:
            self.speedChanged.emit(self.spike_rate)

    def _fps_changed(self, _i: int) -> None:
        self._update_step()
        if not self._quiet:
            self.displayFpsChanged.emit(self.display_rate)
