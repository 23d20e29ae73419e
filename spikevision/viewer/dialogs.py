"""Dialogs: connect a camera (listing what is available) and export a range."""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..io import EXTENSIONS
from .export import EXPORT_KINDS
from .theme import muted_label

__all__ = ["available_cameras", "ConnectDialog", "ExportDialog", "OpenOptionsDialog", "FILE_FILTER"]

log = logging.getLogger(__name__)

#: file dialog filter for the spike formats spikevision reads (from :data:`spikevision.io.EXTENSIONS`)
FILE_FILTER = f"Spike files ({' '.join('*' + ext for ext in EXTENSIONS)});;All files (*)"


def available_cameras(recent_files: list[str] | None = None) -> list[tuple[str, str]]:
    """(url, description) of cameras that can be opened here: USB devices found, simulators, replays."""
    out: list[tuple[str, str]] = []
    try:
        from ..camera.usb import list_devices

        found = list_devices()
        for d in found:
            out.append((f"usb://{d['vid']:04x}:{d['pid']:04x}" + (f"?serial={d['serial']}" if d.get("serial") else ""),
                        f"USB camera ({d.get('chip', 'FT60x')}, bus {d.get('bus')} address {d.get('address')})"))
        if not found:
            out.append(("usb://", "no USB spike camera found (FT60x bridge): plug it in; on Linux install the "
                                  "udev rules from hardware/"))
    except Exception as exc:  # libusb missing or no permission: say so in the list
        out.append(("usb://", f"USB cameras unavailable here: {exc}"))
    out += [
        ("sim://?fps=20000", "simulated vidar camera, 250x400 at 20 kHz, real time"),
        ("sim://?fps=40000", "simulated camera, 250x400 at 40 kHz, real time"),
        ("sim://?fps=20000&noise=1", "simulated camera with the calibrated sensor noise"),
        ("sim://?fps=20000&wire=vidar", "simulated camera through the USB wire framing"),
    ]
    for f in recent_files or []:
        out.append((f"replay://{f}?loop=1", f"replay {Path(f).name} at its native rate, looped"))
    out.append(("sdk://", "vendor SDK (SpikeLink): set the library path, e.g. sdk:///opt/spikelink/libspikelink.so"))
    return out


class ConnectDialog(QDialog):
    """Pick a camera from the list or type a URL."""

    def __init__(self, parent: QWidget | None = None, recent_files: list[str] | None = None,
                 last_url: str = "sim://?fps=20000"):
        super().__init__(parent)
        self.setWindowTitle("Connect camera")
        self.setMinimumWidth(560)
        self.list = QListWidget()
        self.url = QLineEdit(last_url)
        self.url.setPlaceholderText("sim://, replay://file.dat, usb://vid:pid, sdk://lib.so")
        for url, desc in available_cameras(recent_files):
            item = QListWidgetItem(f"{desc}\n    {url}")
            item.setData(Qt.ItemDataRole.UserRole, url)
            self.list.addItem(item)
        self.list.currentItemChanged.connect(
            lambda item, _old: item and self.url.setText(item.data(Qt.ItemDataRole.UserRole)))
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        browse = QPushButton("Replay a file…")
        browse.clicked.connect(self._browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Available cameras"))
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("URL"))
        row.addWidget(self.url, 1)
        row.addWidget(browse)
        lay.addLayout(row)
        lay.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Replay a spike file", "", FILE_FILTER)
        if path:
            self.url.setText(f"replay://{path}?loop=1")

    def selected_url(self) -> str:
        return self.url.text().strip()


