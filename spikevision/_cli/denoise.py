"""``spikevision denoise IN OUT [--calibration CAL.h5] [--method ...]``: a denoised spike file, any format."""

from __future__ import annotations

import argparse
import time

from ..errors import FormatError
from ..io import detect_format, open_stream, save_stream
from ._common import (
    add_output_options,
    add_read_options,
    check_input_file,
    guard_output,
    positive_float,
    positive_int,
    progress,
    read_options,
    report,
)
from .calibrate import load_calibration_arg
from .convert import _Progressed

__all__ = ["register", "run"]


def run(args: argparse.Namespace) -> int:
    from ..denoise import denoise

    out_fmt = args.out_format or detect_format(args.output, for_writing=True)
    inputs = [args.input] + ([args.calibration] if args.calibration else [])
    out = guard_output(args.output, inputs, overwrite=args.overwrite)
    check_input_file(args.input)
    stream = open_stream(args.input, format=args.format, **read_options(args))
    if len(stream) == 0:
        raise FormatError(f"{args.input} holds no frames; nothing to denoise")
    cal = load_calibration_arg(args.calibration, stream.height, stream.width)
    params = {k: getattr(args, k) for k in ("history", "gate", "lock") if getattr(args, k) is not None}
    result = denoise(stream, calibration=cal, method=args.method, **params)
    t0 = time.perf_counter()
    with progress(len(stream), f"denoise {args.method}") as bar:
        save_stream(out, _Progressed(result, bar), format=out_fmt)
    elapsed = time.perf_counter() - t0
    t, h, w = stream.shape
    report(args, f"wrote {t:,} denoised frames ({args.method}, {h}x{w}, "
                 f"{'calibrated' if cal is not None else 'no calibration'}) to {out} in {elapsed:.1f} s "
                 f"({t / max(elapsed, 1e-9):,.0f} frames/s)",
           {"output": str(out), "format": out_fmt, "frames": t, "height": h, "width": w, "method": args.method,
            "calibration": args.calibration, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("denoise", help="denoise a spike recording (spikes in, spikes out)",
                       description="Remove fixed-pattern noise, hot/dead pixels and timing noise from a spike "
                       "recording and write the denoised spikes in any format (.dat, .h5, .npz, .raw). Methods: "
                       "hot (repair hot/dead pixels), fpn (fixed-pattern correction, needs --calibration), temporal "
                       "(interval-domain denoising), best (default: temporal with the calibration when given).")
    p.add_argument("input", help="spike file")
    p.add_argument("output", help="output spike file (format from the extension or --out-format)")
    p.add_argument("--calibration", metavar="CAL.h5", help="calibration of this sensor (spikevision calibrate)")
    p.add_argument("--method", default="best", choices=["best", "hot", "fpn", "temporal"],
                   help="denoising method (default best)")
    p.add_argument("--history", type=positive_int, help="temporal: intervals averaged (default 8)")
    p.add_argument("--gate", type=positive_float, help="temporal: relative interval change that restarts the "
                   "average (motion gate, default 0.05)")
    p.add_argument("--lock", type=positive_float, help="temporal: intervals over which the output phase follows "
                   "the input (default 2)")
    p.add_argument("--out-format", help="output format (default: from the output extension)")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
