"""Small QPainter plots: the levels histogram and the ROI trace (no plotting dependency)."""

from __future__ import annotations

import collections

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PyQt6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .display import colormap_lut, histogram

__all__ = ["HistogramWidget", "TracePlot"]


class HistogramWidget(QWidget):
    """Histogram of the shown image (log counts) with draggable black/white levels and a colour bar.

    Signals:
        levelsChanged(float, float): the user dragged a level marker.
    """

    levelsChanged = pyqtSignal(float, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self._counts = np.zeros(0)
        self._range = (0.0, 1.0)
        self.levels = (0.0, 1.0)
        self.colormap = "gray"
        self.gamma = 1.0
        self._drag: int | None = None

    def set_image(self, image: np.ndarray) -> None:
        """Recompute the histogram from an (H, W) float image."""
        counts, edges = histogram(image, bins=96)
        self._counts = counts
        lo, hi = float(edges[0]), float(edges[-1])
        self._range = (min(lo, self.levels[0]), max(hi, self.levels[1]))
        self.update()

    def set_levels(self, lo: float, hi: float, colormap: str | None = None, gamma: float | None = None) -> None:
        self.levels = (float(lo), float(hi))
        if colormap:
            self.colormap = colormap
        if gamma:
            self.gamma = gamma
        self._range = (min(self._range[0], lo), max(self._range[1], hi))
        self.update()

    def _plot_rect(self) -> QRectF:
        return QRectF(6, 4, max(1, self.width() - 12), max(1, self.height() - 22))

    def _x(self, v: float) -> float:
        r = self._plot_rect()
        a, b = self._range
        return r.left() + (v - a) / max(1e-12, b - a) * r.width()

    def _v(self, x: float) -> float:
        r = self._plot_rect()
        a, b = self._range
        return a + (x - r.left()) / max(1.0, r.width()) * (b - a)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        r = self._plot_rect()
        lo, hi = self.levels
        p.fillRect(QRectF(self._x(lo), r.top(), self._x(hi) - self._x(lo), r.height()), QColor(255, 255, 255, 14))
        if self._counts.size:
            c = np.log1p(self._counts.astype(np.float64))
            c = c / max(1e-12, c.max())
            n = c.size
            path = QPainterPath(QPointF(r.left(), r.bottom()))
            for i, v in enumerate(c):
                x0 = r.left() + i / n * r.width()
                x1 = r.left() + (i + 1) / n * r.width()
                y = r.bottom() - v * r.height()
                path.lineTo(x0, y)
                path.lineTo(x1, y)
            path.lineTo(r.right(), r.bottom())
            path.closeSubpath()
            p.fillPath(path, QColor(theme.MUTED))
        # colour bar of the mapping between the two levels
        lut = colormap_lut(self.colormap)
        bar = QRectF(r.left(), r.bottom() + 4, r.width(), 8)
        steps = 64
        for i in range(steps):
            x0 = bar.left() + i / steps * bar.width()
            v = self._v(x0 + 0.5 * bar.width() / steps)
            t = 0.0 if hi <= lo else min(1.0, max(0.0, (v - lo) / (hi - lo))) ** self.gamma
            rgb = lut[int(round(t * 255))]
            p.fillRect(QRectF(x0, bar.top(), bar.width() / steps + 1, bar.height()),
                       QColor(int(rgb[0]), int(rgb[1]), int(rgb[2])))
        for v, col in ((lo, "#bbbbbb"), (hi, "#ffffff")):
            x = self._x(v)
            p.setPen(QPen(QColor(theme.ACCENT), 2))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.setPen(QColor(col))
        p.setPen(QColor(theme.MUTED))
        f = p.font()
        f.setPointSizeF(7.5)
        p.setFont(f)
        p.drawText(QRectF(r.left(), r.bottom() + 12, r.width(), 10), Qt.AlignmentFlag.AlignLeft,
                   f"{self._range[0]:.3g}")
        p.drawText(QRectF(r.left(), r.bottom() + 12, r.width(), 10), Qt.AlignmentFlag.AlignRight,
                   f"{self._range[1]:.3g}")
        p.end()

    def mousePressEvent(self, event) -> None:
        x = event.position().x()
        d_lo, d_hi = abs(x - self._x(self.levels[0])), abs(x - self._x(self.levels[1]))
        self._drag = 0 if d_lo <= d_hi else 1
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            return
        v = self._v(event.position().x())
        lo, hi = self.levels
        if self._drag == 0:
            lo = min(v, hi - 1e-6)
        else:
            hi = max(v, lo + 1e-6)
        self.levels = (lo, hi)
        self.update()
        self.levelsChanged.emit(lo, hi)

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None


class TracePlot(QWidget):
    """A rolling plot of the ROI: mean displayed intensity and firing rate against frame index."""

    SERIES = (("intensity", theme.ACCENT), ("rate", theme.WARN))

    def __init__(self, parent: QWidget | None = None, length: int = 600):
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._data = {name: collections.deque(maxlen=length) for name, _ in self.SERIES}
        self.placeholder = "Shift+drag on the image to draw an ROI"

    def clear(self) -> None:
        for d in self._data.values():
            d.clear()
        self.update()

    def append(self, index: int, intensity: float | None, rate: float | None) -> None:
        """Add one sample (a sample with a frame index not after the last one restarts the trace)."""
        last = self._data["intensity"][-1][0] if self._data["intensity"] else None
        if last is not None and index == last:
            return
        if last is not None and index < last:
            self.clear()
        for name, v in (("intensity", intensity), ("rate", rate)):
            if v is not None:
                self._data[name].append((index, float(v)))
        self.update()

    def values(self, name: str) -> list[tuple[int, float]]:
        return list(self._data[name])

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.PANEL))
        r = QRectF(58, 6, max(1, self.width() - 64), max(1, self.height() - 24))
        p.setPen(QPen(QColor("#34383f"), 1))
        p.drawRect(r)
        pts = self._data["intensity"]
        if not pts:
            p.setPen(QColor(theme.MUTED))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            p.end()
            return
        xs = [i for d in self._data.values() for i, _ in d]
        x0, x1 = min(xs), max(xs)
        ys = [v for d in self._data.values() for _, v in d]
        y0, y1 = min(ys), max(ys)
        pad = max(1e-3, 0.1 * (y1 - y0))
        y0, y1 = max(0.0, y0 - pad) if y0 >= 0 else y0 - pad, y1 + pad
        f = p.font()
        f.setPointSizeF(7.5)
        p.setFont(f)
        for name, color in reversed(self.SERIES):  # intensity on top; the rate dashed (they coincide for TFP)
            d = self._data[name]
            if len(d) < 1:
                continue
            poly = QPolygonF([QPointF(r.left() + (i - x0) / max(1, x1 - x0) * r.width(),
                                      r.bottom() - (v - y0) / (y1 - y0) * r.height()) for i, v in d])
            pen = QPen(QColor(color), 1.5)
            if name == "rate":
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawPolyline(poly)
        p.setPen(QColor(theme.MUTED))
        digits = max(2, int(np.ceil(-np.log10(max(1e-9, y1 - y0)))) + 2)
        p.drawText(QRectF(0, r.top() - 2, 55, 12), Qt.AlignmentFlag.AlignRight, f"{y1:.{digits}g}")
        p.drawText(QRectF(0, r.bottom() - 10, 55, 12), Qt.AlignmentFlag.AlignRight, f"{y0:.{digits}g}")
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 12), Qt.AlignmentFlag.AlignLeft, f"{x0}")
        p.drawText(QRectF(r.left(), r.bottom() + 2, r.width(), 12), Qt.AlignmentFlag.AlignRight, f"frame {x1}")
        lx = r.left() + 6
        for name, color in self.SERIES:
            label = "mean intensity" if name == "intensity" else "spikes/px/frame"
            p.setPen(QColor(color))
            p.drawText(QPointF(lx, r.top() + 12), label)
            lx += p.fontMetrics().horizontalAdvance(label) + 12
        p.end()
