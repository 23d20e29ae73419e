"""``spikevision calibrate [--dark DARK] [--flat FLAT] OUT.h5``: a sensor's dark rate, gain, hot and dead pixels."""

from __future__ import annotations

import argparse
import time

from ..errors import FormatError
from ..io import open_stream
from ._common import (
    add_output_options,
    add_read_options,
    check_input_file,
    guard_output,
    progress,
    read_options,
    report,
)

__all__ = ["register", "run", "load_calibration_arg"]


def load_calibration_arg(path: str | None, height: int, width: int):
    """``--calibration CAL.h5`` of recon/denoise/view: loaded and checked against the stream's size (or None)."""
    if not path:
        return None
    from ..denoise import load_calibration

    cal = load_calibration(path)
    cal.check_shape(height, width)
    return cal


def _positive(text: str) -> float:
    from ._common import positive_float

    return positive_float(text)


def _rate(text: str) -> float:
    v = _positive(text)
    if v > 1:
        raise argparse.ArgumentTypeError(f"{text} is not a firing rate in (0, 1] spikes per frame")
    return v


def run(args: argparse.Namespace) -> int:
    from ..denoise import calibrate

    if not args.dark and not args.flat:
        raise FormatError("give --dark DARK (lens capped) and/or --flat FLAT (uniform light) recordings")
    inputs = [p for p in (args.dark, args.flat) if p]
    out = guard_output(args.output, inputs, overwrite=args.overwrite)
    streams = {}
    for name in ("dark", "flat"):
        path = getattr(args, name)
        if path:
            check_input_file(path)
            streams[name] = open_stream(path, format=args.format, **read_options(args))
    total = sum(len(s) for s in streams.values())
    t0 = time.perf_counter()
    with progress(total, "calibrate") as bar:
        cal = calibrate(streams.get("dark"), streams.get("flat"), flat_level=args.flat_level, hot_z=args.hot_z,
                        progress=bar.update)
    cal.provenance["sources"] = {k: str(getattr(args, k)) for k in streams}
    cal.save(out, overwrite=args.overwrite)
    elapsed = time.perf_counter() - t0
    s = cal.summary()
    missing = f"; not estimated: {', '.join(s['missing'])}" if s["missing"] else ""
    report(args, f"wrote {out}: {cal.height}x{cal.width}, dark rate median {s['dark_rate_median']:.4g} spikes/frame, "
                 f"gain spread {100 * s['gain_std']:.2f} %, {s['hot']} hot and {s['dead']} dead pixels, from "
                 f"{', '.join(f'{v:,} {k}' for k, v in s['frames_used'].items())} frames in {elapsed:.1f} s{missing}",
           {"output": str(out), **s, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="calibrate a sensor from dark and flat-field recordings",
                       description="Estimate every pixel's dark rate, relative gain, hot and dead pixels from a dark "
                       "recording (lens capped) and/or a flat-field recording (uniform light) of the same sensor, "
                       "and write them to an HDF5 calibration file for `recon`, `denoise` and `view` "
                       "(--calibration). Each recording is read once, in constant memory.")
    p.add_argument("output", help="calibration file to write (.h5)")
    p.add_argument("--dark", help="spike file recorded with no light")
    p.add_argument("--flat", help="spike file of a uniformly lit target")
    p.add_argument("--flat-level", type=_rate, metavar="RATE",
                   help="the nominal pixel's firing rate under the flat light, when known (default: the median "
                   "response is gain 1)")
    p.add_argument("--hot-z", type=_positive, default=5.0,
                   help="robust z-score above which a pixel is hot (default 5)")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
