"""Transport icons drawn with QPainter in the theme's text colour (crisp on a dark background, no files)."""

from __future__ import annotations

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPixmap, QPolygonF

from . import theme

__all__ = ["icon", "NAMES"]

NAMES = ("play", "pause", "step_back", "step_forward", "first", "last")


def _tri(p: QPainter, x0: float, x1: float, s: float) -> None:
    """A triangle pointing right (x1 > x0) or left (x1 < x0), vertically centred in an s x s square."""
    p.drawPolygon(QPolygonF([QPointF(x0, s * 0.2), QPointF(x1, s * 0.5), QPointF(x0, s * 0.8)]))


def icon(name: str, color: str = theme.TEXT, size: int = 32) -> QIcon:
    """One of :data:`NAMES` as a QIcon."""
    if name not in NAMES:
        raise ValueError(f"unknown icon {name!r}; choose one of {', '.join(NAMES)}")
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    s = float(size)
    bar = s * 0.12
    if name == "play":
        _tri(p, s * 0.28, s * 0.78, s)
    elif name == "pause":
        p.drawRect(QRectF(s * 0.28, s * 0.2, s * 0.15, s * 0.6))
        p.drawRect(QRectF(s * 0.57, s * 0.2, s * 0.15, s * 0.6))
    elif name == "step_forward":
        _tri(p, s * 0.25, s * 0.65, s)
        p.drawRect(QRectF(s * 0.66, s * 0.2, bar, s * 0.6))
    elif name == "step_back":
        _tri(p, s * 0.75, s * 0.35, s)
        p.drawRect(QRectF(s * 0.34 - bar, s * 0.2, bar, s * 0.6))
    elif name == "first":
        p.drawRect(QRectF(s * 0.16, s * 0.2, bar, s * 0.6))
        _tri(p, s * 0.55, s * 0.28, s)
        _tri(p, s * 0.84, s * 0.57, s)
    elif name == "last":
        _tri(p, s * 0.16, s * 0.43, s)
        _tri(p, s * 0.45, s * 0.72, s)
        p.drawRect(QRectF(s * 0.84 - bar, s * 0.2, bar, s * 0.6))
    p.end()
    return QIcon(pix)
