"""``spikevision derain IN OUT``: rain-free images (PNG sequence, video, HDF5 stack) or a rain-free spike file."""

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

__all__ = ["register"]

log = logging.getLogger(__name__)


def _params(args: argparse.Namespace) -> dict:
    p = {}
    for name in ("block", "blocks", "k", "floor", "rel", "rate"):
        v = getattr(args, name)
        if v is not None:
            p[name] = v
    return p


def _images(args: argparse.Namespace, stream, params: dict) -> int:
    from ..derain import iter_derain
    from ..derain._blocks import check_params
    from ..io.video import image_kind, open_image_writer
    from ..recon.api import frame_range

    kind = image_kind(args.output)
    out_path = args.output[:-4] if kind == "png" and args.output.lower().endswith(".png") else args.output
    out = guard_output(out_path, [args.input], overwrite=args.overwrite, folder=kind == "png")
    name, full = check_params(args.method, params)
    t_len = len(stream)
    try:
        frames = frame_range(t_len, args.start, args.stop, args.step)
    except (IndexError, ValueError) as exc:
        raise FormatError(f"no images to derain from the {t_len} frames in {args.input}: {exc}; check "
                          f"--start/--stop/--step against `spikevision info`") from exc
    if t_len < full["block"]:
        raise FormatError(f"{args.input} holds {t_len} frames, fewer than one block of {full['block']}; pass --block "
                          f"{max(1, t_len // 4)} or a longer recording")
    attrs = {"method": name, "source": str(args.input), "spike_fps": stream.fps, "step": args.step,
             **{f"param_{k}": v for k, v in full.items()}}
    cal = None
    if args.calibration:
        from .calibrate import load_calibration_arg

        cal = load_calibration_arg(args.calibration, stream.height, stream.width)
        attrs["calibration"] = str(args.calibration)
    t0 = time.perf_counter()
    masks = 0.0
    with open_image_writer(out, fps=args.video_fps, bits=args.bits, overwrite=args.overwrite, **attrs) as writer:
        with progress(len(frames), f"derain {name}", unit="image") as bar:
            for t, img, mask in iter_derain(stream, step=args.step, start=args.start, stop=args.stop, method=name,
                                            color=not args.mosaic and "auto", with_mask=True, calibration=cal,
                                            **params):
                writer.write(img / args.white if args.white != 1.0 else img, frame_index=t)
                masks += float(mask.mean())
                bar.update(1)
    elapsed = time.perf_counter() - t0
    h, w = (writer.shape or stream.shape[1:])[:2]
    where = f"{out}/" if kind == "png" else str(out)
    rain = masks / max(writer.count, 1)
    report(args, f"wrote {writer.count:,} rain-free images ({name}, {h}x{w}, rain on {rain:.2%} of the pixels) to "
                 f"{where} in {elapsed:.1f} s",
           {"output": str(out), "kind": kind, "images": writer.count, "method": name, "height": h, "width": w,
            "first_frame": frames.start, "step": args.step, "rain_fraction": rain, "elapsed_s": elapsed,
            "params": full})
    return 0


def _spikes(args: argparse.Namespace, stream, params: dict) -> int:
    from ..derain import remove_rain
    from ..io import save_stream
    from .convert import _Progressed

    out = guard_output(args.output, [args.input], overwrite=args.overwrite)
    if args.start is not None or args.stop is not None:
        stream = stream[args.start:args.stop]
    clean = remove_rain(stream, method=args.method if args.method != "best" else "temporal", **params)
    t0 = time.perf_counter()
    with progress(len(clean), "remove rain") as bar:
        save_stream(out, _Progressed(clean, bar))
    elapsed = time.perf_counter() - t0
    t, h, w = clean.shape
    report(args, f"wrote {t:,} rain-free frames ({h}x{w}) to {out} in {elapsed:.1f} s",
           {"output": str(out), "frames": t, "height": h, "width": w, "method": clean.meta.provenance["derain"],
            "elapsed_s": elapsed})
    return 0


def run(args: argparse.Namespace) -> int:
    check_input_file(args.input)
    stream = open_stream(args.input, format=args.format, **read_options(args))
    params = _params(args)
    from ..derain._blocks import check_params

    try:
        check_params(args.method, params)
    except ValueError as exc:
        raise FormatError(f"{exc} (command-line options --block, --blocks, --k, --floor, --rel, --rate)") from exc
    if args.spikes:
        if args.calibration:
            raise FormatError("--calibration corrects rain-free images; a rain-free spike file (--spikes) keeps the "
                              "sensor's own spikes: drop --calibration, or run `spikevision denoise` on the output")
        return _spikes(args, stream, params)
    return _images(args, stream, params)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("derain", help="remove rain: rain-free images or a rain-free spike file",
                       description="Remove rain from a spike recording. Writes a rain-free image every STEP frames "
                       "as a PNG sequence (OUT is a directory name), a video (OUT.mp4) or an HDF5 stack (OUT.h5), "
                       "in colour for Bayer streams; or, with --spikes, a spike file (OUT.dat / OUT.h5) with the "
                       "rain spikes replaced, for every other command to read. Images are on the physical scale "
                       "(1.0 = one spike per frame; --white R maps R spikes per frame to white). The output is "
                       "written whole or not at all; an existing output is replaced only with --overwrite.")
    p.add_argument("input", help="spike file (.dat, .h5, .npz, .raw)")
    p.add_argument("output", help="directory (PNG sequence), .mp4/.avi (video), .h5 (image stack); with --spikes a "
                   "spike file (.dat, .h5)")
    p.add_argument("--method", default="best", choices=["best", "temporal", "motion", "rpca"],
                   help="best (default: motion-compensated), temporal (static camera), motion, or rpca")
    p.add_argument("--spikes", action="store_true", help="write a rain-free spike file instead of images "
                   "(method temporal unless given)")
    m = p.add_argument_group("method options")
    m.add_argument("--block", type=positive_int, help="frames per block (temporal/rpca 40, motion 20)")
    m.add_argument("--blocks", type=positive_int, help="blocks per window (temporal/rpca 8, motion 64)")
    m.add_argument("--k", type=positive_float, help="trimming tolerance in robust sigmas (default 2)")
    m.add_argument("--floor", type=positive_float, help="smallest trimming tolerance in spikes (default 1.5)")
    m.add_argument("--rel", type=float, help="tolerance added per spike of the median count (default 0.05)")
    m.add_argument("--rate", type=positive_float, help="firing rate (spikes per frame) of intensity 1.0 (default 1)")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=integer, help="frame of the first image (default 0; negative: from the end)")
    r.add_argument("--stop", type=integer, help="no image at or after this frame (default: end)")
    r.add_argument("--step", type=positive_int, default=40, help="frames between images (default 40)")
    p.add_argument("--calibration", metavar="CAL.h5",
                   help="correct every block for the sensor's fixed pattern (from `spikevision calibrate`)")
    o = p.add_argument_group("output")
    o.add_argument("--white", type=positive_float, default=1.0,
                   help="intensity shown as white in PNG/video (default 1.0; e.g. 0.5 for a dim scene)")
    o.add_argument("--mosaic", action="store_true", help="colour (Bayer) streams: write the raw mosaic plane")
    o.add_argument("--video-fps", type=positive_float, default=30.0, help="playback rate of a video (default 30)")
    o.add_argument("--bits", type=int, choices=[8, 16], default=8, help="bits per PNG pixel (default 8)")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
