"""``ImageCanvas``: shows an RGB image with zoom, pan, a pixel cursor and a rectangular ROI.

Wheel zooms about the cursor, left-drag pans, Shift+left-drag draws the ROI,
double-click fits the image to the window, right-click clears the ROI. The
QImage wraps the caller's numpy buffer, and the canvas keeps that buffer alive
as long as the QImage exists.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QImage, QPainter, QPen
from PyQt6.QtWidgets import QSizePolicy, QWidget

from . import theme

__all__ = ["ImageCanvas", "rgb_qimage"]


def rgb_qimage(rgb: np.ndarray) -> QImage:
    """A QImage over an (H, W, 3) uint8 C-contiguous array (no copy: keep ``rgb`` alive)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or not rgb.flags.c_contiguous:
        raise ValueError("rgb_qimage needs a C-contiguous (H, W, 3) uint8 array")
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)


class ImageCanvas(QWidget):
    """The image view (see the module docstring for the mouse gestures).

    Signals:
        hovered(int, int): image row and column under the cursor (-1, -1 outside the image).
        roiChanged(object): the ROI as (row0, row1, col0, col1) or None.
    """

    hovered = pyqtSignal(int, int)
    roiChanged = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._rgb: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._zoom = 1.0
        self._offset = QPointF(0, 0)
        self._fit = True
        self._zoom_wanted: float | None = None
        self._drag: tuple[str, QPointF, QPointF] | None = None
        self.roi: tuple[int, int, int, int] | None = None
        self._roi_drag: tuple[float, float, float, float] | None = None
        self.banner = "Open a spike file (Ctrl+O), drop one here, or connect a camera (Ctrl+K)"
        self.overlay = ""
        self._overlay_rect = QRectF()

    # --- image -----------------------------------------------------------
    def set_image(self, rgb: np.ndarray | None) -> None:
        """Show an (H, W, 3) uint8 RGB image (None clears the view)."""
        old = None if self._rgb is None else self._rgb.shape
        if rgb is None:
            self._rgb = self._qimage = None
        else:
            self._rgb = np.ascontiguousarray(rgb)
            self._qimage = rgb_qimage(self._rgb)
        if self._rgb is not None and old != self._rgb.shape:
            if self._zoom_wanted is None:
                self._fit = True
            else:  # a zoom asked for before there was an image (--zoom): centred at that zoom
                h, w = self._rgb.shape[:2]
                self._fit, self._zoom = False, self._zoom_wanted
                self._offset = QPointF((self.width() - w * self._zoom) / 2, (self.height() - h * self._zoom) / 2)
                self._snap()
        self._zoom_wanted = None if self._rgb is not None else self._zoom_wanted
        self.update()

    @property
    def image_shape(self) -> tuple[int, int] | None:
        return None if self._rgb is None else self._rgb.shape[:2]

    # --- geometry --------------------------------------------------------
    @property
    def zoom(self) -> float:
        self._apply_fit()
        return self._zoom

    def set_zoom(self, zoom: float, center: QPointF | None = None) -> None:
        """Zoom to ``zoom`` screen pixels per image pixel, keeping ``center`` (widget coords) fixed."""
        self._apply_fit()
        zoom = float(min(64.0, max(0.05, zoom)))
        if self._rgb is None:  # kept for the first image
            self._zoom_wanted = zoom
        c = center or QPointF(self.width() / 2, self.height() / 2)
        img_pt = (c - self._offset) / self._zoom
        self._zoom = zoom
        self._offset = c - img_pt * zoom
        self._fit = False
        self._snap()
        self.update()

    def fit(self) -> None:
        """Fit the whole image in the view (the default)."""
        self._fit, self._zoom_wanted = True, None
        self.update()

    def _snap(self) -> None:
        if self._zoom == int(self._zoom):  # integer zoom: whole-pixel offsets keep pixels crisp and exact
            self._offset = QPointF(round(self._offset.x()), round(self._offset.y()))

    def _apply_fit(self) -> None:
        if not self._fit or self._rgb is None:
            return
        h, w = self._rgb.shape[:2]
        z = min(self.width() / w, self.height() / h)
        if z >= 1:
            z = float(int(z))  # whole-number magnification: every image pixel is a square of screen pixels
        self._zoom = max(z, 0.05)
        self._offset = QPointF((self.width() - w * self._zoom) / 2, (self.height() - h * self._zoom) / 2)
        self._snap()

    def image_rect(self) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        self._apply_fit()
        if self._rgb is None:
            return QRectF()
        h, w = self._rgb.shape[:2]
        return QRectF(self._offset.x(), self._offset.y(), w * self._zoom, h * self._zoom)

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        """Widget point -> (row, col) in image pixels (fractional)."""
        self._apply_fit()
        p = (pos - self._offset) / self._zoom
        return p.y(), p.x()

    # --- painting ----------------------------------------------------------
    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.BG))
        if self._qimage is None:
            p.setPen(QColor(theme.MUTED))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.banner)
            p.end()
            return
        self._apply_fit()
        r = self.image_rect()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1)
        p.drawImage(r, self._qimage, QRectF(0, 0, self._qimage.width(), self._qimage.height()))
        roi = self._roi_drag or (self.roi and tuple(float(v) for v in self.roi))
        if roi:
            r0, r1, c0, c1 = roi
            rr = QRectF(self._offset.x() + min(c0, c1) * self._zoom, self._offset.y() + min(r0, r1) * self._zoom,
                        abs(c1 - c0) * self._zoom, abs(r1 - r0) * self._zoom)
            p.setPen(QPen(QColor(theme.WARN), 1.5))
            p.drawRect(rr)
            p.drawText(rr.topLeft() + QPointF(3, -4), "ROI")
        if self.overlay:
            p.setPen(QColor(theme.TEXT))
            f = p.font()
            f.setFamily("monospace")
            p.setFont(f)
            self._overlay_rect = QRectF(4, 4, p.fontMetrics().horizontalAdvance(self.overlay) + 10, 20)
            p.fillRect(self._overlay_rect, QColor(0, 0, 0, 150))
            p.drawText(QRectF(8, 6, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       self.overlay)
        p.end()

    def overlay_rect(self) -> QRectF:
        """Where the frame caption was last drawn (it covers the image there)."""
        return QRectF(self._overlay_rect) if self.overlay else QRectF()

    # --- mouse ---------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        if self._rgb is None:
            return
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.set_zoom(self.zoom * factor, event.position())

    def mousePressEvent(self, event) -> None:
        if self._rgb is None:
            return
        pos = event.position()
        if event.button() == Qt.MouseButton.RightButton:
            self.set_roi(None)
        elif event.button() == Qt.MouseButton.LeftButton:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                r, c = self.to_image(pos)
                self._roi_drag = (r, r, c, c)
                self._drag = ("roi", pos, self._offset)
            else:
                self._apply_fit()
                self._drag = ("pan", pos, QPointF(self._offset))
                self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._drag and self._drag[0] == "pan":
            self._fit = False
            self._offset = self._drag[2] + (pos - self._drag[1])
            self.update()
        elif self._drag and self._roi_drag:
            r, c = self.to_image(pos)
            self._roi_drag = (self._roi_drag[0], r, self._roi_drag[2], c)
            self.update()
        self._emit_hover(pos)

    def mouseReleaseEvent(self, event) -> None:
        if self._drag and self._drag[0] == "roi" and self._roi_drag and self._rgb is not None:
            r0, r1, c0, c1 = self._roi_drag
            h, w = self._rgb.shape[:2]
            a, b = sorted((int(np.floor(r0)), int(np.ceil(r1))))
            c, d = sorted((int(np.floor(c0)), int(np.ceil(c1))))
            roi = (max(0, a), min(h, b), max(0, c), min(w, d))
            self._roi_drag = None
            self.set_roi(roi if roi[1] - roi[0] >= 1 and roi[3] - roi[2] >= 1 else None)
        self._drag = None
        self.unsetCursor()

    def mouseDoubleClickEvent(self, event) -> None:
        self.fit()

    def leaveEvent(self, event) -> None:
        self.hovered.emit(-1, -1)

    def _emit_hover(self, pos: QPointF) -> None:
        if self._rgb is None:
            return
        r, c = self.to_image(pos)
        h, w = self._rgb.shape[:2]
        if 0 <= r < h and 0 <= c < w:
            self.hovered.emit(int(r), int(c))
        else:
            self.hovered.emit(-1, -1)

    def set_roi(self, roi: tuple[int, int, int, int] | None) -> None:
        """Set (row0, row1, col0, col1) or clear (None) the ROI and emit ``roiChanged``."""
        self.roi = None if roi is None else tuple(int(v) for v in roi)
        self.roiChanged.emit(self.roi)
        self.update()
