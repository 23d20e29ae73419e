"""``spikevision recon IN OUT``: reconstruct images from spikes into a PNG sequence, a video or an HDF5 stack."""

from __future__ import annotations

import argparse
import logging

from ..errors import FormatError
from ..io import open_stream
from ._common import add_read_options, progress, read_options

__all__ = ["register", "method_params"]

log = logging.getLogger(__name__)


def method_params(args: argparse.Namespace) -> dict:
    """Keyword arguments of the chosen method from the CLI options that apply to it."""
    from ..recon.api import resolve_method

    name = resolve_method(args.method)
    params: dict = {}
    if args.rate is not None:
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


def run(args: argparse.Namespace) -> int:
    from ..io.video import open_image_writer
    from ..recon import iter_reconstruct
    from ..recon.api import frame_range

    stream = open_stream(args.input, format=args.format, **read_options(args))
    params = method_params(args)
    t_len = len(stream)
    try:
        n_images = len(frame_range(t_len, args.start, args.stop, args.step))
    except (IndexError, ValueError) as exc:
        raise FormatError(f"no images to reconstruct from the {t_len} frames in {args.input}: {exc}; check "
                          f"--start/--stop/--step against `spikevision info`") from exc
    attrs = {"method": args.method, "source": str(args.input), "spike_fps": stream.fps, "step": args.step,
             **{f"param_{k}": v for k, v in params.items()}}
    with open_image_writer(args.output, fps=args.video_fps, bits=args.bits, **attrs) as writer:
        with progress(n_images, f"recon {args.method}", unit="image") as bar:
            for t, img in iter_reconstruct(stream, args.method, step=args.step, start=args.start, stop=args.stop,
                                           **params):
                writer.write(img, frame_index=t)
                bar.update(1)
    log.info("wrote %d images to %s", writer.count, args.output)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("recon", help="reconstruct images from spikes",
                       description="Reconstruct an image every STEP frames and write them as a PNG sequence (OUT is "
                       "a directory name), a video (OUT.mp4) or an HDF5 image stack (OUT.h5). Images are in [0, 1] "
                       "with 1.0 = RATE spikes per frame. The output is written whole or not at all.")
    p.add_argument("input", help="spike file (.dat, .h5, .npz, .raw)")
    p.add_argument("output", help="directory (PNG sequence), .mp4/.avi (video) or .h5 (image stack)")
    p.add_argument("--method", default="best", choices=["best", "tfp", "tfi", "tfstp", "adaptive"],
                   help="reconstruction method (default best: spikevision's adaptive windows)")
    p.add_argument("--window", type=int, help="TFP/TFI window in frames (default 41); best: twice its search span")
    p.add_argument("--convention", choices=["spikevision", "spikezoo", "spikecv"],
                   help="reproduce a toolkit's convention (tfp, tfi, tfstp; default spikevision)")
    p.add_argument("--rate", type=float, help="firing rate (spikes per frame) shown as white (default 1.0)")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=int, help="frame of the first image (default 0)")
    r.add_argument("--stop", type=int, help="no image at or after this frame (default: end)")
    r.add_argument("--step", type=int, default=40, help="frames between images (default 40)")
    o = p.add_argument_group("output")
    o.add_argument("--video-fps", type=float, default=30.0, help="playback rate of a video output (default 30)")
    o.add_argument("--bits", type=int, choices=[8, 16], default=8, help="bits per PNG pixel (default 8)")
    add_read_options(p)
    p.set_defaults(func=run)
