"""The spike viewer: Qt widgets (PyQt6, the ``gui`` extra) over Qt-free playback, live and export cores.

Qt-free (import without PyQt6): :mod:`.modes` (the view-mode registry),
:mod:`.display` (levels, gamma, colormaps), :mod:`.playback` (the render
worker), :mod:`.clock` (the playback clock), :mod:`.live` (the camera
session), :mod:`.probe` (pixel readout), :mod:`.exposure` (automatic exposure), :mod:`.platform` (can Qt open
a window here), :mod:`.export`. Qt: :class:`ViewerWindow` and the widgets, loaded on first use.

Example:
    >>> from spikevision.viewer import register_mode, FunctionMode
    >>> register_mode(FunctionMode("count8", "Spike count (8)",
    ...               lambda s, at, w: s[at:at + w].unpack().sum(0) / w, default_window=8))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from .clock import ClockTick, PlaybackClock
from .display import COLORMAPS, DisplaySettings, auto_levels, colormap_lut, to_rgb
from .modes import FunctionMode, ViewMode, available_modes, get_mode, mode_names, register_mode, unregister_mode
from .playback import FramePlayer, RenderedFrame, RenderKey, render_frame

__all__ = ["ViewMode", "FunctionMode", "register_mode", "unregister_mode", "get_mode", "mode_names",
           "available_modes", "DisplaySettings", "COLORMAPS", "to_rgb", "auto_levels", "colormap_lut",
           "FramePlayer", "RenderKey", "RenderedFrame", "render_frame", "PlaybackClock", "ClockTick",
           "LiveSession", "export_range",
           "ViewerWindow", "ImageCanvas", "main"]

_LAZY = {"LiveSession": ".live", "export_range": ".export", "ViewerWindow": ".window", "ImageCanvas": ".canvas",
         "main": ".app"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        if name in ("ViewerWindow", "ImageCanvas", "main"):
            from .options import require_qt

            require_qt()
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'spikevision.viewer' has no attribute {name!r}")
