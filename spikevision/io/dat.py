"""Vidar ``.dat`` spike files (docs/formats.md, vidar .dat).

No header; frames follow each other. A frame is H*W bits, pixel ``k = r*W + c``
of *file* row r in bit ``k % 8`` of byte ``k // 8`` (LSB first). Files are stored
upside down (display row = H-1-r): the reader flips by default and the writer
flips back, so ``read(write(x)) == x``. Variants handled by options:

- ``head_columns=16``: 250x416 captures whose columns 400..415 are dropped;
- ``frame_header_bytes=16``: a time header before every frame (SpikeStereoNet real captures);
- ``flip=False``: simulators that write top-down (SPCS, SCSim, SpikeStereoNet synthetic).

The readout rate is not in the file: ``fps`` is metadata (default 20000 Hz).

Example:
    >>> import numpy as np, spikevision as sv
    >>> x = (np.random.default_rng(0).random((41, 250, 400)) < 0.2).astype(np.uint8)
    >>> sv.save("clip.dat", x)                            # doctest: +SKIP
    >>> s = sv.open("clip.dat")                           # 250x400 inferred from the size  # doctest: +SKIP
    >>> bool((s.unpack() == x).all())                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._source import FileSource, StoredLayout
from ..errors import FormatError, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, StreamMeta
from ._atomic import PendingFile, check_output_path

__all__ = ["read", "write", "sniff", "DatWriter", "KNOWN_SIZES", "infer_layout", "OPTIONS", "WRITE_OPTIONS"]

log = logging.getLogger(__name__)

OPTIONS = ("height", "width", "fps", "flip", "head_columns", "frame_header_bytes", "strict")
WRITE_OPTIONS = ("flip", "head_columns", "frame_header_bytes", "overwrite")


@dataclass(frozen=True)
class KnownSize:
    """A sensor layout seen in real captures or public datasets."""

    name: str
    height: int
    width: int
    head_columns: int = 0
    frame_header_bytes: int = 0

    @property
    def layout(self) -> StoredLayout:
        return StoredLayout(self.height, self.width, self.width + self.head_columns, self.frame_header_bytes)

    def describe(self) -> str:
        extra = []
        if self.head_columns:
            extra.append(f"{self.head_columns} head columns")
        if self.frame_header_bytes:
            extra.append(f"{self.frame_header_bytes}-byte frame header")
        return f"{self.height}x{self.width}" + (f" + {', '.join(extra)}" if extra else "") + f" ({self.name})"


#: Layouts that size inference chooses among (docs/formats.md, known sizes).
KNOWN_SIZES = (
    KnownSize("vidar", 250, 400),
    KnownSize("vidar-head", 250, 400, head_columns=16),
    KnownSize("spikestereonet-real", 250, 400, head_columns=16, frame_header_bytes=16),
    KnownSize("spift", 500, 800),
    KnownSize("sreds", 720, 1280),
    KnownSize("sps100", 1000, 1000),
)


def _stream_bytes(path: Path) -> int:
    return path.stat().st_size


def infer_layout(size: int, path: str | os.PathLike = "", *, head_columns: int | None = None,
                 frame_header_bytes: int | None = None) -> KnownSize:
    """The one known layout whose frame size divides ``size``; error listing candidates otherwise.

    ``head_columns`` / ``frame_header_bytes``, when given, restrict the candidates.
    """
    cands = [k for k in KNOWN_SIZES if (head_columns is None or k.head_columns == head_columns)
             and (frame_header_bytes is None or k.frame_header_bytes == frame_header_bytes)]
    fits = [k for k in cands if size % k.layout.stride == 0]
    if len(fits) == 1:
        return fits[0]
    where = f"{path}: " if path else ""
    given = "".join(f" with {name}={v}" for name, v in (("head_columns", head_columns),
                                                         ("frame_header_bytes", frame_header_bytes)) if v is not None)
    hint = "pass height= and width= (CLI: --height H --width W), plus head_columns=/frame_header_bytes= if needed"
    if not fits:
        known = "; ".join(f"{k.describe()} = {k.layout.stride:,} B/frame" for k in cands)
        raise FormatError(f"{where}file size {size:,} bytes fits no known sensor size{given} ({known}); {hint}")
    listed = "; ".join(f"{k.describe()}: {size // k.layout.stride:,} frames" for k in fits)
    raise FormatError(f"{where}file size {size:,} bytes fits several known sensor sizes{given} ({listed}); {hint}")


def _layout_from_options(height: int | None, width: int | None, head_columns: int | None,
                         frame_header_bytes: int | None, flip: bool, size: int, path: Path
                         ) -> tuple[StoredLayout, str | None, bool]:
    if (height is None) != (width is None):
        raise FormatError(f"{path}: give both height and width (got height={height}, width={width}), "
                          f"or neither to infer them from the file size")
    if height is None:
        known = infer_layout(size, path, head_columns=head_columns, frame_header_bytes=frame_header_bytes)
        lay = known.layout
        return StoredLayout(lay.height, lay.width, lay.stored_width, lay.header, flip), known.name, True
    head = head_columns or 0
    header = frame_header_bytes or 0
    if height <= 0 or width <= 0 or head < 0 or header < 0:
        raise FormatError(f"{path}: height, width, head_columns and frame_header_bytes must be positive "
                          f"(got {height}, {width}, {head}, {header})")
    if (height * (width + head)) % 8:
        raise FormatError(f"{path}: a {height}x{width + head} frame is {height * (width + head)} bits, not a "
                          f"whole number of bytes; .dat frames must have H*W divisible by 8: check --height/--width")
    known = next((k.name for k in KNOWN_SIZES if (k.height, k.width, k.head_columns) == (height, width, head)), None)
    return StoredLayout(height, width, width + head, header, flip), known, False


def read(path: str | os.PathLike, *, height: int | None = None, width: int | None = None,
         fps: float | None = None, flip: bool | None = None, head_columns: int | None = None,
         frame_header_bytes: int | None = None, strict: bool | None = None) -> SpikeStream:
    """Open a ``.dat`` file lazily (nothing but the file size is read here).

    Args:
        path: the file.
        height, width: display size; inferred when the size fits exactly one known sensor layout.
        fps: readout rate (not stored in the file; default 20000 Hz).
        flip: file rows are bottom-up (default True, vidar cameras); False for top-down simulators.
        head_columns: extra columns per stored row, dropped after decoding (16 for 250x416 captures).
        frame_header_bytes: bytes before every frame, skipped (16 for SpikeStereoNet real captures).
        strict: raise :class:`TruncatedFileError` on a trailing partial frame instead of warning.
    """
    p = Path(path)
    size = _stream_bytes(p)
    flip = True if flip is None else bool(flip)
    if size == 0:
        raise FormatError(f"{p}: file is empty (0 bytes), so it holds no frames; check that the capture finished")
    layout, sensor, inferred = _layout_from_options(height, width, head_columns, frame_header_bytes, flip, size, p)
    n, trailing = divmod(size, layout.stride)
    if trailing:
        msg = (f"{p}: file size {size:,} is not a multiple of the {layout.stride:,}-byte frame for "
               f"{layout.height}x{layout.stored_width}" + (f" + {layout.header}-byte header" if layout.header else "")
               + f": {trailing:,} trailing byte{'s' if trailing != 1 else ''}")
        if strict:
            raise TruncatedFileError(msg + "; pass strict=False (CLI: drop --strict) to ignore the partial frame, "
                                     "or check --height/--width")
        if n == 0:
            raise FormatError(msg + "; the file is smaller than one frame: check --height/--width")
        warnings.warn(msg + " ignored (the capture was probably cut off)", stacklevel=3)
    prov: dict[str, Any] = {
        "format": "dat", "path": str(p.resolve()), "stored_width": layout.stored_width,
        "head_columns": layout.stored_width - layout.width, "frame_header_bytes": layout.header,
        "trailing_bytes": trailing, "size_inferred": inferred,
    }
    meta = StreamMeta(fps=DEFAULT_FPS if fps is None else float(fps), sensor=sensor, flip=flip, provenance=prov)
    return SpikeStream(FileSource(p, layout, n), meta)


def sniff(path: Path, head: bytes) -> bool:
    """``.dat`` has no magic number: never claimed by content."""
    return False


class DatWriter:
    """Append frames to a ``.dat`` file in constant memory.

    With ``atomic=True`` (used by :func:`write`) frames go to a temporary file
    renamed on :meth:`close`; with ``atomic=False`` (recording) they go to
    ``path`` directly and :meth:`flush` makes every appended frame durable, so a
    crash leaves whole frames plus at most one trailing partial frame, which the
    reader reports.

    Example:
        >>> with DatWriter("rec.dat", 250, 400) as w:        # doctest: +SKIP
        ...     for block in stream.iter_blocks(1024):
        ...         w.append(block)
    """

    def __init__(self, path: str | os.PathLike, height: int, width: int, *, flip: bool = True,
                 head_columns: int = 0, frame_header_bytes: int = 0, overwrite: bool = True,
                 atomic: bool = False):
        if (height * (width + head_columns)) % 8:
            raise FormatError(f"cannot write a {height}x{width + head_columns} .dat: H*W = "
                              f"{height * (width + head_columns)} bits is not a whole number of bytes; "
                              f".dat needs H*W divisible by 8 (save as .h5 instead)")
        self.path = Path(path)
        self.layout = StoredLayout(height, width, width + head_columns, frame_header_bytes, flip)
        self.n_frames = 0
        self._pending = PendingFile(self.path, overwrite) if atomic else None
        target = self._pending.tmp if atomic else check_output_path(self.path, overwrite=overwrite)
        self._file = open(target, "wb")

    def append_packed(self, packed: np.ndarray) -> None:
        """Append canonical packed frames (n, ceil(H*W/8)) uint8."""
        packed = np.asarray(packed, dtype=np.uint8)
        f = self.layout.height * self.layout.width
        if packed.ndim != 2 or packed.shape[1] != (f + 7) // 8:
            raise ValueError(f"expected packed frames (n, {(f + 7) // 8}), got {packed.shape}")
        self._file.write(np.ascontiguousarray(self.layout.from_canonical(packed)).data)
        self.n_frames += packed.shape[0]

    def append(self, frames: np.ndarray) -> None:
        """Append (n, H, W) frames (nonzero = spike) in display orientation."""
        from .._bits import pack_frames

        frames = np.asarray(frames)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.shape[1:] != (self.layout.height, self.layout.width):
            raise ValueError(f"frames are {frames.shape[1:]}, this writer takes "
                             f"{(self.layout.height, self.layout.width)}")
        self.append_packed(pack_frames(frames))

    def flush(self) -> None:
        """Push appended frames to disk (fsync)."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        """Finish the file (rename into place when atomic); safe to call twice."""
        if self._file.closed:
            return
        self._file.close()
        if self._pending is not None:
            self._pending.commit()

    def abort(self) -> None:
        """Stop writing; an atomic writer leaves nothing behind."""
        if self._file.closed:
            return
        self._file.close()
        if self._pending is not None:
            self._pending.discard()

    def __enter__(self) -> DatWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self._pending is not None:
            self.abort()
        else:
            self.close()


def write(path: str | os.PathLike, stream: SpikeStream, *, flip: bool = True, head_columns: int = 0,
          frame_header_bytes: int = 0, overwrite: bool = True, block_frames: int = 2048) -> None:
    """Write a stream as ``.dat`` atomically (a temporary file renamed when complete).

    Head columns and frame headers, when asked for, are written as zeros.
    """
    with DatWriter(path, stream.height, stream.width, flip=flip, head_columns=head_columns,
                   frame_header_bytes=frame_header_bytes, overwrite=overwrite, atomic=True) as w:
        for packed in stream.iter_packed(block_frames):
            w.append_packed(packed)
