"""Helpers shared by CLI subcommands: reader options and progress bars."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["add_read_options", "read_options", "progress"]


def add_read_options(p: argparse.ArgumentParser) -> None:
    """The reader options every command taking a spike file accepts (same names as spikevision.open)."""
    g = p.add_argument_group("reading options")
    g.add_argument("--format", help="input format (dat, h5, npz, raw); default: from extension and content")
    g.add_argument("--height", type=int, help="frame height in pixels (.dat: inferred when unambiguous)")
    g.add_argument("--width", type=int, help="frame width in pixels")
    g.add_argument("--fps", type=float, help="readout rate in Hz (default 20000 for .dat)")
    g.add_argument("--no-flip", dest="flip", action="store_false", default=None,
                   help="file rows are top-down (SPCS-style simulators); default: flip like vidar cameras")
    g.add_argument("--head-columns", type=int, help="extra columns per row to drop (16 for 250x416 captures)")
    g.add_argument("--frame-header-bytes", type=int, help="bytes before every frame to skip (e.g. 16)")
    g.add_argument("--strict", action="store_true", default=None, help="fail on a trailing partial frame")


def read_options(args: argparse.Namespace) -> dict[str, Any]:
    """Reader keyword arguments from parsed CLI options (only those given)."""
    from ..io import COMMON_READ_OPTIONS

    return {k: getattr(args, k) for k in COMMON_READ_OPTIONS if getattr(args, k, None) is not None}


def progress(total: int, desc: str, unit: str = "frame", disable: bool | None = None):
    """A tqdm progress bar on stderr, hidden when stderr is not a terminal (or SPIKEVISION_PROGRESS=0)."""
    from tqdm import tqdm

    if disable is None:
        env = os.environ.get("SPIKEVISION_PROGRESS")
        disable = (env == "0") if env is not None else not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, disable=disable, leave=False, file=sys.stderr)
