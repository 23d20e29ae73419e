"""The viewer window's layout: canvas and transport, the side panels, the status bar, and their signals.

:func:`build_layout` creates the widgets as attributes of the window (``canvas``,
``transport``, ``view_panel``, ``display_panel``, ``camera_panel``, ``trace``,
``pixel_label`` and the status labels) and connects their signals to its slots.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGroupBox, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .canvas import ImageCanvas
from .panels import CameraPanel, DisplayPanel, ViewPanel
from .plots import TracePlot
from .transport import TransportBar

__all__ = ["build_layout"]


def build_layout(win: Any) -> None:
    """Create and connect the widgets of a :class:`~.window.ViewerWindow`."""
    win.canvas = ImageCanvas()
    win.transport = TransportBar()
    center = QWidget()
    cl = QVBoxLayout(center)
    cl.setContentsMargins(0, 0, 0, 0)
    cl.setSpacing(0)
    # the ROI plot sits under the image, not in the side panels, so no panel (the camera's) can push it away
    win.roi_box = QGroupBox("ROI")
    rl = QVBoxLayout(win.roi_box)
    rl.setContentsMargins(6, 2, 6, 4)
    win.trace = TracePlot()
    rl.addWidget(win.trace)
    win.roi_box.setMaximumHeight(160)
    cl.addWidget(win.canvas, 1)
    cl.addWidget(win.roi_box)
    cl.addWidget(win.transport)

    win.view_panel = ViewPanel()
    win.display_panel = DisplayPanel()
    win.camera_panel = CameraPanel()
    win.camera_panel.hide()
    pix = QGroupBox("Pixel")
    pl = QVBoxLayout(pix)
    win.pixel_label = QLabel("move the cursor over the image")
    win.pixel_label.setObjectName("readout")
    win.pixel_label.setWordWrap(True)
    pl.addWidget(win.pixel_label)
    side = QWidget()
    sl = QVBoxLayout(side)
    sl.setContentsMargins(6, 6, 6, 6)
    for w in (win.camera_panel, win.view_panel, win.display_panel, pix):
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
    win.setCentralWidget(split)

    sb = win.statusBar()
    win.status_frame = QLabel("")
    win.status_fps = QLabel("")
    win.status_load = QLabel("")
    win.status_msg = QLabel("")
    sb.addWidget(win.status_msg, 1)
    for w in (win.status_frame, win.status_fps, win.status_load):
        sb.addPermanentWidget(w)

    t = win.transport
    t.playToggled.connect(win.set_playing)
    t.stepRequested.connect(win.step)
    t.seekRequested.connect(win.set_frame)
    t.loopToggled.connect(lambda on: setattr(win, "loop", on))
    t.reverseToggled.connect(win._set_reverse)
    t.displayFpsChanged.connect(win._set_timer_rate)
    t.speedChanged.connect(lambda _v: win._reset_clock())
    win.view_panel.changed.connect(win._view_changed)
    win.display_panel.changed.connect(win._redisplay)
    win.canvas.hovered.connect(win._hovered)
    win.canvas.roiChanged.connect(win._roi_changed)
    win.camera_panel.recordToggled.connect(win._record_toggled)
    win.camera_panel.disconnectRequested.connect(win.close_source)
    win.camera_panel.openRecordingRequested.connect(win.open_file)
    win.resize(1400, 860)
