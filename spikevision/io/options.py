"""Reading options shared by every front end (the ``spikevision`` command and the viewer).

``add_read_options`` adds ``--format``, ``--height``, ... to an :mod:`argparse`
parser with the same names as the keyword arguments of :func:`spikevision.open`;
``read_options`` turns the parsed values back into those keyword arguments. The
``argparse`` ``type=`` functions below validate numbers when they are parsed, so a
bad value gets argparse's usual one-line usage error (exit status 2) before any
file is opened.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

__all__ = ["add_read_options", "read_options", "integer", "positive_int", "nonneg_int", "positive_float",
           "nonneg_float",
           "finite_float"]


def _int(text: str) -> int:
    try:
        return int(text, 0) if text.strip().lower().startswith(("0x", "0o", "0b")) else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def integer(text: str) -> int:
    """Any integer (frame positions: negative counts from the end)."""
    return _int(text)


def positive_int(text: str) -> int:
    """An integer >= 1 (frames, sizes, steps)."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (>= 1), got {text!r}")
    return value


def nonneg_int(text: str) -> int:
    """An integer >= 0 (frame indices, byte counts, seeds)."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def finite_float(text: str) -> float:
    """Any finite number (not nan or inf)."""
    return _float(text)


def positive_float(text: str) -> float:
    """A finite number > 0 (rates, durations, gains)."""
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def nonneg_float(text: str) -> float:
    """A finite number >= 0 (times)."""
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def add_read_options(p: argparse.ArgumentParser) -> None:
    """The reader options every command taking a spike file accepts (same names as spikevision.open)."""
    g = p.add_argument_group("reading options")
    g.add_argument("--format", help="input format (dat, h5, npz, raw); default: from extension and content")
    g.add_argument("--height", type=positive_int, help="frame height in pixels (.dat: inferred when unambiguous)")
    g.add_argument("--width", type=positive_int, help="frame width in pixels")
    g.add_argument("--fps", type=positive_float, help="readout rate in Hz (default 20000 for .dat)")
    g.add_argument("--no-flip", dest="flip", action="store_false", default=None,
                   help="file rows are top-down (SPCS-style simulators); default: flip like vidar cameras")
    g.add_argument("--head-columns", type=nonneg_int, help="extra columns per row to drop (16 for 250x416 captures)")
    g.add_argument("--frame-header-bytes", type=nonneg_int, help="bytes before every frame to skip (e.g. 16)")
    g.add_argument("--strict", action="store_true", default=None, help="fail on a trailing partial frame")


def read_options(args: argparse.Namespace) -> dict[str, Any]:
    """Reader keyword arguments from parsed options (only those given)."""
    from . import COMMON_READ_OPTIONS

    return {k: getattr(args, k) for k in COMMON_READ_OPTIONS if getattr(args, k, None) is not None}
