"""Can Qt open a window here? Checked before the QApplication exists, because Qt aborts the process otherwise.

Qt loads a platform plugin (``QT_QPA_PLATFORM``; on Linux ``xcb`` for X11 or
``wayland``) when the QApplication is created, and when the plugin cannot load,
because there is no display or the plugin's system libraries are missing (Qt >= 6.5
needs ``libxcb-cursor0`` for xcb), Qt prints several lines and aborts. This module
finds those problems first: the display variables, the plugin file (from PyQt6's
plugin folder or ``QT_QPA_PLATFORM_PLUGIN_PATH``) and the libraries ``ldd`` reports
missing, so the viewer can say in one line what to install, or, for
``--screenshot``, fall back to the ``offscreen`` plugin that needs no display.

It also installs the Qt message filter that drops Qt's "This plugin does not
support propagateSizeHints()" warning (offscreen and wayland), which is noise.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["platform_problem", "missing_libraries", "plugin_file", "platform_name", "debian_package",
           "install_message_filter", "DROPPED_MESSAGES", "NO_DISPLAY_PLATFORMS"]

#: Platform plugins that draw without a display server.
NO_DISPLAY_PLATFORMS = ("offscreen", "minimal", "vnc", "linuxfb", "eglfs", "vkkhrdisplay", "minimalegl")
#: Qt warnings that carry no information for a viewer user (matched as substrings).
DROPPED_MESSAGES = ("propagateSizeHints",)

# libraries Qt's xcb plugin opens at run time (dlopen), so ldd does not list them
_XCB_DLOPEN = ("xcb-cursor",)


def platform_name() -> str:
    """The platform plugin Qt will try: ``QT_QPA_PLATFORM`` (its first choice), else the session's default."""
    requested = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if requested:
        return requested
    if not sys.platform.startswith("linux"):
        return ""
    wayland = os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    return "wayland" if wayland and not os.environ.get("DISPLAY") else "xcb"


def plugin_file(name: str) -> Path | None:
    """The platform plugin library ``libq<name>.so`` Qt would load, or None when it is not found."""
    dirs = [Path(p) for p in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p]
    if not dirs:
        try:
            from PyQt6.QtCore import QLibraryInfo

            dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"]
        except ImportError:
            return None
    for d in dirs:
        for f in sorted(d.glob(f"libq{name}*.so")):
            return f
    return None


def missing_libraries(plugin: Path, timeout: float = 20.0) -> list[str]:
    """Shared libraries of ``plugin`` that the dynamic loader cannot find (``ldd``; [] when ldd is absent)."""
    missing: list[str] = []
    ldd = shutil.which("ldd")
    if ldd is not None:
        try:
            out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=timeout,
                                 stdin=subprocess.DEVNULL).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            if "not found" in line:
                lib = line.split("=>")[0].strip()
                if lib and lib not in missing:
                    missing.append(lib)
    if plugin.name.startswith("libqxcb"):
        for short in _XCB_DLOPEN:
            if ctypes.util.find_library(short) is None:
                missing.append(f"lib{short}.so.0")
    return missing


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that usually ships ``soname`` (``libxcb-cursor.so.0`` -> ``libxcb-cursor0``)."""
    stem, _, version = soname.partition(".so")
    major = version.strip(".").split(".")[0]
    stem = stem.lower()
    return f"{stem}{'-' if stem[-1:].isdigit() else ''}{major}" if major else stem


def platform_problem(screenshot: bool = False) -> str | None:
    """Why Qt cannot open its platform plugin here, as one line naming the fix; None when it can.

    ``screenshot``: the message suggests nothing about ``--screenshot`` (the caller falls back to
    ``QT_QPA_PLATFORM=offscreen`` itself).
    """
    name = platform_name()
    if not name or name in NO_DISPLAY_PLATFORMS or not sys.platform.startswith("linux"):
        return None
    problems = []
    plugin = plugin_file(name)
    if plugin is None:
        problems.append(f"Qt's {name!r} platform plugin is not installed")
    else:
        missing = missing_libraries(plugin)
        if missing:
            pkgs = " ".join(debian_package(m) for m in missing)
            problems.append(f"Qt's {name!r} platform plugin cannot load: missing system libraries "
                            f"{', '.join(missing)} (Debian/Ubuntu: apt install {pkgs})")
    variable = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}.get(name)
    if variable and not os.environ.get(variable):
        problems.append(f"there is no display ({variable} is unset; run it in a desktop session or with ssh -X)")
    if not problems:
        return None
    hint = "" if screenshot else ("; to render without a display use --screenshot OUT.png "
                                  "(it uses QT_QPA_PLATFORM=offscreen)")
    return "the viewer cannot open a window: " + "; ".join(problems) + hint


def install_message_filter() -> None:
    """Route Qt's messages through a handler that drops :data:`DROPPED_MESSAGES` and prints the rest."""
    from PyQt6.QtCore import qFormatLogMessage, qInstallMessageHandler

    def handler(mode, context, message: str) -> None:
        if any(m in message for m in DROPPED_MESSAGES):
            return
        try:
            text = qFormatLogMessage(mode, context, message)
        except Exception:  # formatting must never lose the message
            text = message
        sys.stderr.write(text + "\n")

    qInstallMessageHandler(handler)
