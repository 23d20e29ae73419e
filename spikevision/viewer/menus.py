"""The viewer's menus and keyboard shortcuts (File, Playback, View, Help)."""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction, QActionGroup, QKeySequence
from PyQt6.QtWidgets import QMessageBox

from .modes import get_mode, mode_names

__all__ = ["build_menus", "SHORTCUTS"]

SHORTCUTS = ("Space  play / pause\n←/→  step one frame (Shift: 10)\nHome/End  first / last frame\n"
             "Ctrl+G  go to frame\nL  loop    R  reverse\n[ ]  slower / faster\n1-6  view modes\n"
             "A  auto levels\n+/-  zoom    Ctrl+1  1:1    F  fit\nShift+drag  draw ROI    Esc  clear ROI\n"
             "Ctrl+O open    Ctrl+K connect camera\nCtrl+S snapshot    Ctrl+E export range")


def build_menus(win: Any) -> None:
    """Add the menu bar's actions (with their shortcuts) to a :class:`~.window.ViewerWindow`; sets
    ``win.mode_actions`` (mode name -> checkable action)."""
    mb = win.menuBar()

    def act(menu, text, slot, keys=None, checkable=False) -> QAction:
        a = QAction(text, win)
        if keys:
            a.setShortcuts([QKeySequence(k) for k in ([keys] if isinstance(keys, str) else keys)])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        menu.addAction(a)
        return a

    f = mb.addMenu("&File")
    act(f, "&Open file…", lambda: win._open_dialog(), "Ctrl+O")
    act(f, "Open with &options…", lambda: win._open_dialog(True), "Ctrl+Shift+O")
    act(f, "&Connect camera…", win._connect_dialog, "Ctrl+K")
    act(f, "Close source", win.close_source, "Ctrl+W")
    f.addSeparator()
    act(f, "&Snapshot PNG…", win._snapshot_dialog, "Ctrl+S")
    act(f, "&Export range…", win._export_dialog, "Ctrl+E")
    f.addSeparator()
    act(f, "&Quit", win.close, "Ctrl+Q")
    p = mb.addMenu("&Playback")
    act(p, "Play / pause", win.toggle_playing, "Space")
    act(p, "Step forward", lambda: win.step(1), "Right")
    act(p, "Step back", lambda: win.step(-1), "Left")
    act(p, "Forward 10 frames", lambda: win.step(10), "Shift+Right")
    act(p, "Back 10 frames", lambda: win.step(-10), "Shift+Left")
    act(p, "First frame", lambda: win.set_frame(0), "Home")
    act(p, "Last frame", lambda: win.set_frame(len(win.stream) - 1 if win.stream else 0), "End")
    act(p, "Go to frame…", lambda: _focus_goto(win), "Ctrl+G")
    act(p, "Loop", lambda: win.transport.loop.toggle(), "L")
    act(p, "Reverse", lambda: win.transport.reverse.toggle(), "R")
    act(p, "Faster", lambda: _speed_step(win, 1), "]")
    act(p, "Slower", lambda: _speed_step(win, -1), "[")
    v = mb.addMenu("&View")
    group = QActionGroup(win)
    win.mode_actions = {}
    for i, name in enumerate(mode_names()):
        m = get_mode(name)
        a = act(v, m.label, lambda _c=False, n=name: win.set_mode(n), str(i + 1) if i < 9 else None, True)
        a.setEnabled(m.unavailable() is None)
        group.addAction(a)
        win.mode_actions[name] = a
    v.addSeparator()
    act(v, "Auto levels", lambda: win.display_panel.auto.toggle(), "A")
    win.raw_mosaic_action = act(v, "Raw mosaic (colour streams)", lambda c: win.set_raw_mosaic(c), "M", True)
    act(v, "Zoom in", lambda: win.canvas.set_zoom(win.canvas.zoom * 1.25), ["+", "="])
    act(v, "Zoom out", lambda: win.canvas.set_zoom(win.canvas.zoom * 0.8), "-")
    act(v, "Actual pixels (1:1)", lambda: win.canvas.set_zoom(1.0), "Ctrl+1")
    act(v, "Fit to window", win.canvas.fit, "F")
    act(v, "Clear ROI", lambda: win.canvas.set_roi(None), "Escape")
    h = mb.addMenu("&Help")
    act(h, "Keyboard shortcuts", lambda: _show_shortcuts(win), "F1")


def _focus_goto(win: Any) -> None:
    win.transport.frame.setFocus()
    win.transport.frame.selectAll()


def _speed_step(win: Any, d: int) -> None:
    c = win.transport.speed
    c.setCurrentIndex(min(c.count() - 1, max(0, c.currentIndex() + d)))


def _show_shortcuts(win: Any) -> None:
    QMessageBox.information(win, "Keyboard shortcuts", SHORTCUTS)
