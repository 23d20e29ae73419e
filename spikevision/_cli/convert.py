"""``spikevision convert IN OUT``: between every spike format, with range selection and layout options."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import numpy as np

from ..errors import FormatError
from ..io import detect_format, open_stream, save_stream
from ..stream import SpikeStream
from ._common import (
    add_output_options,
    add_read_options,
    guard_output,
    integer,
    nonneg_float,
    nonneg_int,
    positive_int,
    progress,
    read_options,
    report,
)

__all__ = ["register", "select_range"]


class _Progressed(SpikeStream):
    """A SpikeStream view that advances a progress bar as writers pull blocks from it."""

    def __init__(self, stream: SpikeStream, bar):
        r = stream.source_frames
        super().__init__(stream.source, stream.meta, r.start, r.stop, r.step)
        self._bar = bar

    def iter_packed(self, n_frames: int = 1024) -> Iterator[np.ndarray]:
        for block in super().iter_packed(n_frames):
            yield block
            self._bar.update(block.shape[0])

    def iter_blocks(self, n_frames: int = 1024) -> Iterator[np.ndarray]:
        for block in super().iter_blocks(n_frames):
            yield block
            self._bar.update(block.shape[0])


def select_range(stream: SpikeStream, start: int | None = None, stop: int | None = None,
                 time_start: float | None = None, time_stop: float | None = None,
                 step: int | None = None) -> SpikeStream:
    """Frames [start, stop) and/or [time_start, time_stop) seconds, every ``step``-th."""
    if (start is not None or stop is not None) and (time_start is not None or time_stop is not None):
        raise FormatError("give a frame range (--start/--stop) or a time range (--time-start/--time-stop), not both")
    if time_start is not None or time_stop is not None:
        stream = stream.time_slice(time_start, time_stop)
    else:
        stream = stream[start:stop]
    if step:
        stream = stream[::step]
    if len(stream) == 0:
        raise FormatError("the selected range holds no frames; check --start/--stop or --time-start/--time-stop "
                          "against `spikevision info`")
    return stream


def _check_range(stream: SpikeStream, args: argparse.Namespace) -> None:
    """Frame and time ranges checked against the file, naming its length."""
    t, d = len(stream), stream.t0 + stream.duration
    for name in ("start", "stop"):
        v = getattr(args, name)
        if v is not None and not -t <= v <= t:
            raise FormatError(f"--{name} {v} is outside {args.input} ({t:,} frames); choose a frame in "
                              f"{-t}..{t} (negative counts from the end; see `spikevision info`)")
    for name in ("time_start", "time_stop"):
        v = getattr(args, name)
        if v is not None and v > d + 1e-12:
            raise FormatError(f"--{name.replace('_', '-')} {v:g} s is past the end of {args.input} ({d:.6g} s); "
                              f"choose a time in 0..{d:.6g} s")
    a, b, _ = slice(args.start, args.stop).indices(t)
    if args.start is not None and args.stop is not None and b <= a:
        raise FormatError(f"--stop {args.stop} must come after --start {args.start}")
    if args.time_start is not None and args.time_stop is not None and args.time_stop <= args.time_start:
        raise FormatError(f"--time-stop {args.time_stop:g} must be greater than --time-start {args.time_start:g}")


def run(args: argparse.Namespace) -> int:
    out_fmt = args.out_format or detect_format(args.output, for_writing=True)
    out = guard_output(args.output, [args.input], overwrite=args.overwrite)
    stream = open_stream(args.input, format=args.format, **read_options(args))
    _check_range(stream, args)
    stream = select_range(stream, args.start, args.stop, args.time_start, args.time_stop, args.step)
    if args.cfa:
        stream = stream.with_meta(cfa=args.cfa)
    options = {}
    if out_fmt == "dat":
        options = {"flip": not args.out_no_flip, "head_columns": args.out_head_columns or 0,
                   "frame_header_bytes": args.out_frame_header_bytes or 0}
    elif args.out_no_flip or args.out_head_columns or args.out_frame_header_bytes:
        raise FormatError("--out-no-flip/--out-head-columns/--out-frame-header-bytes apply to .dat output only")
    t0 = time.perf_counter()
    with progress(len(stream), f"convert to {out_fmt}") as bar:
        save_stream(out, _Progressed(stream, bar), format=out_fmt, **options)
    elapsed = time.perf_counter() - t0
    t, h, w = stream.shape
    size = out.stat().st_size
    report(args, f"wrote {t:,} frames ({out_fmt}, {h}x{w}) to {out} in {elapsed:.1f} s",
           {"output": str(out), "format": out_fmt, "frames": t, "height": h, "width": w, "fps": stream.fps,
            "bytes": size, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert between spike formats",
                       description="Convert a spike file to another format (.dat, .h5, .npz, .raw), optionally a "
                       "frame or time range. The output is written whole or not at all; an existing output is replaced "
                       "only with "
                       "--overwrite, and never when it is the input.")
    p.add_argument("input")
    p.add_argument("output")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=integer, help="first frame (default 0; negative: from the end)")
    r.add_argument("--stop", type=integer, help="frame after the last (default: end; negative: from the end)")
    r.add_argument("--time-start", type=nonneg_float, help="start time in seconds")
    r.add_argument("--time-stop", type=nonneg_float, help="stop time in seconds")
    r.add_argument("--step", type=positive_int, help="keep every STEP-th frame")
    o = p.add_argument_group("output")
    o.add_argument("--out-format", help="output format (default: from the output extension)")
    o.add_argument("--out-no-flip", action="store_true", help=".dat output with top-down rows (no flip)")
    o.add_argument("--out-head-columns", type=nonneg_int, help=".dat output with this many zero head columns per row")
    o.add_argument("--out-frame-header-bytes", type=nonneg_int,
                   help=".dat output with a zero header before every frame")
    o.add_argument("--cfa", help="record a color filter pattern (bggr, rggb, ...) in the output metadata")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
