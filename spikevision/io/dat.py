"""Vidar ``.dat`` spike files (docs/formats.md, vidar .dat).

No header; frames follow each other. A frame is H*W bits, pixel ``k = r*W + c``
of *file* row r in bit ``k % 8`` of byte ``k // 8`` (LSB first). Files are stored
upside down (display row = H-1-r): the reader flips by default and the writer
flips back, so ``read(write(x)) == x``. Variants handled by options:

- ``head_columns=16``: 250x416 captures whose columns 400..415 are dropped;
- ``frame_header_bytes=16``: a time header before every frame (SpikeStereoNet real captures);
- ``flip=False``: simulators that write top-down (SPCS, SCSim, SpikeStereoNet synthetic).

The readout rate is not in the file: ``fps`` is metadata (default 20000 Hz). spikevision's
writers keep a sidecar ``clip.dat.json`` with the layout, fps, start time and committed frame
count (:mod:`spikevision.io._dat_sidecar`); without one, the layout is inferred from the file
size and, when that is ambiguous or the capture was cut off, from the content
(:mod:`spikevision.io._dat_layout`).

Example:
    >>> import numpy as np, spikevision as sv
    >>> x = (np.random.default_rng(0).random((41, 250, 400)) < 0.2).astype(np.uint8)
    >>> sv.save("clip.dat", x)                            # doctest: +SKIP
    >>> s = sv.open("clip.dat")                           # 250x400 inferred from the size  # doctest: +SKIP
    >>> bool((s.unpack() == x).all())                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import numbers
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._source import FileSource, StoredLayout
from ..errors import FormatError, SpikevisionWarning, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, StreamMeta
from ._atomic import PendingFile
from ._boundary import regular_file
from ._dat_layout import KNOWN_SIZES, Inference, KnownSize, candidates, choose
from ._dat_sidecar import Sidecar, read_sidecar, sidecar_path, write_sidecar
from ._exclusive import create_new, remove_output

__all__ = ["read", "write", "sniff", "DatWriter", "KNOWN_SIZES", "KnownSize", "infer_layout", "option_hint",
           "sidecar_path", "OPTIONS", "WRITE_OPTIONS"]

log = logging.getLogger(__name__)

OPTIONS = ("height", "width", "fps", "flip", "head_columns", "frame_header_bytes", "strict")
WRITE_OPTIONS = ("flip", "head_columns", "frame_header_bytes", "overwrite", "sidecar")

_PACKAGE = str(Path(__file__).resolve().parents[1]) + os.sep


def _cli_hint(opts: dict[str, Any]) -> str:
    api = ", ".join(f"{k}={v}" for k, v in opts.items())
    cli = []
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        if isinstance(v, bool):
            cli.append(("drop " + flag) if not v else flag)
        else:
            cli.append(f"{flag} {v}")
    return f"pass {api} (CLI: {' '.join(cli)})"


_hint: contextvars.ContextVar[Callable[[dict[str, Any]], str]] = contextvars.ContextVar("dat_hint", default=_cli_hint)


@contextlib.contextmanager
def option_hint(how: Callable[[dict[str, Any]], str]) -> Iterator[None]:
    """Word the fixes in reader errors and warnings with ``how(options)`` instead of keyword/CLI options.

    ``replay://`` uses it to name its URL options. ``how`` gets the options to pass, e.g.
    ``{"height": 250, "width": 400}`` (values may be placeholders such as ``"H"``).
    """
    token = _hint.set(how)
    try:
        yield
    finally:
        _hint.reset(token)


def _fix(**opts: Any) -> str:
    return _hint.get()(opts)


def _warn(msg: str) -> None:
    """Warn with the caller of spikevision as the location."""
    level, f = 2, sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        level += 1
        f = f.f_back
    warnings.warn(msg, SpikevisionWarning, stacklevel=level)


def _check_int(p: Path, name: str, v: Any, low: int) -> int | None:
    if v is None:
        return None
    if isinstance(v, bool) or not (isinstance(v, numbers.Integral) or (isinstance(v, float) and v.is_integer())):
        raise FormatError(f"{p}: {name} must be a whole number, got {v!r}; " + _fix(**{name: "N"}))
    if int(v) < low:
        raise FormatError(f"{p}: {name} must be >= {low}, got {v}; " + _fix(**{name: "N"}))
    return int(v)


def _frames_text(n: int, k: KnownSize, size: int) -> str:
    rest = size - n * k.layout.stride
    return f"{k.short()}: {n:,} frame{'s' if n != 1 else ''}" + (f" + {rest:,} bytes" if rest else "")


def _infer(p: Path, size: int, head_columns: int | None, frame_header_bytes: int | None,
           strict: bool) -> Inference:
    """Choose a known layout for ``p`` by size, then content; warn when it is a guess."""
    exact, whole = candidates(size, head_columns, frame_header_bytes)
    given = "".join(f" with {name}={v}" for name, v in (("head_columns", head_columns),
                                                         ("frame_header_bytes", frame_header_bytes))
                    if v is not None)
    if not whole:
        smallest = min(KNOWN_SIZES, key=lambda k: k.layout.stride)
        raise FormatError(f"{p}: file size {size:,} bytes is smaller than one frame of every known layout{given} "
                          f"(the smallest, {smallest.describe()}, is {smallest.layout.stride:,} bytes); "
                          + _fix(height="H", width="W"))
    cands = exact or whole
    if len(cands) == 1:
        inf = choose(None, size, cands, bool(exact))
    else:
        try:
            fd = os.open(p, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise FormatError(f"{p}: cannot read it ({exc.strerror or exc}); check its permissions") from None
        try:
            inf = choose(fd, size, cands, bool(exact))
        except OSError as exc:
            raise FormatError(f"{p}: reading it failed ({exc.strerror or exc}); copy it to a local disk") from None
        finally:
            os.close(fd)
    k = inf.known
    n, trailing = divmod(size, k.layout.stride)
    others = [c for c in cands if c is not k]
    why = {"size": "the only known layout that fits",
           "content": "chosen by its content" if others else "",
           "default": "the content does not tell the candidates apart, so the most common is taken"}[inf.how]
    if inf.how == "content" and others:
        log.info("%s: layout %s chosen by content (coherence %s)", p, k.describe(),
                 ", ".join(f"{name} {v:.3f}" for name, v in inf.scores.items()))
    fix = _fix(height="H", width="W")
    if not exact:
        listed = "; ".join(_frames_text(size // c.layout.stride, c, size) for c in cands)
        msg = (f"{p}: file size {size:,} bytes is not a whole number of frames of any known layout{given} "
               f"({listed}): read as {k.describe()} ({why}), {n:,} whole frames and {trailing:,} trailing "
               f"byte{'s' if trailing != 1 else ''} ignored (the capture was probably cut off)")
        if strict:
            raise TruncatedFileError(msg.replace(" ignored (the capture", " (the capture") + "; "
                                     + _fix(strict=False) + " to read the whole frames, or name the layout: " + fix)
        _warn(msg + "; if the picture looks scrambled, name the layout: " + fix)
    elif inf.how == "default":
        listed = "; ".join(_frames_text(size // c.layout.stride, c, size) for c in cands)
        _warn(f"{p}: file size {size:,} bytes fits several known layouts{given} ({listed}) and {why}: read as "
              f"{k.describe()}; if the picture looks scrambled, name the layout: {fix}")
    return inf


def infer_layout(size: int, path: str | os.PathLike = "", *, head_columns: int | None = None,
                 frame_header_bytes: int | None = None) -> KnownSize:
    """The known layout of a ``.dat`` of ``size`` bytes (see the module docstring).

    With several candidates the content of ``path`` decides; without a path, or when the content
    cannot tell, the most common candidate is returned with a :class:`SpikevisionWarning`.
    ``head_columns`` / ``frame_header_bytes``, when given, restrict the candidates.
    """
    p = Path(path) if path else None
    if p is None:
        exact, whole = candidates(size, head_columns, frame_header_bytes)
        if not exact:
            raise FormatError(f"file size {size:,} bytes is not a whole number of frames of any known layout; "
                              + _fix(height="H", width="W"))
        inf = choose(None, size, exact, True)
        if inf.how == "default":
            _warn(f"file size {size:,} bytes fits several known layouts "
                  f"({', '.join(c.short() for c in exact)}): taking {inf.known.describe()}; give the path to "
                  f"decide by content")
        return inf.known
    return _infer(p, size, head_columns, frame_header_bytes, strict=False).known


def _explicit_layout(p: Path, height: int | None, width: int | None, head_columns: int | None,
                     frame_header_bytes: int | None, flip: bool) -> tuple[StoredLayout, str | None]:
    if (height is None) != (width is None):
        raise FormatError(f"{p}: give both height and width (got height={height}, width={width}), "
                          f"or neither to infer them from the file")
    head = head_columns or 0
    header = frame_header_bytes or 0
    if height <= 0 or width <= 0:
        raise FormatError(f"{p}: height and width must be positive (got {height}x{width}); "
                          + _fix(height="H", width="W"))
    if (height * (width + head)) % 8:
        raise FormatError(f"{p}: a {height}x{width + head} frame is {height * (width + head)} bits, not a "
                          f"whole number of bytes; .dat frames must have H*W divisible by 8: "
                          + _fix(height="H", width="W"))
    known = next((k.name for k in KNOWN_SIZES if (k.height, k.width, k.head_columns) == (height, width, head)), None)
    return StoredLayout(height, width, width + head, header, flip), known


def read(path: str | os.PathLike, *, height: int | None = None, width: int | None = None,
         fps: float | None = None, flip: bool | None = None, head_columns: int | None = None,
         frame_header_bytes: int | None = None, strict: bool | None = None) -> SpikeStream:
    """Open a ``.dat`` file lazily (only the size, the sidecar and, to infer a layout, a few frames are read).

    The layout comes from the options, else from the sidecar ``path + ".json"`` that
    spikevision writes, else from the file size and, when several known layouts fit (or none
    exactly: a cut-off capture), from the content (see :mod:`spikevision.io._dat_layout`).

    Args:
        path: the file.
        height, width: display size (see above when not given).
        fps: readout rate (not stored in the file; the sidecar's, else 20000 Hz).
        flip: file rows are bottom-up (default: the sidecar's, else True as vidar cameras).
        head_columns: extra columns per stored row, dropped after decoding (16 for 250x416 captures).
        frame_header_bytes: bytes before every frame, skipped (16 for SpikeStereoNet real captures).
        strict: raise :class:`TruncatedFileError` on a trailing partial frame instead of warning.

    Raises:
        FormatError: not a regular file, empty, smaller than one frame, or inconsistent options.
        TruncatedFileError: a trailing partial frame with ``strict=True``.
    """
    p = Path(path)
    size = regular_file(p, ".dat file").stat().st_size
    height = _check_int(p, "height", height, 1)
    width = _check_int(p, "width", width, 1)
    head_columns = _check_int(p, "head_columns", head_columns, 0)
    frame_header_bytes = _check_int(p, "frame_header_bytes", frame_header_bytes, 0)
    if fps is not None:
        try:
            fps = float(fps)
        except (TypeError, ValueError):
            fps = float("nan")
        if not (fps > 0 and np.isfinite(fps)):
            raise FormatError(f"{p}: fps must be a positive number of frames per second; " + _fix(fps=20000))
    if size == 0:
        raise FormatError(f"{p}: file is empty (0 bytes), so it holds no frames; check that the capture finished")
    sc: Sidecar | None = read_sidecar(p, size, _warn)
    flip = bool(flip) if flip is not None else (sc.flip if sc is not None else True)
    prov: dict[str, Any] = {"format": "dat", "path": str(p.resolve())}
    if height is not None or width is not None:
        layout, sensor = _explicit_layout(p, height, width, head_columns, frame_header_bytes, flip)
        how = "options"
    elif sc is not None and head_columns is None and frame_header_bytes is None:
        layout = StoredLayout(sc.height, sc.width, sc.width + sc.head_columns, sc.frame_header_bytes, flip)
        sensor = next((k.name for k in KNOWN_SIZES if (k.height, k.width, k.head_columns) ==
                       (sc.height, sc.width, sc.head_columns)), None)
        how = "sidecar"
    else:
        inf = _infer(p, size, head_columns, frame_header_bytes, bool(strict))
        lay = inf.known.layout
        layout = StoredLayout(lay.height, lay.width, lay.stored_width, lay.header, flip)
        sensor, how = inf.known.name, inf.how
    n, trailing = divmod(size, layout.stride)
    if trailing and how not in ("size", "content", "default"):  # inference reported it already
        msg = (f"{p}: file size {size:,} is not a multiple of the {layout.stride:,}-byte frame for "
               f"{layout.height}x{layout.stored_width}" + (f" + {layout.header}-byte header" if layout.header else "")
               + f": {trailing:,} trailing byte{'s' if trailing != 1 else ''}")
        if strict:
            raise TruncatedFileError(msg + "; " + _fix(strict=False) + " to ignore the partial frame, "
                                     "or check the layout: " + _fix(height="H", width="W"))
        if n == 0:
            raise FormatError(msg + "; the file is smaller than one frame: check the layout: "
                              + _fix(height="H", width="W"))
        _warn(msg + " ignored (the capture was probably cut off)")
    prov.update({"stored_width": layout.stored_width, "head_columns": layout.stored_width - layout.width,
                 "frame_header_bytes": layout.header, "trailing_bytes": trailing,
                 "size_inferred": how in ("size", "content", "default"), "layout_from": how})
    meta_kw: dict[str, Any] = {}
    if sc is not None:
        prov["sidecar"] = str(sidecar_path(p).resolve())
        if sc.start_time:
            prov["recorded_at"] = sc.start_time
        if sc.camera:
            prov["camera"] = sc.camera
        meta_kw = {"t0": sc.t0, "cfa": sc.cfa}
        sensor = sc.sensor or sensor
        if fps is None:
            fps = sc.fps
    meta = StreamMeta(fps=DEFAULT_FPS if fps is None else float(fps), sensor=sensor, flip=flip, provenance=prov,
                      **meta_kw)
    return SpikeStream(FileSource(p, layout, n), meta)


def sniff(path: Path, head: bytes) -> bool:
    """``.dat`` has no magic number: never claimed by content."""
    return False


class DatWriter:
    """Append frames to a ``.dat`` file in constant memory, with its sidecar.

    With ``atomic=True`` (used by :func:`write`) frames go to a new temporary file renamed
    onto ``path`` on :meth:`close`; with ``atomic=False`` (recording) ``path`` is created as a
    new file and :meth:`flush` makes every appended frame durable and then records the
    committed frame count in the sidecar, so after a crash the file opens without options:
    whole frames plus at most one trailing partial frame, which the reader reports.

    Either way ``path`` is a brand-new file: a file or symlink already there is replaced
    (with ``overwrite=True``), never written through. The sidecar ``path + ".json"`` (see
    the README) is written unless ``sidecar=False``, in which case a stale one is removed.

    Args:
        path: the ``.dat`` file.
        height, width: display size; H*(W + head_columns) must be a multiple of 8.
        flip, head_columns, frame_header_bytes: stored layout (as in :func:`read`).
        overwrite: replace an existing file.
        atomic: all-or-nothing write (True) or an in-place recording (False).
        sidecar: keep the sidecar.
        fps, t0, sensor, cfa: stream metadata recorded in the sidecar.
        start_time: wall-clock start (ISO 8601) recorded in the sidecar.
        camera: backend facts recorded in the sidecar (JSON-serialisable; may be updated before close).

    Example:
        >>> with DatWriter("rec.dat", 250, 400, fps=20000) as w:        # doctest: +SKIP
        ...     for block in stream.iter_blocks(1024):
        ...         w.append(block)
    """

    def __init__(self, path: str | os.PathLike, height: int, width: int, *, flip: bool = True,
                 head_columns: int = 0, frame_header_bytes: int = 0, overwrite: bool = True,
                 atomic: bool = False, sidecar: bool = True, fps: float | None = None, t0: float = 0.0,
                 sensor: str | None = None, cfa: str | None = None, start_time: str | None = None,
                 camera: dict[str, Any] | None = None):
        if (height * (width + head_columns)) % 8:
            raise FormatError(f"cannot write a {height}x{width + head_columns} .dat: H*W = "
                              f"{height * (width + head_columns)} bits is not a whole number of bytes; "
                              f".dat needs H*W divisible by 8 (save as .h5 instead)")
        self.path = Path(path)
        self.layout = StoredLayout(height, width, width + head_columns, frame_header_bytes, flip)
        self.n_frames = 0
        self.committed = 0
        self.sidecar = bool(sidecar)
        self.camera = camera
        self._meta = dict(fps=None if fps is None else float(fps), t0=float(t0), sensor=sensor, cfa=cfa,
                          start_time=start_time)
        self._pending = PendingFile(self.path, overwrite) if atomic else None
        if atomic:
            self._file = open(self._pending.tmp, "wb")
        else:
            self._file = create_new(self.path, overwrite)
            try:
                self._write_sidecar(complete=False)
            except BaseException:
                self._file.close()
                raise

    def _sidecar(self, complete: bool) -> Sidecar:
        lay = self.layout
        return Sidecar(lay.height, lay.width, lay.flip, lay.stored_width - lay.width, lay.header,
                       frames=self.committed, complete=complete, camera=self.camera, **self._meta)

    def _write_sidecar(self, complete: bool) -> None:
        if self.sidecar:
            write_sidecar(self.path, self._sidecar(complete))
        else:
            remove_output(sidecar_path(self.path))

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
        """Commit: push appended frames to disk (fsync), then (recording) record their count in the sidecar."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self.committed = self.n_frames
        if self._pending is None and self.sidecar:
            self._write_sidecar(complete=False)

    def close(self) -> None:
        """Finish the file (atomic: sidecar and file renamed into place); safe to call twice."""
        if self._file.closed:
            return
        if self._pending is None:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
                self.committed = self.n_frames
            finally:
                self._file.close()
            if self.sidecar:
                self._write_sidecar(complete=True)
            return
        self._file.close()
        self.committed = self.n_frames
        try:
            # the old sidecar goes first: a crash in between leaves a .dat without sidecar, never a wrong pair
            remove_output(sidecar_path(self.path))
            self._pending.commit()
        except BaseException:
            self._pending.discard()
            raise
        if self.sidecar:
            write_sidecar(self.path, self._sidecar(complete=True))

    def abort(self) -> None:
        """Stop writing; an atomic writer leaves nothing behind (a recording keeps its committed frames)."""
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
          frame_header_bytes: int = 0, overwrite: bool = True, sidecar: bool = True,
          block_frames: int = 2048) -> None:
    """Write a stream as ``.dat`` atomically (a new temporary file renamed when complete).

    Head columns and frame headers, when asked for, are written as zeros. The sidecar
    ``path + ".json"`` records the layout, fps, t0, sensor and frame count (``sidecar=False``:
    none is written and a stale one is removed).
    """
    with DatWriter(path, stream.height, stream.width, flip=flip, head_columns=head_columns,
                   frame_header_bytes=frame_header_bytes, overwrite=overwrite, atomic=True, sidecar=sidecar,
                   fps=stream.fps, t0=stream.t0, sensor=stream.meta.sensor, cfa=stream.meta.cfa) as w:
        for packed in stream.iter_packed(block_frames):
            w.append_packed(packed)