class ExportDialog(QDialog):
    """Choose what to export: kind, frame range, step, video rate and destination."""

    def __init__(self, parent: QWidget | None, n_frames: int, current: int, start: int = 0,
                 stop: int | None = None, directory: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Export range")
        self.kind = QComboBox()
        for kind, (label, _) in EXPORT_KINDS.items():
            self.kind.addItem(label, kind)
        self.start = QSpinBox()
        self.stop = QSpinBox()
        for s in (self.start, self.stop):
            s.setRange(0, max(0, n_frames))
        self.start.setValue(start)
        self.stop.setValue(min(n_frames, stop if stop is not None else min(n_frames, current + 1000)))
        self.step = QSpinBox()
        self.step.setRange(1, max(1, n_frames))
        self.step.setToolTip("export every step-th frame (video and images); spikes are exported with this step too")
        self.video_fps = QDoubleSpinBox()
        self.video_fps.setRange(1, 240)
        self.video_fps.setValue(30)
        self.path = QLineEdit(str(Path(directory or ".") / "export.mp4"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        form = QFormLayout(self)
        form.addRow("export", self.kind)
        form.addRow("from frame", self.start)
        form.addRow("to frame (excl.)", self.stop)
        form.addRow("every", self.step)
        form.addRow("video rate", self.video_fps)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("to", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _kind_changed(self, _i: int) -> None:
        kind = self.kind.currentData()
        ext = EXPORT_KINDS[kind][1][0]
        p = Path(self.path.text() or "export")
        stem = p.with_suffix("") if p.suffix else p
        self.path.setText(str(stem) + ext if ext else str(stem) + "_frames")
        self.video_fps.setEnabled(kind == "mp4")

    def _browse(self) -> None:
        kind = self.kind.currentData()
        if kind == "png":
            path = QFileDialog.getExistingDirectory(self, "Folder for the PNG frames (a new subfolder is created)")
            if path:
                self.path.setText(str(Path(path) / "frames"))
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), EXPORT_KINDS[kind][0])
        if path:
            self.path.setText(path)

    def values(self) -> dict:
        return {"path": self.path.text().strip(), "start": self.start.value(), "stop": self.stop.value(),
                "step": self.step.value(), "video_fps": self.video_fps.value()}


class OpenOptionsDialog(QDialog):
    """Reader options for files whose layout cannot be inferred (an ambiguous .dat size, head columns ...)."""

    def __init__(self, parent: QWidget | None, path: str, message: str = "", options: dict | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Open {Path(path).name}")
        o = dict(options or {})
        self.height_ = QSpinBox()
        self.width_ = QSpinBox()
        for s, v in ((self.height_, o.get("height", 250)), (self.width_, o.get("width", 400))):
            s.setRange(1, 100_000)
            s.setValue(int(v))
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1, 10_000_000)
        self.fps.setDecimals(0)
        self.fps.setValue(float(o.get("fps", 20000)))
        self.fps.setSuffix(" Hz")
        self.flip = QComboBox()
        self.flip.addItem("bottom-up (vidar cameras: flip)", True)
        self.flip.addItem("top-down (SPCS-style simulators)", False)
        self.flip.setCurrentIndex(0 if o.get("flip", True) else 1)
        self.head = QSpinBox()
        self.head.setRange(0, 1024)
        self.head.setValue(int(o.get("head_columns", 0)))
        self.header = QSpinBox()
        self.header.setRange(0, 1 << 20)
        self.header.setValue(int(o.get("frame_header_bytes", 0)))
        form = QFormLayout(self)
        if message:
            msg = muted_label(message)
            msg.setWordWrap(True)
            form.addRow(msg)
        size = QHBoxLayout()
        size.addWidget(self.height_)
        size.addWidget(QLabel("x"))
        size.addWidget(self.width_)
        form.addRow("height x width", size)
        form.addRow("readout rate", self.fps)
        form.addRow("row order", self.flip)
        form.addRow("head columns", self.head)
        form.addRow("frame header bytes", self.header)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def options(self) -> dict:
        """Reader keyword arguments for :func:`spikevision.open` (.dat-style files)."""
        opts = {"height": self.height_.value(), "width": self.width_.value(), "fps": self.fps.value(),
                "flip": bool(self.flip.currentData())}
        if self.head.value():
            opts["head_columns"] = self.head.value()
        if self.header.value():
            opts["frame_header_bytes"] = self.header.value()
        return opts
