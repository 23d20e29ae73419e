"""``spikevision view [FILE|URL]``: the viewer; ``--screenshot OUT.png`` renders offscreen and exits."""

from __future__ import annotations

import argparse

from ._common import guard_output, report

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from ..viewer.app import run_viewer  # no Qt import yet

    inputs = [args.source] if args.source else []
    _calibration(args)
    for out in (args.screenshot, args.image, args.record):
        if out:
            guard_output(out, inputs, overwrite=args.overwrite)
    code = run_viewer(args)  # BackendUnavailable naming `pip install 'spikevision[gui]'` when PyQt6 is missing
    if args.screenshot and code == 0:
        also = f" and {args.image}" if args.image else ""
        report(args, f"saved {args.screenshot}{also}")
    return code


def _calibration(args: argparse.Namespace) -> None:
    """``--calibration CAL.h5``: loaded (and checked against a file source) for the denoising view modes."""
    if not getattr(args, "calibration", None):
        return
    from ..denoise import load_calibration
    from ..denoise.viewmodes import set_calibration

    cal = load_calibration(args.calibration)
    if args.source and "://" not in args.source:
        from ..io import open_stream
        from ..io.options import read_options

        s = open_stream(args.source, **read_options(args))
        cal.check_shape(s.height, s.width, args.source)
    set_calibration(cal)


def register(sub: argparse._SubParsersAction) -> None:
    from ..viewer.options import add_view_arguments

    p = sub.add_parser("view", help="view a spike file or a live camera (Qt GUI)",
                       description="View a spike recording or a live camera: playback, reconstruction modes, "
                       "levels, ROI plot, recording and export. With --screenshot, render offscreen at the given "
                       "state, save a PNG and exit.")
    add_view_arguments(p)
    if not any("--calibration" in a.option_strings for a in p._actions):
        p.add_argument("--calibration", metavar="CAL.h5",
                       help="sensor calibration (spikevision calibrate) for the denoised and hot_pixels modes")
    if not any("--overwrite" in a.option_strings for a in p._actions):
        p.add_argument("--overwrite", action="store_true",
                       help="replace an existing --screenshot/--image/--record output")
    p.set_defaults(func=run)
