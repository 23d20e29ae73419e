"""``spikevision simulate OUT``: spikes from an image, a video or a named scene, to .dat or .h5."""

from __future__ import annotations

import argparse
import json
import time

from ..errors import FormatError
from ..io import detect_format, save_stream
from ..sim.engine import RESETS
from ..sim.modulo import MODULO_MODES
from ..sim.noise import NOISE_TERMS
from ..sim.photometry import CFA_PATTERNS
from ._common import (
    add_output_options,
    check_input_file,
    guard_output,
    nonneg_int,
    positive_float,
    positive_int,
    progress,
    report,
)

__all__ = ["register", "noise_from_arg", "parse_scene_params"]


def noise_from_arg(text: str | None):
    """``none`` -> None, ``full`` -> every term, ``shot,dark_current`` -> those terms only."""
    from ..sim import NoiseModel

    if text is None or text == "none":
        return None
    if text == "full":
        return NoiseModel()
    terms = [t.strip().replace("-", "_") for t in text.split(",") if t.strip()]
    bad = [t for t in terms if t not in NOISE_TERMS]
    if bad or not terms:
        raise FormatError(f"--noise {text!r}: unknown term(s) {', '.join(bad) or '(none)'}; use 'none', 'full' or "
                          f"a comma list of {', '.join(NOISE_TERMS)}")
    return NoiseModel.only(*terms)


