"""``spikevision verify FILE...``: check spike files end to end; list every damaged frame range and what is recoverable.

* ``.h5``: in a child process with a timeout (libhdf5 may hang or crash on damaged
  metadata): the structure, the commit state, the sizes, the chunk index, every chunk
  read and its Fletcher-32 checksum verified, the tail slots of a killed recording
  verified by their CRC32;
* ``.dat``: the size against the frame layout, and the ``.dat.json`` sidecar when there is one;
* ``.npz``: the zip CRC32 and size of every member, then every frame;
* ``.raw``: the framing (line tags, dropped and torn frames), then every frame.

Exit status 0 when every file is clean, 1 when any is damaged or unreadable.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, SpikevisionError
from ..io import FORMATS, detect_format, open_stream
from ..stream import SpikeStream
from ._common import add_read_options, read_options

__all__ = ["register", "check", "readable_ranges"]

BLOCK = 1024


def readable_ranges(stream: SpikeStream, block: int = BLOCK) -> list[tuple[int, int, str]]:
    """Split ``stream`` into ``(first, stop, why)`` ranges by reading every frame (``why`` empty when readable).

    A block that fails to read is retried frame by frame, so one damaged frame costs one frame.
    """
    n = len(stream)
    out: list[tuple[int, int, str]] = []

    def add(a: int, b: int, why: str) -> None:
        if out and out[-1][1] == a and out[-1][2] == why:
            out[-1] = (out[-1][0], b, why)
        else:
            out.append((a, b, why))

    for a in range(0, n, block):
        b = min(a + block, n)
        try:
            stream.source.read_packed(a, b) if _plain(stream) else stream[a:b].packed()
            add(a, b, "")
        except Exception:  # noqa: BLE001 - any reader's failure marks frames as damaged
            for i in range(a, b):
                try:
                    stream[i : i + 1].packed()
                    add(i, i + 1, "")
                except Exception as e:  # noqa: BLE001
                    add(i, i + 1, _short(e))
    return out


def open_for_check(path: Path, fmt: str, options: dict[str, Any]) -> tuple[SpikeStream, list]:
    """Open ``path`` with the options its format accepts; the warnings the reader gave."""
    mod = importlib.import_module(FORMATS[fmt])
    opts = {k: v for k, v in options.items() if k in mod.OPTIONS}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            stream = open_stream(path, format=fmt, **opts)
        except (SpikevisionError, OSError):
            raise
        except Exception as e:  # noqa: BLE001 - another reader's foreign error, reported as damage
            raise FormatError(f"{path}: cannot read ({type(e).__name__}: {e}); the file is damaged") from e
    return stream, caught


def _plain(stream: SpikeStream) -> bool:
    r = stream.source_frames
    return r.start == 0 and r.step == 1 and r.stop == stream.source.n_frames


def _short(e: BaseException) -> str:
    text = str(e)
    return text.split(": ", 1)[1] if ": " in text else text


def _sidecar(path: Path, stream: SpikeStream) -> list[str]:
    """Mismatches between a ``.dat`` file and its ``.dat.json`` sidecar (read defensively: any schema)."""
    side = path.with_name(path.name + ".json")
    if not side.exists():
        return []
    try:
        meta = json.loads(side.read_text())
    except (OSError, ValueError) as e:
        return [f"sidecar {side.name} is unreadable ({e}); ignored"]
    if not isinstance(meta, dict):
        return [f"sidecar {side.name} is not a JSON object; ignored"]
    problems = []
    expect = {"height": stream.height, "width": stream.width, "frames": len(stream), "n_frames": len(stream),
              "size": path.stat().st_size, "file_size": path.stat().st_size, "bytes": path.stat().st_size}
    for key, have in expect.items():
        want = meta.get(key)
        if isinstance(want, (int, float)) and not isinstance(want, bool) and want != have:
            problems.append(f"sidecar {side.name} says {key}={want}, the file has {have}")
    return problems


def _zip_problems(path: Path) -> list[str]:
    problems = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                try:
                    with zf.open(info) as m:
                        size = sum(len(b) for b in iter(lambda: m.read(1 << 20), b""))
                    if size != info.file_size:
                        problems.append(f"member {info.filename}: {size} bytes, the zip directory says "
                                        f"{info.file_size}")
                except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as e:
                    problems.append(f"member {info.filename}: {e}")
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        problems.append(f"not a readable zip archive ({e})")
    return problems


def check(path: str | os.PathLike, format: str | None = None, trusted: bool = False,
          **options: Any) -> dict[str, Any]:
    """Report on one file: frames recorded and readable, damaged ranges, problems, what salvage would keep."""
    p = Path(path)
    rep: dict[str, Any] = {"file": str(p), "format": None, "frames": None, "readable": 0, "damaged": [],
                           "problems": [], "status": "clean"}
    try:
        fmt = format or detect_format(p)
        rep["format"] = fmt
        if fmt == "h5":
            from ..io import h5

            found = h5.scan(p, trusted=trusted)
            lay = found["layout"]
            rep["frames"] = lay.recorded
            rep["problems"] = list(lay.warnings)
            ranges = found["ranges"]
        else:
            if fmt == "npz":
                rep["problems"] += _zip_problems(p)
            stream, caught = open_for_check(p, fmt, options)
            rep["problems"] += [str(w.message) for w in caught]
            if fmt == "dat":
                rep["problems"] += _sidecar(p, stream)
            rep["frames"] = len(stream)
            ranges = readable_ranges(stream)
    except Exception as e:  # noqa: BLE001 - a report, whatever the reader raised
        text = str(e) if isinstance(e, (SpikevisionError, OSError)) else f"{type(e).__name__}: {e}"
        rep.update(status="unreadable", problems=rep["problems"] + [text])
        rep["recoverable"] = "nothing: the file cannot be opened; copy it again from its source"
        return rep
    rep["readable"] = sum(b - a for a, b, why in ranges if not why)
    rep["damaged"] = [{"first": a, "stop": b, "why": why} for a, b, why in ranges if why]
    if rep["damaged"] or rep["problems"]:
        rep["status"] = "damaged"
    lost = (rep["frames"] or 0) - rep["readable"]
    rep["recoverable"] = (f"all {rep['readable']} frames the file holds" if not lost else
                          f"{rep['readable']} of {rep['frames']} frames ({lost} lost)")
    return rep


def _text(rep: dict[str, Any]) -> str:
    lines = [f"{rep['file']}: {rep['status']} ({rep['format'] or 'unknown format'}"
             + (f", {rep['frames']} frames" if rep["frames"] is not None else "") + ")"]
    for d in rep["damaged"]:
        lines.append(f"  frames {d['first']}..{d['stop'] - 1} damaged: {d['why']}")
    for msg in rep["problems"]:
        lines.append(f"  problem: {msg}")
    if rep["status"] != "clean":
        lines.append(f"  recoverable: {rep['recoverable']}"
                     + ("" if rep["status"] == "unreadable" else "; copy it with 'spikevision salvage IN OUT'"))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    opts = read_options(args)
    opts.pop("strict", None)  # verify reads whatever is readable
    reports = [check(f, format=args.format, trusted=args.trusted, **opts) for f in args.files]
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2, default=_json))
    else:
        print("\n".join(_text(r) for r in reports))
    return 0 if all(r["status"] == "clean" for r in reports) else 1


def _json(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else str(v)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check spike files end to end (exit 1 if damaged)",
                       description="Check spike files end to end: every chunk and checksum of .h5 files (in a "
                       "child process, so damaged metadata cannot hang or crash the command), .dat size and "
                       "sidecar, .npz zip CRCs, .raw framing. Lists every damaged frame range and what is "
                       "recoverable. Exit status 0: all clean; 1: any damaged or unreadable.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--trusted", action="store_true",
                   help="h5: follow external links, external storage and virtual datasets")
    add_read_options(p)
    p.set_defaults(func=run)
