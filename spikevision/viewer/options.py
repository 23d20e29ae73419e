"""Command-line options of the viewer (shared by ``spikevision view`` and ``apps/viewer.py``; no Qt import)."""

from __future__ import annotations

import argparse

__all__ = ["add_view_arguments", "qt_available", "require_qt", "GUI_HINT"]

GUI_HINT = "pip install 'spikevision[gui]'"


def qt_available() -> bool:
    """Whether PyQt6 can be imported here."""
    try:
        import PyQt6.QtWidgets  # noqa: F401
    except ImportError:
        return False
    return True


def require_qt() -> None:
    """Raise :class:`~spikevision.errors.BackendUnavailable` with the install command when PyQt6 is missing."""
    if not qt_available():
        from ..errors import BackendUnavailable

        raise BackendUnavailable(f"the viewer needs PyQt6, which is not installed; {GUI_HINT}")


def add_view_arguments(p: argparse.ArgumentParser) -> None:
    """Add the viewer's arguments (source, initial state, screenshot) to a parser."""
    from ..io.options import add_read_options

    p.add_argument("source", nargs="?", help="spike file (.dat, .h5, .npz, .raw) or camera URL (sim://, "
                   "replay://file.dat, usb://, sdk://); none: start empty")
    p.add_argument("--right", metavar="RIGHT", help="the right camera's file: view SOURCE and RIGHT as a stereo pair "
                   "(the disparity mode); a stereo pair file needs no --right")
    g = p.add_argument_group("initial state")
    g.add_argument("--frame", type=int, help="frame to show first")
    g.add_argument("--time", type=float, help="time in seconds to show first (instead of --frame)")
    g.add_argument("--mode", help="view mode: raw, tfp, tfi, tfstp, best, rate, disparity (or a plug-in mode)")
    g.add_argument("--window", type=int, help="reconstruction window in frames")
    g.add_argument("--colormap", help="gray, inferno, viridis, magma, plasma, turbo, hot, jet, green")
    g.add_argument("--levels", type=float, nargs=2, metavar=("LOW", "HIGH"), help="display levels")
    g.add_argument("--auto-levels", action="store_true", help="levels from each frame's percentiles")
    g.add_argument("--gamma", type=float, help="display gamma (1 = linear)")
    g.add_argument("--zoom", type=float, help="screen pixels per image pixel (default: fit)")
    g.add_argument("--roi", type=int, nargs=4, metavar=("ROW0", "ROW1", "COL0", "COL1"), help="ROI rectangle")
    g.add_argument("--speed", type=float, help="playback speed as a multiple of real time (e.g. 0.01)")
    g.add_argument("--play", action="store_true", help="start playing")
    g.add_argument("--record", metavar="OUT", help="camera sources: start recording to OUT (.h5 or .dat)")
    s = p.add_argument_group("screenshot (offscreen, for docs, bug reports and tests)")
    s.add_argument("--screenshot", metavar="OUT.png", help="render the window at this state, save it, exit")
    s.add_argument("--image", metavar="OUT.png", help="with --screenshot: also save the displayed image alone")
    s.add_argument("--size", default="1400x860", help="window size WxH for --screenshot (default 1400x860)")
    s.add_argument("--wait", type=float, default=1.0,
                   help="camera sources: seconds to stream before the screenshot (default 1)")
    s.add_argument("--no-settings", action="store_true", help="neither load nor save remembered settings")
    add_read_options(p)