def parse_scene_params(items: list[str] | None) -> dict:
    """``key=value`` pairs (values parsed as JSON when they can be: numbers, lists, true/false)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise FormatError(f"--scene-param {item!r}: write key=value, e.g. --scene-param density=120")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = json.loads(v)
        except json.JSONDecodeError:
            out[k.strip()] = v
    return out


def _source(args: argparse.Namespace):
    from ..sim.scenes import SCENES, make_scene

    given = [x for x in (args.scene, args.image, args.video) if x]
    if len(given) != 1:
        raise FormatError("give exactly one input: --scene NAME, --image PATH or --video PATH")
    if args.scene:
        if args.scene not in SCENES:
            raise FormatError(f"unknown scene {args.scene!r}; choose one of {', '.join(SCENES)}")
        params = {"height": args.height or 250, "width": args.width or 400,
                  "frames": 2000 if args.frames is None else args.frames,
                  "fps": args.fps, "seed": args.seed, **parse_scene_params(args.scene_param)}
        if args.cfa:
            if args.scene != "texture_motion":
                raise FormatError(f"--cfa needs a color scene; only texture_motion renders color "
                                  f"(got {args.scene}); drop --cfa or use --scene texture_motion")
            params["color"] = True
        try:
            scene = make_scene(args.scene, **params)
        except TypeError as exc:
            raise FormatError(f"--scene-param: {exc}; see `help(spikevision.sim.{SCENES[args.scene].__name__})`"
                              ) from None
        if args.view:
            if args.scene != "stereo":
                raise FormatError("--view applies to --scene stereo only")
            scene = scene.view(args.view)
        return scene
    if args.view or args.scene_param:
        raise FormatError("--view/--scene-param apply to --scene only")
    if (args.height is None) != (args.width is None):
        raise FormatError("give both --height and --width to resize an image or video")
    check_input_file(args.image or args.video)
    return args.image or args.video


def run(args: argparse.Namespace) -> int:
    from ..sim import Simulator
    from ..sim.modulo import save_modulo, simulate_modulo
    from ..sim.writer import write_blocks

    src = _source(args)
    if args.scene == "stereo" and not args.view:
        return _run_pair(args, src)
    # check every output before simulating, so a long run cannot end in a refusal to write
    fmt = args.format or detect_format(args.output, for_writing=True)
    if fmt not in ("dat", "h5"):
        raise FormatError(f"{args.output}: simulate writes .dat or .h5, not {fmt}; use one of those extensions "
                          f"(convert afterwards with `spikevision convert`)")
    inputs = [x for x in (args.image, args.video) if x]
    out = guard_output(args.output, inputs, overwrite=args.overwrite)
    mpath = guard_output(args.modulo, inputs, overwrite=args.overwrite) if args.modulo else None
    opts = dict(fps=args.fps, theta=args.theta, gain=args.gain, reset=args.reset, noise=noise_from_arg(args.noise),
                cfa=args.cfa, seed=args.seed, exposure=args.exposure, input_fps=args.input_fps,
                n_frames=None if args.scene else (args.frames or (2000 if args.image else None)))
    if not args.scene and args.height:
        opts["size"] = (args.height, args.width)
    t0 = time.perf_counter()
    if mpath is not None:
        mopts = dict(opts)
        if args.modulo_mode == "counter":  # --gain stays the spike pixel's; the counter has its own
            mopts.update(gain=args.modulo_gain, spike_gain=args.gain, max_rate=args.modulo_max_rate,
                         schedule=args.schedule if args.schedule is not None else args.modulo_every)
        elif args.schedule is not None:
            raise FormatError("--schedule applies to --modulo-mode counter (the default); drop it or use "
                              "--modulo-every")
        stream, rec = simulate_modulo(src, bits=args.modulo_bits, every=args.modulo_every, mode=args.modulo_mode,
                                      **mopts)
        same_dir = mpath.resolve().parent == out.resolve().parent
        stream.meta.provenance["modulo_file"] = mpath.name if same_dir else str(mpath.resolve())  # the hdr view
        with progress(len(stream), f"write {out.name}") as bar:
            save_stream(out, stream, fmt)
            bar.update(len(stream))
        save_modulo(mpath, rec)
        n, (h, w) = len(stream), stream.shape[1:]
    else:
        sim = Simulator(src, **opts)
        with progress(sim.n_frames, f"simulate {out.name}") as bar:
            write_blocks(sim, out, fmt, progress=bar.update, overwrite=True)
        n, h, w = sim.n_frames, sim.height, sim.width
    elapsed = time.perf_counter() - t0
    extra = f" and modulo readings to {mpath}" if mpath is not None else ""
    report(args, f"wrote {n:,} frames ({fmt}, {h}x{w}) to {out}{extra} in {elapsed:.1f} s",
           {"output": str(out), "format": fmt, "frames": n, "height": h, "width": w, "fps": args.fps,
            "modulo": None if mpath is None else str(mpath), "elapsed_s": elapsed})
    return 0


def _run_pair(args: argparse.Namespace, scene) -> int:
    """``--scene stereo`` without ``--view``: both cameras into one stereo pair file with the rig."""
    from ..sim import simulate
    from ..stereo import StereoCalibration, save_pair
    from ..stereo.pair import PAIR_SENSOR_SEED

    if not args.output.lower().endswith((".h5", ".hdf5")) or args.format == "dat" or args.modulo:
        raise FormatError(f"{args.output}: --scene stereo writes a stereo pair file (.h5) holding both cameras; "
                          f"use an .h5 name, or --view left/right for one camera's .dat")
    out = guard_output(args.output, overwrite=args.overwrite)
    opts = dict(fps=args.fps, theta=args.theta, gain=args.gain, reset=args.reset, noise=noise_from_arg(args.noise))
    t0 = time.perf_counter()
    with progress(2 * scene.n_frames, f"simulate {out.name}") as bar:
        left = simulate(scene.view("left"), seed=args.seed, **opts)
        bar.update(scene.n_frames)
        right = simulate(scene.view("right"), seed=args.seed + PAIR_SENSOR_SEED, **opts)
        bar.update(scene.n_frames)
    cal = StereoCalibration.ideal(scene.width, scene.height, scene.focal, scene.baseline)
    save_pair(out, left, right, calibration=cal, overwrite=True)
    elapsed = time.perf_counter() - t0
    n, h, w = left.shape
    report(args, f"wrote a stereo pair of {n:,} frames ({h}x{w}, focal {scene.focal:g} px, baseline "
                 f"{scene.baseline:g} m) to {out} in {elapsed:.1f} s",
           {"output": str(out), "format": "stereo_pair", "frames": n, "height": h, "width": w, "fps": args.fps,
            "focal": scene.focal, "baseline": scene.baseline, "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="simulate a spike camera (image, video or scene) to .dat/.h5",
                       description="Simulate an integrate-and-fire spike camera looking at an image, a video "
                       "(8-bit sRGB, linearised) or a named benchmark scene, with the calibrated noise model and "
                       "an optional Bayer filter. Written block by block; the file appears only when complete.")
    p.add_argument("output", help="output file (.dat or .h5; .h5 keeps fps, cfa and provenance; --scene stereo "
                   "without --view: a stereo pair .h5 with both cameras and the rig)")
    src = p.add_argument_group("input (one of)")
    src.add_argument("--scene", help="texture_motion, stereo, rain, hdr, moving_objects, or the calibration "
                     "recordings dark and flat (--scene-param level=0.5)")
    src.add_argument("--image", help="an image file (PNG/JPEG/TIFF; 8-bit is sRGB)")
    src.add_argument("--video", help="a video file OpenCV can read")
    src.add_argument("--scene-param", action="append", metavar="KEY=VALUE",
                     help="scene parameter, repeatable (e.g. density=120, velocity=[0.1,0])")
    src.add_argument("--view", choices=("left", "right"), help="stereo scene: which camera")
    g = p.add_argument_group("sensor")
    g.add_argument("--frames", type=positive_int,
                   help="spike frames (scenes: default 2000; image: 2000; video: its length)")
    g.add_argument("--height", type=positive_int, help="scene height (default 250); image/video: resize to this")
    g.add_argument("--width", type=positive_int, help="scene width (default 400); image/video: resize to this")
    g.add_argument("--fps", type=positive_float, default=20000.0, help="readout rate in Hz (default 20000)")
    g.add_argument("--input-fps", type=positive_float, help="video frame rate when the file does not say")
    g.add_argument("--theta", type=positive_float, default=2.0, help="threshold (default 2.0, radiance in [0,1])")
    g.add_argument("--gain", type=positive_float, default=1.0, help="charge per tick per unit radiance")
    g.add_argument("--exposure", type=positive_float, default=1.0, help="multiplier of linearised 8-bit input")
    g.add_argument("--reset", choices=RESETS, default="subtract")
    g.add_argument("--noise", default="none",
                   help="none (default), full, or a comma list of: " + ", ".join(NOISE_TERMS))
    g.add_argument("--cfa", choices=CFA_PATTERNS, help="Bayer color filter (color input)")
    g.add_argument("--seed", type=nonneg_int, default=0, help="seed of every random draw (default 0)")
    o = p.add_argument_group("output")
    o.add_argument("--format", choices=("dat", "h5"), help="output format (default: from the extension)")
    add_output_options(o)
    o.add_argument("--modulo", metavar="NPZ", help="also write B-bit modulo counter readings to this .npz "
                   "(in memory: for short streams); spikevision hdr unwraps them")
    o.add_argument("--modulo-bits", type=positive_int, default=8, help="counter bits B (default 8)")
    o.add_argument("--modulo-every", type=positive_int,
                   help="ticks between reads K (count/charge modes: default 20; counter mode: instead of --schedule)")
    o.add_argument("--modulo-mode", choices=MODULO_MODES, default="counter",
                   help="counter (the HDR counter, default), count or charge (the version 1 models)")
    o.add_argument("--schedule", metavar="OFFSETS/PERIOD",
                   help="counter reads: offsets within each period (default 0,1,5,25/50: nested windows of 1, 5 "
                   "and 25 ticks every 50 ticks)")
    o.add_argument("--modulo-gain", type=positive_float, default=32.0,
                   help="counter fires per tick per unit radiance times theta (default 32)")
    o.add_argument("--modulo-max-rate", type=positive_float, default=64.0,
                   help="counter clock: most fires per tick (default 64)")
    p.set_defaults(func=run)
