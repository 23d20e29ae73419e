"""Start the viewer: the QApplication, the window, the initial state, and the offscreen screenshot mode."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from ..errors import SpikevisionError
from .options import add_view_arguments, require_qt

__all__ = ["main", "run_viewer", "make_window", "apply_state", "application"]

log = logging.getLogger(__name__)


def application(argv: list[str] | None = None):
    """The running QApplication (created with the dark theme if there is none)."""
    from PyQt6.QtWidgets import QApplication

    from .theme import apply_dark_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv or sys.argv[:1]))
        app.setApplicationName("spikevision viewer")
        app.setOrganizationName("spikevision")
    apply_dark_theme(app)
    return app


def make_window(remember: bool = True):
    """A :class:`~.window.ViewerWindow`; ``remember`` loads and saves QSettings (spikevision/viewer)."""
    from PyQt6.QtCore import QSettings

    from .window import ViewerWindow

    settings = QSettings("spikevision", "viewer") if remember else None
    return ViewerWindow(settings=settings)


def _read_options(args: argparse.Namespace) -> dict:
    from ..io.options import read_options

    opts = read_options(args)
    if getattr(args, "format", None):
        opts["format"] = args.format
    return opts


def apply_state(win, args: argparse.Namespace) -> None:
    """Open the source and set mode, window, display, zoom, ROI and frame from parsed arguments.

    Raises:
        SpikevisionError: the source cannot be opened (the message names the fix).
    """
    src = args.source
    if args.mode:
        win.set_mode(args.mode, args.window)
    elif args.window:
        win.set_window(args.window)
    if args.colormap or args.gamma or args.levels or args.auto_levels:
        win.set_display(levels=tuple(args.levels) if args.levels else None, gamma=args.gamma,
                        colormap=args.colormap, auto=True if args.auto_levels else None)
    if src:
        if "://" in src:
            try:
                win.open_camera(src)
            except (SpikevisionError, ValueError) as exc:
                raise SpikevisionError(f"cannot connect to {src}: {exc}") from exc
            if args.record:
                deadline = time.monotonic() + 10
                while win.live.status().state == "connecting" and time.monotonic() < deadline:
                    time.sleep(0.02)
                win.live.start_recording(args.record)
                win.camera_panel.path.setText(args.record)
                win.camera_panel.set_recording(True)
        elif not win.open_file(src, **({"right": args.right} if getattr(args, "right", None) else {}),
                               **_read_options(args)):
            raise SpikevisionError(win.last_error or f"cannot open {src}")
    if args.speed:
        fps = win.stream.fps if win.stream is not None else 20000.0
        win.set_speed(args.speed * fps)
    if args.zoom:
        win.canvas.set_zoom(args.zoom)
    if args.roi:
        win.canvas.set_roi(tuple(args.roi))
    if win.stream is not None:
        if args.time is not None:
            win.set_frame(int(round((args.time - win.stream.t0) * win.stream.fps)))
        elif args.frame is not None:
            if not 0 <= args.frame < len(win.stream):
                raise SpikevisionError(f"--frame {args.frame} is outside the recording's {len(win.stream):,} "
                                       f"frames; choose 0..{len(win.stream) - 1}")
            win.set_frame(args.frame)
    if args.play:
        win.set_playing(True)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        return w, h
    except ValueError:
        raise SpikevisionError(f"--size {text!r} must look like 1400x860") from None


def run_viewer(args: argparse.Namespace) -> int:
    """Run the viewer for parsed arguments (interactive, or ``--screenshot`` offscreen and exit)."""
    require_qt()
    shot = args.screenshot
    if shot:
        os.environ["SPIKEVISION_VIEWER_NO_DIALOGS"] = "1"
        if not shot.lower().endswith(".png"):
            raise SpikevisionError(f"--screenshot {shot} must end in .png")
    _choose_platform(bool(shot))
    if not _has_application():
        from .platform import install_message_filter

        install_message_filter()
    app = application()
    win = make_window(remember=not (shot or args.no_settings))
    try:
        if shot:
            win.resize(*_size(args.size))
        win.show()
        app.processEvents()
        apply_state(win, args)
        if shot:
            return _screenshot(win, app, args)
        return app.exec()
    finally:
        win.shutdown()
        win.deleteLater()
        app.processEvents()


def _has_application() -> bool:
    from PyQt6.QtWidgets import QApplication

    return QApplication.instance() is not None


def _choose_platform(screenshot: bool) -> None:
    """Check Qt's platform plugin before Qt would abort: a one-line error, or offscreen for screenshots.

    Raises:
        SpikevisionError: no window can open here (the message names the missing libraries or display).
    """
    from .platform import platform_problem

    if screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        problem = platform_problem(screenshot=True)
        if problem is not None:  # a screenshot needs no display: render offscreen instead
            log.info("%s; rendering offscreen", problem)
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    problem = platform_problem()
    if problem is not None:
        raise SpikevisionError(problem)


def _screenshot(win, app, args: argparse.Namespace) -> int:
    if win.live is not None:
        deadline = time.monotonic() + max(0.0, args.wait)
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(3):  # let the panel show the latest counters
            win._tick()
            app.processEvents()
        win._tick_live()
        win.camera_panel.update_status(win.live.status())
    frame = win.render_now()
    win._update_status()
    app.processEvents()
    win.save_screenshot(args.screenshot)
    if args.image:
        win.snapshot(args.image)
    if frame is not None and frame.error:
        log.warning("%s", frame.error)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``apps/viewer.py``."""
    p = argparse.ArgumentParser(prog="spikevision-viewer", description="View spike recordings and live cameras.")
    add_view_arguments(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        code = run_viewer(args)
        if args.screenshot and code == 0:
            sys.stdout.write(f"saved {args.screenshot}\n")
        return code
    except SpikevisionError as exc:
        print(f"spikevision-viewer: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
