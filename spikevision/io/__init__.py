"""Readers and writers of spike files, with format detection.

Every spike format module (``dat``, ``h5``, ``npz``, ``raw``) provides
``read(path, **options) -> SpikeStream``, ``write(path, stream, **options)``,
``OPTIONS`` (the option names it accepts) and ``sniff(path, head) -> bool``.
Optical flow files are separate (:mod:`spikevision.io.flo`).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from ..errors import FormatError, UnknownFormatError
from ..stream import SpikeStream, from_array
from ._boundary import content_errors, regular_file

__all__ = ["open_stream", "save_stream", "detect_format", "FORMATS", "EXTENSIONS"]

#: format name -> module implementing it
FORMATS = {
    "dat": "spikevision.io.dat",
    "h5": "spikevision.io.h5",
    "npz": "spikevision.io.npz",
    "raw": "spikevision.io.raw",
}

#: file extension -> format name
EXTENSIONS = {
    ".dat": "dat",
    ".h5": "h5",
    ".hdf5": "h5",
    ".npz": "npz",
    ".raw": "raw",
    ".bin": "raw",
}

#: options every reader understands; the CLI spells them --height, --head-columns, ...
COMMON_READ_OPTIONS = ("height", "width", "fps", "flip", "head_columns", "frame_header_bytes", "strict")


def _module(fmt: str):
    try:
        return importlib.import_module(FORMATS[fmt])
    except KeyError:
        raise UnknownFormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def detect_format(path: str | os.PathLike, for_writing: bool = False) -> str:
    """Name the format of ``path`` from its extension, checked against its content when reading."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext in EXTENSIONS:
        fmt = EXTENSIONS[ext]
        if for_writing or not p.exists():
            return fmt
        head = _head(p)
        if fmt != "h5" and _module("h5").sniff(p, head):  # the signature may follow a user block
            return "h5"
        if fmt != "npz" and head.startswith(b"PK\x03\x04") and _module("npz").sniff(p, head):
            return "npz"
        return fmt
    if not for_writing and p.exists():
        head = _head(p)
        for fmt in ("h5", "npz", "raw"):
            if _module(fmt).sniff(p, head):
                return fmt
    known = ", ".join(sorted(EXTENSIONS))
    raise UnknownFormatError(f"{p}: unknown extension {ext or '(none)'!r}; use one of {known} "
                             f"or pass format= (CLI: --format)")


def _head(p: Path, n: int = 512) -> bytes:
    p = regular_file(p)  # a FIFO would block forever, a directory cannot be read
    with content_errors(p, "the start of the file", "check that the file is readable and copy it again"):
        with open(p, "rb") as f:
            return f.read(n)


def open_stream(path: str | os.PathLike, format: str | None = None, **options: Any) -> SpikeStream:
    """Open a spike file lazily as a :class:`SpikeStream`, detecting its format.

    Options (all formats that make sense for): ``height``, ``width``, ``fps``,
    ``flip`` (default True for .dat), ``head_columns`` (0 or 16),
    ``frame_header_bytes`` (0 or e.g. 16), ``strict`` (default False).

    Whatever the file holds, damage raises :class:`~spikevision.errors.FormatError` (or its
    :class:`~spikevision.errors.TruncatedFileError`); a directory, FIFO or device raises
    ``FormatError`` too. A missing or unreadable path raises ``FileNotFoundError`` / ``PermissionError``.
    """
    p = regular_file(path)
    fmt = format or detect_format(p)
    mod = _module(fmt)
    unknown = set(options) - set(mod.OPTIONS)
    if unknown:
        raise FormatError(f"option(s) {', '.join(sorted(unknown))} do not apply to {fmt} files; "
                          f"{fmt} accepts {', '.join(mod.OPTIONS) or 'no options'}")
    return mod.read(p, **options)


def save_stream(path: str | os.PathLike, data: Any, format: str | None = None, **options: Any) -> Path:
    """Write a SpikeStream or (T, H, W) array to ``path`` atomically; return the path."""
    fmt = format or detect_format(path, for_writing=True)
    mod = _module(fmt)
    unknown = set(options) - set(mod.WRITE_OPTIONS)
    if unknown:
        raise FormatError(f"option(s) {', '.join(sorted(unknown))} do not apply when writing {fmt}; "
                          f"{fmt} accepts {', '.join(mod.WRITE_OPTIONS) or 'no options'}")
    stream = data if isinstance(data, SpikeStream) else from_array(data)
    mod.write(path, stream, **options)
    return Path(path)
