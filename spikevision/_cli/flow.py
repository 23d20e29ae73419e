"""``spikevision flow IN OUT --dt N``: optical flow from spikes into .flo files, an HDF5 stack or a colour video."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, OutputError
from ..io import open_stream
from ..io._atomic import PendingDir, PendingFile
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

__all__ = ["register", "output_kind"]

log = logging.getLogger(__name__)

_VIDEO = (".mp4", ".avi", ".mov", ".mkv")


def output_kind(path: str) -> str:
    """"flo" (one field), "h5" (a stack), "video" (colour wheel) or "folder" (one .flo per field)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".flo":
        return "flo"
    if suffix in (".h5", ".hdf5"):
        return "h5"
    if suffix in _VIDEO:
        return "video"
    if suffix == "" or Path(path).is_dir():
        return "folder"
    raise OutputError(f"{path}: cannot tell the output kind from {suffix!r}; use OUT.flo (one field), a folder name "
                      f"(one .flo per field), OUT.h5 (a stack) or OUT.mp4 (colour-wheel video)")


class _FloFile:
    def __init__(self, path: Path, overwrite: bool, **_: Any):
        self.path, self.overwrite, self.count = path, overwrite, 0

    def write(self, t: int, f: np.ndarray) -> None:
        from ..io.flo import write_flo

        write_flo(self.path, f)
        self.count += 1

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class _FloFolder:
    def __init__(self, path: Path, overwrite: bool, **_: Any):
        self.pending, self.count = PendingDir(path, overwrite), 0

    def write(self, t: int, f: np.ndarray) -> None:
        from ..io.flo import write_flo

        write_flo(self.pending.tmp / f"{t:06d}.flo", f)
        self.count += 1

    def close(self) -> None:
        self.pending.commit()

    def abort(self) -> None:
        self.pending.discard()


class _H5Stack:
    """``flow`` (N, H, W, 2) float32 and ``frame_index`` (N,) int64, attributes ``dt``, ``method``, ``source``."""

    def __init__(self, path: Path, overwrite: bool, attrs: dict | None = None, **_: Any):
        import h5py

        self.pending, self.count = PendingFile(path, overwrite), 0
        self.file = h5py.File(self.pending.tmp, "w")
        for k, v in (attrs or {}).items():
            self.file.attrs[k] = v
        self.flow = self.index = None

    def write(self, t: int, f: np.ndarray) -> None:
        if self.flow is None:
            h, w = f.shape[:2]
            self.flow = self.file.create_dataset("flow", (0, h, w, 2), np.float32, maxshape=(None, h, w, 2),
                                                 chunks=(1, h, w, 2))
            self.index = self.file.create_dataset("frame_index", (0,), np.int64, maxshape=(None,))
            self.flow.attrs["meaning"] = "flow (dx, dy) in pixels from frame_index to frame_index + dt"
        n = self.count + 1
        self.flow.resize(n, axis=0)
        self.index.resize(n, axis=0)
        self.flow[n - 1] = f
        self.index[n - 1] = t
        self.count = n

    def close(self) -> None:
        self.file.close()
        self.pending.commit()

    def abort(self) -> None:
        self.file.close()
        self.pending.discard()


class _ColorVideo:
    """The Middlebury colour rendering of every field, one video frame each (one colour scale for all)."""

    def __init__(self, path: Path, overwrite: bool, fps: float = 30.0, max_magnitude: float | None = None, **_: Any):
        self.pending = PendingFile(path, overwrite, suffix=f".part{path.suffix}")
        self.path, self.fps, self.max_magnitude, self.count, self.vw = path, fps, max_magnitude, 0, None
        self.first: list[np.ndarray] = []   # fields held until the colour scale is set (the first few)

    def write(self, t: int, f: np.ndarray) -> None:
        if self.max_magnitude is None:
            self.first.append(f)
            if len(self.first) < 8:
                return
            self._set_scale()
        self._frame(f)

    def _set_scale(self) -> None:
        mags = [np.percentile(np.hypot(f[..., 0], f[..., 1]), 99) for f in self.first] or [1.0]
        self.max_magnitude = max(float(max(mags)), 1e-3)
        for f in self.first:
            self._frame(f)
        self.first = []

    def _frame(self, f: np.ndarray) -> None:
        import cv2

        from ..flow import to_color

        rgb = to_color(f, max_magnitude=self.max_magnitude)
        if self.vw is None:
            h, w = rgb.shape[:2]
            self.vw = cv2.VideoWriter(str(self.pending.tmp), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, (w, h))
            if not self.vw.isOpened():
                raise OutputError(f"OpenCV cannot encode {self.path.suffix} here; write .flo files or an .h5 stack")
        self.vw.write(np.ascontiguousarray(rgb[..., ::-1]))
        self.count += 1

    def close(self) -> None:
        if self.first:
            self._set_scale()
        if self.vw is not None:
            self.vw.release()
        self.pending.commit()

    def abort(self) -> None:
        if self.vw is not None:
            self.vw.release()
        self.pending.discard()


