"""``spikevision hdr IN OUT``: unwrap modulo counter readings into tone-mapped images and linear HDR."""

from __future__ import annotations

import argparse
import time

import numpy as np

from ..errors import FormatError
from ._common import add_output_options, check_input_file, guard_output, positive_float, positive_int, progress, report

__all__ = ["register", "windows"]


def windows(ticks: np.ndarray, span: int | None) -> list[tuple[int, int]]:
    """Read-index windows (j, k) of about ``span`` ticks each (one window over everything when None)."""
    if span is None or len(ticks) < 2:
        return [(0, len(ticks) - 1)] if len(ticks) > 1 else []
    edges = np.searchsorted(ticks, ticks[0] + np.arange(0, ticks[-1] - ticks[0] + span, span), side="left")
    edges = np.unique(np.minimum(edges, len(ticks) - 1))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=False) if b > a]


def run(args: argparse.Namespace) -> int:
    from ..hdr import save_hdr, tonemap, unwrap
    from ..io.video import image_kind, open_image_writer
    from ..metrics import fold_error_rate
    from ..sim.modulo import load_modulo

    check_input_file(args.input)
    kind = image_kind(args.output)
    out_path = args.output[:-4] if kind == "png" and args.output.lower().endswith(".png") else args.output
    out = guard_output(out_path, [args.input], overwrite=args.overwrite, folder=kind == "png")
    lin = guard_output(args.linear, [args.input], overwrite=args.overwrite) if args.linear else None
    if lin is not None and lin.resolve() == out.resolve():
        raise FormatError("OUT and --linear name the same file; give them different names")
    rec = load_modulo(args.input)
    if rec.mode == "charge":
        raise FormatError(f"{args.input}: a charge-mode record holds residual charge, not counter readings; "
                          f"simulate with --modulo-mode counter")
    t0 = time.perf_counter()
    res = unwrap(rec, method=args.method, **({"window": args.window} if args.window else {}))
    span = args.span or (int(rec.schedule.split("/")[1]) if rec.schedule and "/" in rec.schedule else None)
    wins = windows(rec.ticks, span)
    if not wins:
        raise FormatError(f"{args.input}: {len(rec.ticks)} read(s): an HDR image needs at least two reads")
    hdrs = []
    attrs = {"method": res.method, "tonemap": args.tonemap, "source": str(args.input)}
    with open_image_writer(out, fps=args.video_fps, overwrite=args.overwrite, **attrs) as writer:
        with progress(len(wins), f"hdr {res.method}", unit="image") as bar:
            for j, k in wins:
                hdr = res.radiance(j, k)
                hdrs.append(hdr)
                shown = hdr if hdr.ndim == 2 else hdr @ np.array([0.2126, 0.7152, 0.0722], np.float32)
                writer.write(tonemap(shown, method=args.tonemap, mu=args.mu), frame_index=int(rec.ticks[k]))
                bar.update(1)
    if lin is not None:
        stack = np.stack(hdrs)
        if lin.suffix.lower() not in (".h5", ".hdf5"):
            stack = stack.mean(axis=0)  # one image for TIFF/EXR: the mean over the record's windows
        save_hdr(lin, stack, overwrite=args.overwrite, attrs={"method": res.method})
    elapsed = time.perf_counter() - t0
    fer = fold_error_rate(res.counts, rec.true_counts()) if rec.counts is not None else None
    extra = f"; fold-error rate {fer:.4%} (ground truth in the record)" if fer is not None else ""
    flagged = float(res.fold_flags.mean())
    report(args, f"wrote {len(wins)} HDR image(s) ({res.method}, tone map {args.tonemap}) to {out}"
           f"{' and linear HDR to ' + str(lin) if lin else ''} in {elapsed:.1f} s; {flagged:.2%} pixels flagged{extra}",
           {"output": str(out), "linear": None if lin is None else str(lin), "images": len(wins),
            "method": res.method, "tonemap": args.tonemap, "flagged_fraction": flagged, "fold_error_rate": fer,
            "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hdr", help="unwrap modulo counter readings into HDR images",
                       description="Unwrap the readings of a modulo counter record (.npz from `spikevision "
                       "simulate --modulo`) and write tone-mapped images (PNG sequence directory, .mp4 or .h5) "
                       "and, with --linear, the linear HDR radiance (.tif/.exr: one image; .h5: the stack). One "
                       "image per schedule period (or --span ticks). Colour records are demosaiced; the tone-mapped "
                       "images show their luminance, the linear output keeps RGB. Outputs are written whole or not "
                       "at all.")
    p.add_argument("input", help="modulo record (.npz)")
    p.add_argument("output", help="directory (PNG sequence), .mp4/.avi (video) or .h5 (tone-mapped stack)")
    p.add_argument("--method", default="best", choices=["best", "hierarchical", "temporal", "spatial"],
                   help="unwrapping method (default best)")
    p.add_argument("--tonemap", default="mu", choices=["mu", "reinhard", "drago"], help="tone map (default mu)")
    p.add_argument("--mu", type=positive_float, default=5000.0, help="mu-law compression (default 5000)")
    p.add_argument("--span", type=positive_int, help="ticks per image (default: the schedule period, else all)")
    p.add_argument("--window", type=positive_int, help="prediction window in ticks (default: the schedule period)")
    p.add_argument("--linear", metavar="FILE", help="also write linear HDR radiance (.tif, .exr, .h5)")
    p.add_argument("--video-fps", type=positive_float, default=30.0, help="playback rate of a video (default 30)")
    add_output_options(p)
    p.set_defaults(func=run)
