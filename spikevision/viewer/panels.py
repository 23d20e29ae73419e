"""Side panels: view mode and window, display levels, the live camera panel."""

from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPen
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from . import theme
from .display import COLORMAPS
from .modes import get_mode, mode_names
from .plots import HistogramWidget

__all__ = ["ViewPanel", "DisplayPanel", "CameraPanel", "RingGauge", "human_bytes"]


def human_bytes(n: float) -> str:
    """Bytes in B / kB / MB / GB (decimal units, like file managers)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} TB"


class ViewPanel(QGroupBox):
    """View mode and reconstruction window (frames, also shown in ms at the recording's rate).

    Signals:
        changed(str, int): mode name and window.
    """

    changed = pyqtSignal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("View", parent)
        self.fps = 20000.0
        self.mode = QComboBox()
        for name in mode_names():
            m = get_mode(name)
            self.mode.addItem(m.label, name)
            i = self.mode.count() - 1
            why = m.unavailable()
            self.mode.setItemData(i, why or m.description, Qt.ItemDataRole.ToolTipRole)
            if why:
                self.mode.model().item(i).setEnabled(False)
        self.window = QSpinBox()
        self.window.setKeyboardTracking(False)
        self.window.setSuffix(" frames")
        self.window_ms = theme.muted_label()
        self.windows: dict[str, int] = {}
        form = QFormLayout(self)
        form.addRow("mode", self.mode)
        row = QHBoxLayout()
        row.addWidget(self.window, 1)
        row.addWidget(self.window_ms)
        form.addRow("window", row)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.window.valueChanged.connect(self._window_changed)
        self._quiet = False
        self._mode_changed()

    @property
    def mode_name(self) -> str:
        return str(self.mode.currentData())

    def set_mode(self, name: str, window: int | None = None) -> None:
        i = self.mode.findData(name)
        if i < 0:
            raise ValueError(f"unknown view mode {name!r}; choose one of {', '.join(mode_names())}")
        if window is not None:
            self.windows[name] = get_mode(name).clamp_window(window)
        self.mode.setCurrentIndex(i)
        self._mode_changed()

    def set_window(self, window: int) -> None:
        self.window.setValue(int(window))

    def _mode_changed(self, *_a) -> None:
        m = get_mode(self.mode_name)
        self._quiet = True
        lo, hi = m.window_range
        self.window.setRange(lo, hi)
        self.window.setEnabled(lo != hi)
        self.window.setValue(self.windows.get(m.name, m.default_window))
        self._quiet = False
        self._window_changed(self.window.value())

    def _window_changed(self, v: int) -> None:
        self.windows[self.mode_name] = int(v)
        self.window_ms.setText(f"{v / self.fps * 1e3:.3g} ms")
        if not self._quiet:
            self.changed.emit(self.mode_name, int(v))


class DisplayPanel(QGroupBox):
    """Levels (with auto-levels), gamma, colormap and the histogram.

    Signals:
        changed(): any display setting changed.
    """

    changed = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Display", parent)
        self.colormap = QComboBox()
        for c in COLORMAPS:
            self.colormap.addItem(c, c)
        self.auto = QCheckBox("auto")
        self.auto.setToolTip("auto levels (A): reconstructions 0 .. the automatic exposure (measured once per "
                             "segment); other modes the 0.5 and 99.5 percentiles of every frame")
        self.lo = QDoubleSpinBox()
        self.hi = QDoubleSpinBox()
        for s in (self.lo, self.hi):
            s.setDecimals(4)
            s.setRange(-1e4, 1e4)
            s.setSingleStep(0.01)
            s.setKeyboardTracking(False)
        self.gamma = QDoubleSpinBox()
        self.gamma.setRange(0.05, 5.0)
        self.gamma.setSingleStep(0.05)
        self.gamma.setDecimals(2)
        self.gamma.setValue(1.0)
        self.gamma.setKeyboardTracking(False)
        self.hist = HistogramWidget()
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("levels 0..1 (the physical scale), gamma 1")
        grid = QGridLayout(self)
        grid.addWidget(QLabel("colormap"), 0, 0)
        grid.addWidget(self.colormap, 0, 1, 1, 3)
        grid.addWidget(QLabel("levels"), 1, 0)
        grid.addWidget(self.lo, 1, 1)
        grid.addWidget(self.hi, 1, 2, 1, 2)
        grid.addWidget(QLabel("gamma"), 2, 0)
        grid.addWidget(self.gamma, 2, 1)
        grid.addWidget(self.auto, 2, 2)
        grid.addWidget(self.reset, 2, 3)
        grid.addWidget(self.hist, 3, 0, 1, 4)
        self._quiet = False
        self.set_levels(0.0, 1.0)
        for sig in (self.colormap.currentIndexChanged, self.lo.valueChanged, self.hi.valueChanged,
                    self.gamma.valueChanged, self.auto.toggled):
            sig.connect(self._emit)
        self.hist.levelsChanged.connect(self._hist_levels)
        self.reset.clicked.connect(self._reset)

    @property
    def levels(self) -> tuple[float, float]:
        return float(self.lo.value()), float(self.hi.value())

    def set_levels(self, lo: float, hi: float, emit: bool = False) -> None:
        self._quiet = True
        self.lo.setValue(lo)
        self.hi.setValue(hi)
        self._quiet = False
        self.hist.set_levels(lo, hi, self.colormap.currentData(), self.gamma.value())
        if emit:
            self.changed.emit()

    def set_colormap(self, name: str) -> None:
        i = self.colormap.findData(name)
        if i < 0:
            raise ValueError(f"unknown colormap {name!r}; choose one of {', '.join(COLORMAPS)}")
        self.colormap.setCurrentIndex(i)

    def _hist_levels(self, lo: float, hi: float) -> None:
        self.auto.setChecked(False)
        self.set_levels(lo, hi, emit=True)

    def _reset(self) -> None:
        self._quiet = True
        self.auto.setChecked(False)
        self.gamma.setValue(1.0)
        self._quiet = False
        self.set_levels(0.0, 1.0, emit=True)

    def _emit(self, *_a) -> None:
        if self._quiet:
            return
        self.hist.set_levels(*self.levels, self.colormap.currentData(), self.gamma.value())
        self.changed.emit()


class RingGauge(QProgressBar):
    """Ring-buffer fill with a high-water tick; turns amber above 80 % and red when full."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setRange(0, 100)
        self.high = 0.0
        self.setFormat("%p %")

    def set_fill(self, fill: int, capacity: int, high: int) -> None:
        cap = max(1, capacity)
        pct = 100.0 * fill / cap
        self.high = 100.0 * high / cap
        self.setValue(int(round(pct)))
        self.setFormat(f"{fill}/{capacity} blocks  (max {high})")
        color = theme.ERROR if pct >= 100 else theme.WARN if pct > 80 else theme.ACCENT
        self.setStyleSheet(f"QProgressBar::chunk {{ background: {color}; }}")
        self.update()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        p = QPainter(self)
        x = self.width() * self.high / 100.0
        p.setPen(QPen(QColor(theme.ERROR if self.high > 80 else theme.TEXT), 2))
        p.drawLine(int(x), 1, int(x), self.height() - 2)
        p.end()


class CameraPanel(QGroupBox):
    """Live camera state, rates, losses, ring fill, recording controls and the last error.

    Signals:
        recordToggled(bool, str): start (True, path) or stop (False, path) recording.
        disconnectRequested(): the user closed the camera.
        openRecordingRequested(str): open the last finished recording for playback.
    """

    recordToggled = pyqtSignal(bool, str)
    disconnectRequested = pyqtSignal()
    openRecordingRequested = pyqtSignal(str)

    FIELDS = (("state", "state"), ("source", "source"), ("fps", "frame rate"), ("rate", "data rate"),
              ("dropped", "dropped frames"), ("resyncs", "resyncs / tag errors"), ("frames", "frames"))

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Camera", parent)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, label in self.FIELDS:
            v = QLabel("-")
            v.setObjectName("value")
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[key] = v
            form.addRow(label, v)
        self.ring = RingGauge()
        form.addRow("ring buffer", self.ring)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.ERROR};")
        self.path = QLineEdit()
        self.path.setPlaceholderText("recording.h5")
        self.browse = QPushButton("…")
        self.browse.setToolTip("choose the recording file (.h5 recommended, or .dat)")
        self.browse.setMaximumWidth(32)
        self.browse.clicked.connect(self._browse)
        self.record = QPushButton("● Record")
        self.record.setObjectName("record")
        self.record.setCheckable(True)
        self.record.setToolTip("record every block to the file (.h5 or .dat), committed block by block")
        self.rec_info = QLabel("not recording")
        self.rec_info.setObjectName("value")
        self.disconnect = QPushButton("Disconnect")
        self.open_last = QPushButton("Open last recording")
        self.open_last.setToolTip("disconnect and play back the recording just made")
        self.open_last.setEnabled(False)
        self._last_path = ""
        self.open_last.clicked.connect(lambda: self.openRecordingRequested.emit(self._last_path))
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        rec = QGroupBox("Recording")
        rl = QGridLayout(rec)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        rl.addLayout(path_row, 0, 0, 1, 2)
        rl.addWidget(self.record, 1, 0)
        rl.addWidget(self.disconnect, 1, 1)
        rl.addWidget(self.rec_info, 2, 0, 1, 2)
        rl.addWidget(self.open_last, 3, 0, 1, 2)
        lay.addWidget(rec)
        self.record.toggled.connect(self._record_toggled)
        self.disconnect.clicked.connect(self.disconnectRequested)
        self._quiet = False

    def _browse(self) -> None:
        from PyQt6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(),
                                              "spikevision HDF5 (*.h5);;Vidar spikes (*.dat)")
        if path:
            self.path.setText(path)

    def _record_toggled(self, on: bool) -> None:
        self.record.setText("■ Stop" if on else "● Record")
        if not self._quiet:
            self.recordToggled.emit(on, self.path.text().strip())

    def set_recording(self, on: bool) -> None:
        self._quiet = True
        self.record.setChecked(on)
        self.record.setText("■ Stop" if on else "● Record")
        self._quiet = False

    def update_status(self, st) -> None:
        """Show a :class:`spikevision.viewer.live.LiveStatus`."""
        colors = {"streaming": theme.OK, "connecting": theme.WARN, "ended": theme.MUTED, "stopped": theme.MUTED}
        v = self.values
        v["state"].setText(st.state)
        v["state"].setStyleSheet(f"color: {colors.get(st.state, theme.ERROR)}; font-weight: bold;")
        v["source"].setText(st.url)
        info, cam = st.info, st.camera
        if info is not None and cam is not None:
            ratio = cam.fps / info.fps if info.fps else 0.0
            warn = ratio < 0.95 and cam.elapsed > 1.0
            v["fps"].setText(f"{cam.fps:,.0f} / {info.fps:,.0f} Hz")
            v["fps"].setToolTip(f"measured {ratio:.1%} of the nominal rate since the start")
            v["fps"].setStyleSheet(f"color: {theme.WARN};" if warn else "")
            v["rate"].setText(f"{cam.mb_per_s:,.1f} MB/s  ({info.height}x{info.width})")
            v["dropped"].setText(f"{cam.dropped_frames:,}  (device {cam.device_dropped_frames:,}, "
                                 f"ring {cam.ring_dropped_frames:,})")
            v["dropped"].setStyleSheet(f"color: {theme.ERROR};" if cam.dropped_frames else "")
            v["resyncs"].setText(f"{cam.resyncs:,} / {cam.tag_errors:,}")
            v["frames"].setText(f"{cam.frames:,}  in {cam.elapsed:,.1f} s")
            self.ring.set_fill(cam.ring_fill, cam.ring_capacity, cam.ring_high_water)
        err = st.error or (cam.last_error if cam is not None else None)
        lines = [f"last error: {err}"] if err else []
        if cam is not None and cam.ring_capacity and cam.ring_fill > 0.8 * cam.ring_capacity:
            lines.append("ring buffer above 80 %: the host is not keeping up (disk, CPU); frames will be dropped "
                         "when it is full")
        self.error.setText("\n".join(lines))
        rec = st.recording
        if rec is None:
            self.rec_info.setText("not recording")
        else:
            what = "recording" if rec.active else "recorded"
            gaps = f", {rec.dropped_frames:,} lost" if rec.dropped_frames else ""
            self.rec_info.setText(f"{what} {rec.frames:,} frames, {human_bytes(rec.bytes_written)}{gaps}\n"
                                  f"{rec.path}" + (f"\n{rec.error}" if rec.error else ""))
            if not rec.active and self.record.isChecked():
                self.set_recording(False)
            if not rec.active and rec.frames and rec.error is None:
                self._last_path = str(rec.path)
                self.open_last.setEnabled(True)
        streaming = st.state == "streaming"
        self.record.setEnabled(streaming or self.record.isChecked())
