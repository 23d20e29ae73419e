"""``spikevision view [FILE|URL]``: the viewer; ``--screenshot OUT.png`` renders offscreen and exits."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from ..viewer.app import run_viewer  # no Qt import yet

    code = run_viewer(args)  # BackendUnavailable naming `pip install 'spikevision[gui]'` when PyQt6 is missing
    if args.screenshot and code == 0:
        sys.stdout.write(f"saved {args.screenshot}\n")
    return code


def register(sub: argparse._SubParsersAction) -> None:
    from ..viewer.options import add_view_arguments

    p = sub.add_parser("view", help="view a spike file or a live camera (Qt GUI)",
                       description="View a spike recording or a live camera: playback, reconstruction modes, "
                       "levels, ROI plot, recording and export. With --screenshot, render offscreen at the given "
                       "state, save a PNG and exit.")
    add_view_arguments(p)
    p.set_defaults(func=run)
