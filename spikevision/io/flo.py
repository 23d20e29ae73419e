"""Middlebury ``.flo`` optical-flow files (Baker et al., "A Database and Evaluation Methodology for Optical Flow").

Layout: float32 magic 202021.25 (the bytes ``PIEH``), int32 width, int32 height,
then ``height * width * 2`` float32 values (u, v interleaved, row-major, row 0 at
the top), all little-endian. Flow is in pixels (u to the right, v down); values
above 1e9 conventionally mark unknown flow and are kept as they are.

Example:
    >>> import numpy as np
    >>> write_flo("f.flo", np.zeros((4, 6, 2), np.float32))   # doctest: +SKIP
    >>> read_flo("f.flo").shape                                # doctest: +SKIP
    (4, 6, 2)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, TruncatedFileError
from ._atomic import atomic_path
from ._boundary import content_errors, regular_file

__all__ = ["read_flo", "write_flo", "FLO_MAGIC", "MAX_SIDE"]

log = logging.getLogger(__name__)

FLO_MAGIC = 202021.25
_MAGIC_BYTES = np.array(FLO_MAGIC, dtype="<f4").tobytes()  # b"PIEH"
_MAGIC_BYTES_BE = _MAGIC_BYTES[::-1]
_HEADER_BYTES = 12
#: largest width or height accepted (larger values mean a damaged or foreign file)
MAX_SIDE = 1 << 16


def read_flo(path: str | os.PathLike) -> np.ndarray:
    """Read a Middlebury ``.flo`` file as an (H, W, 2) float32 array (u, v in pixels).

    Big-endian files (written natively on big-endian machines) are recognised
    by their swapped magic and read too.

    Raises:
        FormatError: bad magic, impossible size or trailing bytes; a directory or FIFO.
        TruncatedFileError: the file ends before H*W*2 values.
    """
    p = regular_file(path)
    size = p.stat().st_size
    with content_errors(p, "the .flo file", "check that it is readable and write or copy it again"), \
            open(p, "rb") as f:
        head = f.read(_HEADER_BYTES)
        if len(head) < _HEADER_BYTES:
            raise TruncatedFileError(f"{p}: {len(head)} bytes is shorter than the 12-byte .flo header; "
                                     f"the file is empty or cut off, write it again")
        magic = head[:4]
        if magic == _MAGIC_BYTES:
            order = "<"
        elif magic == _MAGIC_BYTES_BE:
            order = ">"
            log.info("%s: big-endian .flo file", p)
        else:
            raise FormatError(f"{p}: not a Middlebury .flo file: magic is {magic!r}, expected {_MAGIC_BYTES!r} "
                              f"(float32 {FLO_MAGIC}); check that this is a .flo flow file")
        w, h = (int(v) for v in np.frombuffer(head[4:], dtype=order + "i4"))
        if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
            raise FormatError(f"{p}: impossible .flo size width={w}, height={h} (each must be 1..{MAX_SIDE}); "
                              f"the header is damaged")
        need = _HEADER_BYTES + h * w * 2 * 4
        if size < need:
            raise TruncatedFileError(f"{p}: .flo of {h}x{w} needs {need:,} bytes but the file has {size:,}; "
                                     f"it was cut off, write or copy it again")
        if size > need:
            raise FormatError(f"{p}: {size - need:,} bytes after the {h}x{w} flow field; the header size is "
                              f"wrong or another file was appended")
        data = np.fromfile(f, dtype=order + "f4", count=h * w * 2)
    if data.size != h * w * 2:  # the file shrank while reading
        raise TruncatedFileError(f"{p}: read {data.size} of {h * w * 2} flow values; the file changed while "
                                 f"reading, try again")
    return data.astype(np.float32, copy=False).reshape(h, w, 2)


def write_flo(path: str | os.PathLike, flow: Any) -> Path:
    """Write an (H, W, 2) flow field (u, v in pixels) as a little-endian Middlebury ``.flo``, atomically.

    Args:
        path: output file (replaced if it exists).
        flow: (H, W, 2) real array on any backend; converted to float32.

    Returns:
        The path written.
    """
    from ..backend import to_numpy

    arr = to_numpy(flow)
    if arr.ndim != 3 or arr.shape[2] != 2:
        raise ValueError(f"flow must be (H, W, 2) with u, v in the last axis, got shape {arr.shape}")
    h, w = arr.shape[:2]
    if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
        raise ValueError(f"flow must be 1..{MAX_SIDE} pixels on each side, got {h}x{w}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"flow must be real numbers, got dtype {arr.dtype}")
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(_MAGIC_BYTES)
        f.write(np.array([w, h], dtype="<i4").tobytes())
        f.write(np.ascontiguousarray(arr, dtype="<f4"))  # written from the array buffer, no bytes copy
    return Path(path)
