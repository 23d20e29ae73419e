"""Remembered viewer settings (QSettings ``spikevision/viewer``): layout, mode and windows, display, speed.

Stale or foreign values never stop the viewer: anything that does not parse is ignored with a log line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .modes import get_mode, mode_names

__all__ = ["load_settings", "save_settings", "remember_file", "saved_speed"]

log = logging.getLogger(__name__)


def remember_file(win: Any, path: str) -> None:
    """Put ``path`` first in the recent files (10 kept) and remember its folder."""
    p = str(Path(path).resolve())
    win.recent_files = [p] + [f for f in win.recent_files if f != p][:9]
    if win.settings is not None:
        win.settings.setValue("recent_files", win.recent_files)
        win.settings.setValue("last_dir", str(Path(p).parent))


def saved_speed(win: Any, fps: float) -> float | None:
    """The remembered playback speed (stored as a multiple of real time) in spike frames/s at ``fps``."""
    if win.settings is None:
        return None
    rel = win.settings.value("speed_x_realtime", None)
    try:
        return float(rel) * fps if rel is not None else None
    except (TypeError, ValueError):
        return None


def load_settings(win: Any) -> None:
    """Apply remembered settings to a :class:`~spikevision.viewer.window.ViewerWindow` (TFP when none)."""
    win.set_mode("tfp")
    s = win.settings
    if s is None:
        return
    try:
        geo = s.value("geometry")
        if geo is not None:
            win.restoreGeometry(geo)
        win.recent_files = [str(f) for f in (s.value("recent_files", []) or [])]
        for name in mode_names():
            w = s.value(f"window/{name}")
            if w is not None:
                win.view_panel.windows[name] = get_mode(name).clamp_window(int(w))
        mode = str(s.value("mode", "tfp"))
        if mode in mode_names() and get_mode(mode).unavailable() is None:
            win.set_mode(mode)
        cmap, gamma = s.value("colormap"), s.value("gamma")
        win.set_display(gamma=float(gamma) if gamma is not None else None, colormap=str(cmap) if cmap else None)
        win.transport.set_display_fps(float(s.value("display_fps", 60)))
        win.transport.loop.setChecked(str(s.value("loop", "false")).lower() == "true")
    except Exception as exc:  # stale or foreign settings must never stop the viewer
        log.warning("ignoring saved viewer settings: %s", exc)


def save_settings(win: Any) -> None:
    """Store the window's current settings."""
    s = win.settings
    if s is None:
        return
    s.setValue("geometry", win.saveGeometry())
    s.setValue("mode", win.view_panel.mode_name)
    for name, w in win.view_panel.windows.items():
        s.setValue(f"window/{name}", int(w))
    d = win.display
    s.setValue("colormap", d.colormap)
    s.setValue("gamma", d.gamma)
    s.setValue("display_fps", win.transport.display_rate)
    s.setValue("loop", win.loop)
    if win.stream is not None:
        s.setValue("speed_x_realtime", win.transport.spike_rate / win.stream.fps)
    s.sync()
