"""``spikevision salvage IN OUT``: copy every readable frame of a damaged spike file into a new file.

The frames are checked exactly as ``spikevision verify`` checks them; the intact ones are
written to OUT (any writable format, atomically: OUT appears only when complete) in their
order, and the frame ranges left out are reported (and recorded in OUT's provenance when
the format keeps it, ``.h5``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, OutputError
from ..io import detect_format, save_stream
from ..stream import SpikeStream
from ._common import add_read_options, read_options
from .verify import _json, open_for_check, readable_ranges

__all__ = ["register", "salvage"]


class _Kept:
    """A frame source over the readable ranges of another source, back to back."""

    def __init__(self, source: Any, ranges: list[tuple[int, int]]):
        self.source = source
        self.ranges = ranges
        self.height, self.width = source.height, source.width
        self.starts = np.cumsum([0] + [b - a for a, b in ranges])
        self.n_frames = int(self.starts[-1])

    def _pieces(self, start: int, stop: int):
        for (a, b), s0 in zip(self.ranges, self.starts[:-1]):
            lo, hi = max(start, int(s0)), min(stop, int(s0) + b - a)
            if lo < hi:
                yield a + lo - int(s0), a + hi - int(s0)

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        parts = [self.source.read_packed(a, b) for a, b in self._pieces(start, stop)]
        if not parts:
            return np.empty((0, (self.height * self.width + 7) // 8), np.uint8)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        from .._bits import unpack_frames

        return unpack_frames(self.read_packed(start, stop), self.height, self.width, out=out)


def salvage(src: str | os.PathLike, dst: str | os.PathLike, format: str | None = None, trusted: bool = False,
            **options: Any) -> dict[str, Any]:
    """Copy every readable frame of ``src`` into ``dst`` (atomically); return what was kept and lost."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and os.path.samefile(src, dst):
        raise OutputError(f"{dst} is the input file itself; salvage writes a new file: choose another OUT")
    fmt = format or detect_format(src)
    if fmt == "h5":
        from ..io import h5

        found = h5.scan(src, trusted=trusted)
        lay = found["layout"]
        stream = SpikeStream(h5.salvage_source(src, found), lay.meta)
        ranges = found["ranges"]
        recorded = lay.recorded
    else:
        stream, _ = open_for_check(src, fmt, options)
        ranges = readable_ranges(stream)
        recorded = len(stream)
    kept = [(a, b) for a, b, why in ranges if not why]
    lost = [{"first": a, "stop": b, "why": why} for a, b, why in ranges if why]
    n = sum(b - a for a, b in kept)
    if n == 0:
        raise FormatError(f"{src}: no readable frame to salvage ({len(lost)} damaged range(s)); copy the file "
                          f"again from its source")
    if stream.source_frames.step != 1 or stream.source_frames.start != 0:
        stream = stream[:]  # pragma: no cover - readers return whole streams
    prov = dict(stream.meta.provenance)
    prov["salvaged"] = {"from": str(src), "kept": kept, "lost": [(d["first"], d["stop"], d["why"]) for d in lost]}
    out = SpikeStream(_Kept(stream.source, kept), stream.meta).with_meta(provenance=prov)
    save_stream(dst, out)
    return {"input": str(src), "output": str(dst), "frames": recorded, "copied": n, "kept": kept, "lost": lost}


def _text(rep: dict[str, Any]) -> str:
    lines = [f"{rep['output']}: {rep['copied']} of {rep['frames']} frames of {rep['input']} copied"]
    for d in rep["lost"]:
        lines.append(f"  frames {d['first']}..{d['stop'] - 1} lost: {d['why']}")
    if rep["lost"] and len(rep["kept"]) > 1:
        lines.append("  the kept ranges follow each other in the output: "
                     + ", ".join(f"{a}..{b - 1}" for a, b in rep["kept"]))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    opts = read_options(args)
    opts.pop("strict", None)
    if Path(args.output).exists() and not args.overwrite:
        if os.path.samefile(args.input, args.output):
            raise OutputError(f"{args.output} is the input file itself; salvage writes a new file: choose another "
                              f"OUT")
        raise OutputError(f"{args.output} already exists; pass --overwrite to replace it")
    rep = salvage(args.input, args.output, format=args.format, trusted=args.trusted, **opts)
    print(json.dumps(rep, indent=2, default=_json) if args.json else _text(rep))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("salvage", help="copy every readable frame of a damaged file into a new file",
                       description="Copy every readable frame of a damaged spike file into a new file (written "
                       "atomically) and report the frame ranges lost. The frames are checked as 'spikevision "
                       "verify' checks them.")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--trusted", action="store_true",
                   help="h5: follow external links, external storage and virtual datasets")
    add_read_options(p)
    p.set_defaults(func=run)
