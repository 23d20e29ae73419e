"""``spikevision capture URL OUT.h5|OUT.dat``: record a live camera while streaming."""

from __future__ import annotations

import argparse
import sys

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
    p.add_argument("--duration", type=float, help="seconds of stream time to record")
    p.add_argument("--frames", type=int, help="number of frames to record")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--policy", choices=("block", "drop_oldest", "drop_newest"),
                   help="what to do when the recorder falls behind (default: the backend's)")
    p.add_argument("--ring-blocks", type=int, help="blocks buffered between camera and recorder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..camera import DeviceDisconnected, record
    from ._common import progress

    opts = {}
    if args.policy:
        opts["policy"] = args.policy
    if args.ring_blocks:
        opts["ring_blocks"] = args.ring_blocks
    total = args.frames
    bar = progress(total or 0, "capture")

    def tick(block):
        bar.update(block.n_frames)

    try:
        res = record(args.url, args.out, duration=args.duration, frames=args.frames, overwrite=args.overwrite,
                     on_block=tick, **opts)
    except DeviceDisconnected as exc:
        bar.close()
        r = getattr(exc, "result", None)
        kept = f"; {r.frames} frames were committed to {r.path}" if r is not None else ""
        print(f"spikevision: error: {exc}{kept}", file=sys.stderr)
        return 1
    finally:
        bar.close()
    s = res.camera
    print(f"{res.path}: {res.frames} frames ({res.format}), {res.dropped_frames} dropped, "
          f"stopped by {res.stopped_by}; {res.elapsed:.2f} s, "
          f"{(s.fps if s else 0):,.0f} frames/s, {(s.mb_per_s if s else 0):,.1f} MB/s")
    return 0
