"""``spikevision info FILE``: what a spike file holds, and its firing statistics in one streaming pass."""

from __future__ import annotations

import argparse
import json
import time
import warnings
from typing import Any

import numpy as np

from ..io import open_stream
from ..stream import SpikeStream
from ._common import add_read_options, check_input_file, progress, read_options

__all__ = ["register", "describe"]


def describe(stream: SpikeStream, stats: bool = True, block: int = 4096, show_progress: bool | None = None
             ) -> dict[str, Any]:
    """Facts about a stream; with ``stats``, firing-rate statistics from one pass over the packed bits."""
    prov = dict(stream.meta.provenance)
    t, h, w = stream.shape
    facts: dict[str, Any] = {
        "path": prov.pop("path", None), "format": prov.pop("format", "memory"), "frames": t, "height": h,
        "width": w, "fps": stream.fps, "t0": stream.t0, "duration_s": stream.duration,
        "sensor": stream.meta.sensor, "cfa": stream.meta.cfa, "flip": stream.meta.flip, "details": prov,
    }
    if stats and t:
        from ._common import compile_seconds

        warm = stream[: min(t, 64)]  # compile (or load) the kernels on a few frames: speeds never count it
        warm.spike_counts(block)
        c0 = compile_seconds()
        start = time.perf_counter()
        with progress(t, "firing rate", disable=None if show_progress is None else not show_progress) as bar:
            counts = stream.spike_counts(block, progress=bar.update)
        elapsed = max(time.perf_counter() - start - (compile_seconds() - c0), 1e-9)
        rate = counts / t
        facts.update({
            "mean_firing_rate": float(rate.mean()),
            "firing_rate_percentiles": {str(q): float(v) for q, v in
                                        zip((1, 50, 99), np.percentile(rate, (1, 50, 99)))},
            "silent_pixels": int((rate == 0).sum()),
            "saturated_pixels": int((rate == 1).sum()),
            "stats_throughput_frames_per_s": t / elapsed,
        })
    return facts


def _text(facts: dict[str, Any], warns: list[str]) -> str:
    lines = [f"file          {facts['path'] or '(memory)'}",
             f"format        {facts['format']}",
             f"frames        {facts['frames']:,} x {facts['height']} x {facts['width']}",
             f"fps           {facts['fps']:g} Hz",
             f"duration      {facts['duration_s']:.6g} s",
             f"sensor        {facts['sensor'] or 'unknown'}" + (f"  cfa {facts['cfa']}" if facts["cfa"] else "")]
    if facts["format"] == "dat":  # only .dat stores rows in a camera's order; other formats store display rows
        lines.append(f"row order     {'bottom-up (flipped on read)' if facts['flip'] else 'top-down (as stored)'}")
    d = facts["details"]
    if d.get("head_columns"):
        lines.append(f"head columns  {d['head_columns']} (stored width {d.get('stored_width')}, dropped)")
    if d.get("frame_header_bytes"):
        lines.append(f"frame header  {d['frame_header_bytes']} bytes per frame (skipped)")
    if d.get("size_inferred"):
        lines.append("size          inferred from the file size")
    for k, v in d.items():
        if k not in ("head_columns", "frame_header_bytes", "size_inferred", "stored_width", "trailing_bytes"):
            text = str(v)
            lines.append(f"{k:<13} {text if len(text) <= 100 else text[:97] + '...'}")
    if "mean_firing_rate" in facts:
        p = facts["firing_rate_percentiles"]
        lines += [f"firing rate   mean {facts['mean_firing_rate']:.4f} spikes/frame "
                  f"(p1 {p['1']:.4f}, median {p['50']:.4f}, p99 {p['99']:.4f})",
                  f"pixels        {facts['silent_pixels']:,} silent, {facts['saturated_pixels']:,} saturated",
                  f"scan speed    {facts['stats_throughput_frames_per_s']:,.0f} frames/s"]
    lines += [f"warning       {w}" for w in warns]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_input_file(args.file)
        stream = open_stream(args.file, format=args.format, **read_options(args))
        facts = describe(stream, stats=not args.no_stats)
    warns = [str(w.message) for w in caught]
    if args.json:
        facts["warnings"] = warns
        print(json.dumps(facts, indent=2, default=str))
    else:
        print(_text(facts, warns))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a spike file", description="Describe a spike file: format, shape, "
                       "rate, duration, layout details, and firing-rate statistics (one streaming pass).")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--no-stats", action="store_true", help="header facts only (instant)")
    add_read_options(p)
    p.set_defaults(func=run)
