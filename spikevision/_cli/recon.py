"""``spikevision recon IN OUT``: reconstruct images from spikes into a PNG sequence, a video or an HDF5 stack."""

from __future__ import annotations

import argparse
import logging
import time

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

__all__ = ["register", "method_params", "rate_arg"]

log = logging.getLogger(__name__)


def method_params(args: argparse.Namespace) -> dict:
    """Keyword arguments of the chosen method from the CLI options that apply to it."""
    from ..recon.api import resolve_method

    name = resolve_method(args.method)
    params: dict = {}
    if name == "learned" and (args.convention is not None or args.window is not None):
        raise FormatError("--convention and --window do not apply to the learned method (a fixed 41-frame window); "
                          "drop them")
    if args.rate is not None and args.rate != "auto":
        params["rate"] = args.rate
    if args.convention is not None:
        if name == "adaptive" and args.convention != "spikevision":
            raise FormatError(f"--convention {args.convention} applies to tfp, tfi and tfstp; the best method "
                              f"follows spikevision's own convention only")
        params["convention"] = args.convention
    if args.window is not None:
        if name in ("tfp", "tfi"):
            params["window"] = args.window
        elif name == "adaptive":
            params["span"] = args.window // 2
        else:
            raise FormatError("--window does not apply to tfstp (its memory is set by its time constants)")
    return params


def rate_arg(text: str) -> float | str:
    """``--rate``: ``auto`` or a finite firing rate > 0 (spikes per frame shown as white)."""
    if text.strip().lower() == "auto":
        return "auto"
    return positive_float(text)


def _exposure(args: argparse.Namespace, kind: str) -> str:
    """How the images are scaled: "auto" (for people), "given" (--rate X) or "physical" (1 = a spike per frame)."""
    if args.rate == "auto":
        return "auto"
    if args.rate is not None:
        return "given"
    if args.convention == "spikecv":
        return "physical"  # spikecv's conventions fix their own scale
    return "physical" if kind == "h5" else "auto"


def run(args: argparse.Namespace) -> int:
    from ..io.video import image_kind, open_image_writer
    from ..recon import auto_rate, iter_reconstruct
    from ..recon.api import frame_range

    kind = image_kind(args.output)
    out_path = args.output[:-4] if kind == "png" and args.output.lower().endswith(".png") else args.output
    out = guard_output(out_path, [args.input], overwrite=args.overwrite, folder=kind == "png")
    check_input_file(args.input)
    stream = open_stream(args.input, format=args.format, **read_options(args))
    params = method_params(args)
    from .calibrate import load_calibration_arg

    cal = load_calibration_arg(getattr(args, "calibration", None), stream.height, stream.width)
    if cal is not None:
        params["calibration"] = cal
    t_len = len(stream)
    try:
        frames = frame_range(t_len, args.start, args.stop, args.step)
    except (IndexError, ValueError) as exc:
        raise FormatError(f"no images to reconstruct from the {t_len} frames in {args.input}: {exc}; check "
                          f"--start/--stop/--step against `spikevision info`") from exc
    if not len(frames):
        raise FormatError(f"no images to reconstruct from the {t_len} frames in {args.input}; check "
                          f"--start/--stop/--step against `spikevision info`")
    exposure = _exposure(args, kind)
    if exposure == "auto":
        params["rate"] = auto_rate(stream, frames.start, frames.stop)
    rate = float(params.get("rate", 1.0))
    attrs = {"method": args.method, "source": str(args.input), "spike_fps": stream.fps, "step": args.step,
             "rate": rate, "exposure": exposure,
             **{f"param_{k}": v for k, v in params.items() if k != "calibration"}}
    if cal is not None:
        attrs["calibration"] = str(args.calibration)
    t0 = time.perf_counter()
    with open_image_writer(out, fps=args.video_fps, bits=args.bits, overwrite=args.overwrite, **attrs) as writer:
        with progress(len(frames), f"recon {args.method}", unit="image") as bar:
            for t, img in iter_reconstruct(stream, args.method, step=args.step, start=args.start, stop=args.stop,
                                           color=not args.mosaic and "auto", demosaic_method=args.demosaic, **params):
                writer.write(img, frame_index=t)
                bar.update(1)
    elapsed = time.perf_counter() - t0
    h, w = (writer.shape or (stream.shape[1], stream.shape[2]))[:2]
    colour = bool(writer.shape and len(writer.shape) == 3)
    where = f"{out}/" if kind == "png" else str(out)
    scale = {"auto": f"auto exposure: white = {rate:.4g} spikes/frame", "given": f"white = {rate:g} spikes/frame",
             "physical": "white = 1 spike/frame"}[exposure] if args.convention != "spikecv" else "spikecv scale"
    report(args, f"wrote {writer.count:,} {'colour ' if colour else ''}images ({args.method}, {h}x{w}, {scale}) to "
                 f"{where} in {elapsed:.1f} s",
           {"output": str(out), "kind": kind, "images": writer.count, "method": args.method, "height": h, "width": w,
            "color": colour,
            "rate": rate, "exposure": exposure, "first_frame": frames.start, "step": args.step,
            "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recon", help="reconstruct images from spikes",
                       description="Reconstruct an image every STEP frames and write them as a PNG sequence (OUT is "
                       "a directory name), a video (OUT.mp4) or an HDF5 image stack (OUT.h5). Images are in [0, 1] "
                       "with 1.0 = RATE spikes per frame (PNG and video: chosen automatically unless --rate is given; "
                       ".h5 stacks keep "
                       "the physical scale and record it in the `rate` attribute). The output is written whole or not "
                       "at all; an existing output is replaced only with --overwrite (a folder: only the images "
                       "spikevision wrote there).")
    p.add_argument("input", help="spike file (.dat, .h5, .npz, .raw)")
    p.add_argument("output", help="directory (PNG sequence), .mp4/.avi (video) or .h5 (image stack)")
    p.add_argument("--method", default="best", choices=["best", "tfp", "tfi", "tfstp", "adaptive", "learned"],
                   help="reconstruction method (default best: spikevision's adaptive windows)")
    p.add_argument("--window", type=positive_int,
                   help="TFP/TFI window in frames (default 41); best: twice its search span")
    p.add_argument("--convention", choices=["spikevision", "spikezoo", "spikecv"],
                   help="reproduce a toolkit's convention (tfp, tfi, tfstp; default spikevision)")
    p.add_argument("--rate", type=rate_arg, metavar="R|auto",
                   help="firing rate (spikes per frame) shown as white; default for PNG and video: auto (the 99.5th "
                   "percentile of the firing rate over the frames shown); for .h5 stacks: 1 (physical scale)")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=integer, help="frame of the first image (default 0; negative: from the end)")
    r.add_argument("--stop", type=integer, help="no image at or after this frame (default: end)")
    r.add_argument("--step", type=positive_int, default=40, help="frames between images (default 40)")
    o = p.add_argument_group("output")
    o.add_argument("--mosaic", action="store_true",
                   help="colour (Bayer) streams: write the raw mosaic plane instead of demosaiced RGB")
    o.add_argument("--demosaic", default="bilinear", choices=["bilinear", "edge_aware", "vng"],
                   help="demosaicing of colour (Bayer) streams (default bilinear)")
    o.add_argument("--video-fps", type=positive_float, default=30.0,
                   help="playback rate of a video output (default 30)")
    o.add_argument("--bits", type=int, choices=[8, 16], default=8, help="bits per PNG pixel (default 8)")
    p.add_argument("--calibration", metavar="CAL.h5",
                   help="correct the images for the sensor's fixed pattern (from `spikevision calibrate`)")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
