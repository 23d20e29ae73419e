"""``spikevision stereo LEFT RIGHT OUT`` (or ``PAIR OUT``): disparity or depth maps of a stereo pair."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..errors import FormatError
from ..io import open_stream
from ._common import (
    add_output_options,
    add_read_options,
    check_input_file,
    guard_output,
    integer,
    positive_float,
    positive_int,
    progress,
    read_options,
    report,
)

__all__ = ["register", "open_views"]

_SINGLE = (".png", ".npy")
_SEQUENCE = (".h5", ".hdf5", ".mp4", ".avi")


def open_views(inputs: list[str], calibration: str | None, args: argparse.Namespace | None = None):
    """(left, right, focal, baseline, source note) from a pair file or two stream files, rectified when a
    calibration is given (or the pair file carries one and is not rectified)."""
    from ..stereo import StereoCalibration, open_pair
    from ..stereo.pair import is_pair_file

    for path in inputs:
        check_input_file(path)
    if len(inputs) == 1:
        if not is_pair_file(inputs[0]):
            raise FormatError(f"{inputs[0]} is not a stereo pair file; give LEFT RIGHT OUT, or write a pair with "
                              f"`spikevision simulate --scene stereo PAIR.h5`")
        pair = open_pair(inputs[0])
        cal = StereoCalibration.load(calibration) if calibration else pair.calibration
        if calibration or not pair.rectified:
            if cal is None:
                raise FormatError(f"{inputs[0]} is not rectified and carries no calibration; pass --calibration")
            left, right = cal.rectify((pair.left, pair.right))
            return left, right, cal.focal, cal.baseline
        return pair.left, pair.right, pair.focal, pair.baseline
    opts = read_options(args) if args is not None else {}
    left = open_stream(inputs[0], format=getattr(args, "format", None), **opts)
    right = open_stream(inputs[1], format=getattr(args, "format", None), **opts)
    if calibration:
        cal = StereoCalibration.load(calibration)
        left, right = cal.rectify((left, right))
        return left, right, cal.focal, cal.baseline
    return left, right, None, None


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..io.video import H5StackWriter
    from ..stereo import depth, iter_disparity
    from ..stereo.api import resolve_method
    from ..stereo.export import ColorVideoWriter, write_color_png, write_npy, write_png16

    *inputs, output = args.paths
    if len(inputs) not in (1, 2):
        raise FormatError("give LEFT RIGHT OUT (two stream files) or PAIR OUT (a stereo pair file)")
    ext = Path(output).suffix.lower()
    if ext not in _SINGLE + _SEQUENCE:
        raise FormatError(f"{output}: unknown output type {ext or '(none)'!r}; use .png (16-bit, value = 256 x), "
                          f".npy, .h5 (stack) or .mp4 (colour-mapped)")
    single = ext in _SINGLE
    if args.depth and ext in (".mp4", ".avi"):
        raise FormatError("--depth applies to .png, .npy and .h5 outputs; a video shows the colour-mapped disparity")
    if args.color and not single:
        raise FormatError("--color applies to single-map outputs (.png, .npy); a video is colour-mapped already")
    out = guard_output(output, inputs + ([args.calibration] if args.calibration else []), overwrite=args.overwrite)
    method = resolve_method(args.method)
    left, right, focal, baseline = open_views(inputs, args.calibration, args)
    focal = args.focal or focal
    baseline = args.baseline or baseline
    if args.depth and not (focal and baseline):
        raise FormatError("--depth needs the rig: pass --calibration, or --focal (px) and --baseline (m), or a pair "
                          "file that records them")
    t_len = min(len(left), len(right))
    if single:
        at = t_len - 1 if args.at is None else args.at
        start, stop, step = (at + t_len if at < 0 else at), None, 1
        stop = start + 1
    else:
        start, stop, step = args.start, args.stop, args.step
    if args.window is not None:
        params = {"window": args.window}
    else:
        params = {}
    if method == "sgbm" and args.recon:
        params["recon"] = args.recon
    unit = "m" if args.depth else "px"
    color = guard_output(args.color, inputs, overwrite=args.overwrite) if args.color else None
    attrs = {"method": args.method, "unit": unit, "max_disparity": args.max_disparity,
             "left": str(inputs[0]), "right": str(inputs[-1]), "focal": focal or 0.0, "baseline": baseline or 0.0,
             "convention": "left-view disparity: a left pixel x is at x - d in the right view"}
    t0 = time.perf_counter()
    maps = iter_disparity(left, right, step=step, start=start, stop=stop, method=method,
                          max_disparity=args.max_disparity, **params)
    frames = []
    if single:
        t, disp = next(maps)
        val = depth(disp, focal, baseline) if args.depth else disp
        (write_png16 if ext == ".png" else write_npy)(out, val)
        if color is not None:
            write_color_png(color, disp, args.max_disparity)
        frames.append(t)
    else:
        n = len(range(start, t_len if stop is None else min(stop, t_len), step))
        writer = (H5StackWriter(out, attrs=attrs, overwrite=args.overwrite) if ext in (".h5", ".hdf5")
                  else ColorVideoWriter(out, float(args.max_disparity), fps=args.video_fps, overwrite=args.overwrite))
        with writer, progress(n, f"stereo {method}", unit="map") as bar:
            for t, disp in maps:
                if isinstance(writer, ColorVideoWriter):
                    writer.write(disp)
                else:
                    writer.write(np.asarray(depth(disp, focal, baseline) if args.depth else disp), frame_index=t)
                frames.append(t)
                bar.update(1)
    elapsed = time.perf_counter() - t0
    h, w = left.shape[1:]
    what = "depth" if args.depth else "disparity"
    report(args, f"wrote {len(frames):,} {what} map(s) ({method}, {h}x{w}, max disparity {args.max_disparity}) to "
                 f"{out} in {elapsed:.1f} s",
           {"output": str(out), "maps": len(frames), "frames": frames[:1000], "method": method, "unit": unit,
            "height": h, "width": w, "max_disparity": args.max_disparity, "focal": focal, "baseline": baseline,
            "png_scale": 256 if ext == ".png" else None, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stereo", help="disparity or depth maps of a stereo pair",
                       description="Compute the left view's disparity (pixels; a left pixel x is at x - d in the right "
                       "view) or, with --depth, metric depth of a rectified spike-camera pair: two stream files, or "
                       "one pair file (spikevision.stereo.save_pair). OUT: .png = one map as a 16-bit PNG with value "
                       "= round(256 x) (0 = none, KITTI convention), .npy = one float32 map (both at frame --at, "
                       "default the last), .h5 = a stack every --step frames (dataset 'images', 'frame_index'), "
                       ".mp4 = the same stack colour-mapped (turbo over [0, max disparity]). Outputs are written "
                       "whole or not at all.")
    p.add_argument("paths", nargs="+", metavar="LEFT RIGHT OUT | PAIR OUT",
                   help="left and right spike files (or one pair file) and the output")
    p.add_argument("--calibration", help="OpenCV YAML/JSON calibration (K1 D1 K2 D2 R T image_size): rectify first")
    p.add_argument("--method", default="best", choices=["best", "spike", "sgbm"],
                   help="best (default: spike-timing matching), spike, or sgbm (OpenCV SGBM on reconstructions)")
    p.add_argument("--max-disparity", type=positive_int, default=64, help="largest disparity searched (default 64)")
    p.add_argument("--window", type=positive_int, help="spike: frames of spike history (default 256); "
                   "sgbm: reconstruction window")
    p.add_argument("--recon", choices=["best", "tfp", "tfi", "adaptive"],
                   help="sgbm: reconstruction the matcher sees (default best)")
    p.add_argument("--depth", action="store_true", help="write depth in metres (focal x baseline / disparity)")
    p.add_argument("--focal", type=positive_float, help="rectified focal length in pixels (for --depth)")
    p.add_argument("--baseline", type=positive_float, help="baseline in metres (for --depth)")
    r = p.add_argument_group("frames")
    r.add_argument("--at", type=integer, help=".png/.npy: frame of the map (default: the last; negative from the end)")
    r.add_argument("--start", type=integer, default=0, help=".h5/.mp4: first frame (default 0)")
    r.add_argument("--stop", type=integer, help=".h5/.mp4: no map at or after this frame")
    r.add_argument("--step", type=positive_int, default=20, help=".h5/.mp4: frames between maps (default 20)")
    o = p.add_argument_group("output")
    o.add_argument("--color", metavar="PNG", help=".png/.npy: also save a colour-mapped PNG of the disparity")
    o.add_argument("--video-fps", type=positive_float, default=30.0, help="playback rate of an .mp4 (default 30)")
    add_output_options(o)
    add_read_options(p)
    p.set_defaults(func=run)
