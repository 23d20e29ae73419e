"""``spikevision capture URL OUT.h5|OUT.dat``: record a live camera while streaming."""

from __future__ import annotations

import argparse
import os
import sys

from ._common import add_output_options, guard_output, positive_float, positive_int

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "capture", help="record a camera (sim://, replay://, usb://, sdk://) to .h5 or .dat",
        description="Record a live camera to the crash-safe HDF5 container (.h5) or a vidar .dat, committing "
                    "every block (at least every 0.25 s when busy). Stops after --frames, after --duration seconds "
                    "of stream time, at the end "
                    "of the stream or on Ctrl-C; an unplug keeps every completed block. Examples: "
                    "`spikevision capture 'sim://?speed=max' sim.h5 --frames 20000`, "
                    "`spikevision capture usb://0403:601f rec.h5 --duration 10`.")
    p.add_argument("url", help="camera URL, e.g. sim://, replay://rec.dat?speed=1, usb://0403:601f, "
                               "sdk:///path/libspikelinkapi.so?type=usb")
    p.add_argument("out", help="output file: .h5 (recommended) or .dat")
    p.add_argument("--duration", type=positive_float, help="seconds of stream time to record")
    p.add_argument("--frames", type=positive_int, help="number of frames to record")
    add_output_options(p)
    p.add_argument("--policy", choices=("block", "drop_oldest", "drop_newest"),
                   help="what to do when the recorder falls behind (default: the backend's)")
    p.add_argument("--ring-blocks", type=positive_int, help="blocks buffered between camera and recorder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..camera import DeviceDisconnected, record
    from ..camera._url import parse_url
    from ..camera.recording import RECORD_FORMATS
    from ._common import compile_seconds, progress, report

    scheme, loc, _ = parse_url(args.url)  # a bad URL fails before anything is touched
    out = guard_output(args.out, [args.url], overwrite=args.overwrite)
    if scheme == "replay":
        from ._common import check_input_file

        check_input_file(loc)
    if out.suffix.lower() not in RECORD_FORMATS:
        raise ValueError(f"cannot record to {out}: unknown extension {out.suffix or '(none)'!r}; use .h5 "
                         f"(recommended) or .dat")
    aside = None
    if os.path.lexists(out):  # --overwrite: the recording is written in place; move (never follow) the old one
        aside = out.with_name(f".{out.name}.old{os.getpid()}")
        os.replace(out, aside)
    opts = {}
    if args.policy:
        opts["policy"] = args.policy
    if args.ring_blocks:
        opts["ring_blocks"] = args.ring_blocks
    total = args.frames
    bar = progress(total or 0, "capture")

    def tick(block):
        bar.update(block.n_frames)

    def settle(failed: BaseException | None) -> None:
        """Drop the old output once the new one holds frames; put it back if nothing was recorded."""
        if aside is None:
            return
        r = getattr(failed, "result", None) if failed is not None else None
        recorded = r.frames > 0 if r is not None else os.path.isfile(out) and os.path.getsize(out) > 0
        if failed is not None and not recorded:
            if os.path.lexists(out):
                os.unlink(out)
            os.replace(aside, out)
        else:
            os.unlink(aside)

    c0 = compile_seconds()
    try:
        res = record(args.url, out, duration=args.duration, frames=args.frames, overwrite=True, on_block=tick,
                     **opts)
    except BaseException as exc:
        settle(exc)
        if not isinstance(exc, DeviceDisconnected):
            exc.in_place = True  # type: ignore[attr-defined]  # a disk error keeps the committed frames
            raise
        bar.close()
        r = getattr(exc, "result", None)
        kept = f"; {r.frames} frames were committed to {r.path}" if r is not None else ""
        print(f"spikevision: error: {exc}{kept}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    settle(None)
    compiling = compile_seconds() - c0
    busy = max(res.elapsed - compiling, 1e-9)  # speeds never count kernel compilation
    s = res.camera
    nbytes = res.frames * (s.bytes / s.frames if s and s.frames else 0)
    rate, mbs = res.frames / busy, nbytes / busy / 1e6
    report(args, f"wrote {res.frames:,} frames ({res.format}) to {res.path} in {res.elapsed:.2f} s "
           f"({rate:,.0f} frames/s, {mbs:,.1f} MB/s), {res.dropped_frames} dropped, stopped by {res.stopped_by}",
           {"output": str(res.path), "format": res.format, "frames": res.frames, "dropped_frames": res.dropped_frames,
            "elapsed_s": res.elapsed, "compile_s": compiling, "frames_per_s": rate, "mb_per_s": mbs,
            "stopped_by": res.stopped_by, "gaps": res.gaps})
    return 0