def _params(args: argparse.Namespace) -> dict:
    from ..flow.api import resolve_method

    name = resolve_method(args.method)
    params: dict = {}
    if args.window is not None:
        params["window"] = args.window
    if args.preset is not None:
        if name == "farneback":
            raise FormatError("--preset applies to dis and spike (OpenCV DIS presets); farneback has none")
        params["preset"] = args.preset
    if args.span is not None:
        if name != "spike":
            raise FormatError("--span applies to the spike method (and best) only")
        params["span"] = args.span
    return params


def run(args: argparse.Namespace) -> int:
    from ..flow import FlowInputError, iter_estimate
    from ..flow.api import _frames

    kind = output_kind(args.output)
    out = guard_output(args.output, [args.input], overwrite=args.overwrite, folder=kind == "folder")
    check_input_file(args.input)
    stream = open_stream(args.input, format=args.format, **read_options(args))
    params = _params(args)
    try:
        frames = _frames(len(stream), args.dt, args.step, args.start, args.stop)
        if kind == "flo" and len(frames) > 1:
            stop = f"--stop {frames.start + 1}"
            raise FormatError(f"a .flo file holds one field but --start/--stop/--step select {len(frames)}; pass "
                              f"{stop} for one field, or write a folder, an .h5 stack or an .mp4")
        iter_estimate(stream, args.dt, method=args.method, **params)   # validates the options before writing
    except FlowInputError as exc:
        raise FormatError(f"{args.input} ({len(stream)} frames): {exc}") from exc
    attrs = {"dt": args.dt, "method": args.method, "source": str(args.input), "spike_fps": stream.fps,
             "step": args.step, **{f"param_{k}": v for k, v in params.items()}}
    writer_cls = {"flo": _FloFile, "folder": _FloFolder, "h5": _H5Stack, "video": _ColorVideo}[kind]
    writer = writer_cls(out, args.overwrite, attrs=attrs, fps=args.video_fps, max_magnitude=args.max_magnitude)
    t0 = time.perf_counter()
    mean = []
    try:
        with progress(len(frames), f"flow {args.method}", unit="field") as bar:
            for t, f in iter_estimate(stream, args.dt, step=args.step, start=frames.start, stop=frames.stop,
                                      method=args.method, **params):
                writer.write(t, f)
                mean.append(float(np.hypot(f[..., 0], f[..., 1]).mean()))
                bar.update(1)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    elapsed = time.perf_counter() - t0
    _, h, w = stream.shape
    report(args, f"wrote {len(frames):,} flow fields ({args.method}, dt={args.dt}, {h}x{w}, mean |flow| "
                 f"{np.mean(mean):.3f} px) to {out}{'/' if kind == 'folder' else ''} in {elapsed:.1f} s",
           {"output": str(out), "kind": kind, "fields": len(frames), "method": args.method, "dt": args.dt,
            "height": h, "width": w, "first_frame": frames.start, "step": args.step,
            "mean_magnitude_px": float(np.mean(mean)), "elapsed_s": elapsed})
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("flow", help="optical flow from spikes",
                       description="Estimate the optical flow from frame t to frame t + DT for t = START, START + "
                       "STEP, ... and write it as one .flo file (a single field), a folder of <t>.flo files, an "
                       "HDF5 stack OUT.h5 (`flow` (N, H, W, 2) in pixels, `frame_index` (N,)) or a colour-wheel "
                       "video OUT.mp4 (Middlebury colours, one scale for the whole video). The output is written "
                       "whole or not at all; an existing output is replaced only with --overwrite.")
    p.add_argument("input", help="spike file (.dat, .h5, .npz, .raw)")
    p.add_argument("output", help="OUT.flo, a folder, OUT.h5 or OUT.mp4")
    p.add_argument("--dt", type=positive_int, required=True, help="frames between the two instants of a field")
    p.add_argument("--method", default="best", choices=["best", "spike", "dis", "farneback"],
                   help="flow method (default best: spikevision's multi-frame spike fit)")
    p.add_argument("--window", type=positive_int, help="TFP window of the images matched (default 41)")
    p.add_argument("--preset", choices=["ultrafast", "fast", "medium"], help="OpenCV DIS preset (default medium)")
    p.add_argument("--span", type=positive_int, help="spike method: longest half-baseline in frames (default 80)")
    r = p.add_argument_group("range")
    r.add_argument("--start", type=integer, default=0, help="first frame of the first field (default 0)")
    r.add_argument("--stop", type=integer, help="no field starts at or after this frame (default: the last that fits)")
    r.add_argument("--step", type=positive_int, default=80, help="frames between fields (default 80)")
    o = p.add_argument_group("output")
    o.add_argument("--video-fps", type=positive_float, default=30.0, help="playback rate of a video (default 30)")
    o.add_argument("--max-magnitude", type=positive_float,
                   help="video: flow magnitude (px) drawn fully saturated (default: from the first fields)")
    add_output_options(p)
    add_read_options(p)
    p.set_defaults(func=run)
