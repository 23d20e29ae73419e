"""``spikevision convert IN OUT``: between every spike format, with range selection and layout options."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import numpy as np

from ..errors import FormatError
from ..io import detect_format, open_stream, save_stream
from ..stream import SpikeStream
from ._common import add_read_options, progress, read_options

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


def run(args: argparse.Namespace) -> int:
    stream = open_stream(args.input, format=args.format, **read_options(args))
    stream = select_range(stream, args.start, args.stop, args.time_start, args.time_stop, args.step)
    if args.cfa:
        stream = stream.with_meta(cfa=args.cfa)
    out_fmt = args.out_format or detect_format(args.output, for_writing=True)
    options = {}
    if out_fmt == "dat":
        options = {"flip": not args.out_no_flip, "head_columns": args.out_head_columns or 0,
                   "frame_header_bytes": args.out_frame_header_bytes or 0}
    elif args.out_no_flip or args.out_head_columns or args.out_frame_header_bytes:
        raise FormatError("--out-no-flip/--out-head-columns/--out-frame-header-bytes apply to .dat output only")
    with progress(len(stream), f"convert to {out_fmt}") as bar:
        save_stream(args.output, _Progressed(stream, bar), format=out_fmt, **options)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert between spike formats",
                       description="Convert a spike file to another format (.dat, .h5, .npz, .raw), optionally a "
                       "frame or time range. The output is written whole or not at all.")
    p.add_argument("input")
    p.add_argument("output")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=int, help="first frame (default 0)")
    r.add_argument("--stop", type=int, help="frame after the last (default: end)")
    r.add_argument("--time-start", type=float, help="start time in seconds")
    r.add_argument("--time-stop", type=float, help="stop time in seconds")
    r.add_argument("--step", type=int, help="keep every STEP-th frame")
    o = p.add_argument_group("output")
    o.add_argument("--out-format", help="output format (default: from the output extension)")
    o.add_argument("--out-no-flip", action="store_true", help=".dat output with top-down rows (no flip)")
    o.add_argument("--out-head-columns", type=int, help=".dat output with this many zero head columns per row")
    o.add_argument("--out-frame-header-bytes", type=int, help=".dat output with a zero header before every frame")
    o.add_argument("--cfa", help="record a color filter pattern (bggr, rggb, ...) in the output metadata")
    add_read_options(p)
    p.set_defaults(func=run)
