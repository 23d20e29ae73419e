"""spikevision's own HDF5 container: packed spikes, chunked and compressed, crash-safe appends.

Layout (format ``spikestream``, version 1; every name lives in :class:`_Names`):

* root attributes ``spikevision_format = "spikestream"`` and ``spikevision_version = 1``;
* dataset ``/spikes``: uint8, shape ``(N, F)``, ``maxshape (None, F)``, ``F = ceil(H*W/8)``,
  one row per frame in the canonical packed layout of :mod:`spikevision._bits`
  (display orientation, row-major, pixel ``k = r*W + c`` in bit ``k % 8`` of byte
  ``k // 8``, LSB first); chunked by blocks of frames (at most 1 MiB a chunk),
  LZF (default) or gzip, with a Fletcher-32 checksum per chunk so a damaged
  chunk is reported, never decoded;
* attributes of ``/spikes``: ``n_frames`` (the commit point: readers use only frames
  ``< n_frames``), ``sealed`` (True once the writer closed cleanly), ``height``,
  ``width``, ``fps``, ``t0``, ``flip`` (the row convention of the source the frames
  came from, for provenance; stored rows are always top-down), ``sensor`` and
  ``cfa`` (empty string for none), ``provenance`` (JSON) and ``bit_order`` (a
  human-readable description of the packing);
* datasets ``/spikes_tail0`` and ``/spikes_tail1`` (in-place recordings only): two
  uncompressed one-chunk slots for committed frames that do not fill a chunk yet; attribute
  ``commit`` = int64 ``[n_frames, CRC32 of the committed rows]``, written before the commit point.

Reading: a sealed file holds frames ``0 .. n_frames-1`` in ``/spikes``. An
unsealed file (a recording that was killed) holds frames ``0 .. m-1`` in
``/spikes``, ``m = n_frames - n_frames % chunk_rows``, and the other
``n_frames - m`` in the first rows of ``/spikes_tail{n_frames % 2}``.

Crash safety (``atomic=False``): a chunk of ``/spikes`` is written once, when it
is full, and never rewritten (HDF5 rewrites a compressed chunk in place or into
freed space, and a kill in the middle would corrupt committed frames); a partial
chunk goes to the tail slot that the committed state does not use; the data is
flushed before the single 8-byte ``n_frames`` attribute moves, then flushed
again. Killing the process at any moment therefore leaves a file that opens and
holds every committed frame bit-exactly.

File format and damage (see :mod:`._h5file`, :mod:`._h5probe`): files are written in HDF5
format v110 (checksummed superblock, object headers and chunk index) with a 4 KiB user
block holding the seal record (the CRC32 of every metadata byte, written at a clean close).
A reader parses a file in-process only when its seal matches; any other file (a killed
recording, damage, a file written elsewhere) has its structure parsed first in a child
process with a timeout, because libhdf5 can hang or crash on damaged metadata. A write that
fails (disk full, EFBIG) is never reported to libhdf5, which would otherwise crash the
process at exit; the writer raises one :class:`OutputError` instead.

Example:
    >>> import numpy as np, spikevision as sv
    >>> with H5Writer("rec.h5", 250, 400, fps=20000) as w:   # doctest: +SKIP
    ...     w.append(np.zeros((100, 250, 400), np.uint8))
    >>> sv.open("rec.h5").shape                               # doctest: +SKIP
    (100, 250, 400)
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from .. import _bits
from ..errors import FormatError, SpikevisionError, TruncatedFileError
from ..stream import SpikeStream, StreamMeta
from . import _h5file
from ._boundary import regular_file
from ._h5probe import contained

__all__ = ["H5Writer", "H5Source", "read", "structure", "scan", "salvage_source", "write", "sniff", "OPTIONS",
           "WRITE_OPTIONS", "FORMAT_NAME",
           "FORMAT_VERSION"]

log = logging.getLogger(__name__)

OPTIONS = ("fps", "strict", "trusted")
WRITE_OPTIONS = ("compression", "block_frames")

from ._h5checks import (  # noqa: E402  (the reader-boundary checks)
    _FOREIGN,
    _HEAD_BYTES,
    MAX_SIDE,
    _attr,
    _boundary,
    _check_container,
    _check_dataset,
    _check_link,
    _complete_blocks,
    _first_missing_chunk,
    _head,
    _int_attr,
    _open_file,
    _typed,
)
from ._h5writer import (  # noqa: F401,E402  (re-exported: the writer and the names shared with it)
    BIT_ORDER,
    CHUNK_MAX_BYTES,
    FORMAT_NAME,
    FORMAT_VERSION,
    HDF5_SIGNATURE,
    H5Writer,
    _Names,
    chunk_frames,
)


@dataclass
class _Layout:
    """What a reader needs from the file's structure (picklable: it comes back from the probe process)."""

    n: int
    height: int
    width: int
    n_main: int
    tail: np.ndarray | None
    meta: StreamMeta
    warnings: list[str] = field(default_factory=list)
    lost: list[tuple[int, int, str]] = field(default_factory=list)  # (first, stop, why) frames not readable
    recorded: int = 0  # frames the file says it committed
    main_recorded: int = 0  # of which in /spikes
    valid_tail: np.ndarray | None = None  # the tail rows when their checksum holds, even after lost chunks
    verified: bool = False  # metadata byte-identical to what spikevision wrote (seal record)


def _tail_frames(f: h5py.File, ds: h5py.Dataset, n: int, n_main: int, p: Path, trusted: bool,
                 new_writer: bool) -> tuple[np.ndarray | None, str]:
    """The committed tail rows of an unsealed recording and why they are not trusted ("" when they are)."""
    name = _Names.tails[n % 2]
    if not _check_link(f, name, p, trusted):
        return None, f"/{name} is missing"
    t = _check_dataset(f[name], name, p, trusted)
    k = n - n_main
    if t.shape[0] < k or t.shape[1] != ds.shape[1]:
        return None, f"/{name} holds {t.shape} instead of {k} packed frames"
    rows = np.ascontiguousarray(t[:k])
    commit = t.attrs.get(_Names.commit)
    if commit is None:
        if new_writer:
            return None, f"/{name} has no commit checksum"
        return rows, ""  # written before tail checksums existed: read as is (warned by the caller)
    commit = np.asarray(commit)
    if commit.shape != (2,) or commit.dtype.kind not in "iu":
        return None, f"/{name} has a malformed commit checksum {commit!r:.40}"
    if int(commit[0]) != n or int(commit[1]) != zlib.crc32(rows):
        return None, f"/{name} fails its CRC32 (the tail slot is damaged)"
    return rows, ""


def _inspect(path: str | os.PathLike, strict: bool = False, trusted: bool = False,
             fps: float | None = None, sealed: bool = False) -> _Layout:
    """Check the structure of a spikestream file and locate its committed frames (see :func:`read`)."""
    p = Path(path)
    with _boundary(p, "the file structure"):
        file_size = p.stat().st_size
        sb = _h5file.superblock(_head(p))
        new_writer = sb is not None and sb[0] == _h5file.USERBLOCK  # tail slots carry a commit checksum
        f, view = _open_file(p)
        try:
            return _layout(f, p, file_size, strict, trusted, fps, new_writer, sealed)
        finally:
            f.close()
            if view is not None:
                view.close()


def _layout(f: h5py.File, p: Path, file_size: int, strict: bool, trusted: bool, fps: float | None,
            new_writer: bool, sealed_record: bool) -> _Layout:
    ds = _check_container(f, p, trusted)
    a = ds.attrs
    h = _int_attr(a, _Names.height, p, 1, MAX_SIDE)
    w = _int_attr(a, _Names.width, p, 1, MAX_SIDE)
    if ds.shape[1] != _bits.frame_nbytes(h, w):
        raise FormatError(f"{p}: /{_Names.dataset} rows have {ds.shape[1]} bytes but height={h}, width={w} "
                          f"need {_bits.frame_nbytes(h, w)}; the attributes are wrong, "
                          f"fix them with h5py or rewrite the file")
    stored = ds.shape[0]
    n = _typed(_attr(a, _Names.n_frames, p), int, _Names.n_frames, p)
    sealed = _typed(_attr(a, _Names.sealed, p, default=True), bool, _Names.sealed, p)
    rows = ds.chunks[0] if ds.chunks else max(n, 1)
    n_main = n if sealed else n - n % rows
    if n < 0 or n_main > stored:
        raise FormatError(f"{p}: n_frames={n} but /{_Names.dataset} holds {stored} frames; the file is "
                          f"damaged; run 'spikevision salvage' to copy the frames it holds")
    problems, lost, tail = [], [], None
    if not sealed:
        problems.append("the recording was not closed (the writer was killed or crashed)")
    if n > n_main:
        tail, why = _tail_frames(f, ds, n, n_main, p, trusted, new_writer)
        if why:
            lost.append((n_main, n, why))
            tail = None
        elif _Names.commit not in f[_Names.tails[n % 2]].attrs:
            problems.append(f"frames {n_main}..{n - 1} come from a tail slot without a checksum (written by an "
                            f"older spikevision) and are not verified")
    main_recorded, valid_tail = n_main, tail
    if ds.file.id != f.id:  # followed an external link (trusted=True): chunks lie in the target file
        file_size = os.path.getsize(ds.file.filename)
    good = _first_missing_chunk(ds, n_main, file_size, sealed_record)
    if good < n_main:
        lost.insert(0, (good, n, "chunks missing from the chunk index"))
        n_main, tail = good, None
    if stored > n_main and sealed and not lost:
        problems.append(f"{stored - n_main} frame(s) after the last commit point (n_frames={n}) were not "
                        f"committed (the recording was interrupted)")
    elif stored > n and not sealed:
        problems.append(f"{stored - n} frame(s) after the last commit point (n_frames={n}) were not committed")
    for first, stop, why in lost[:1]:
        problems.append(f"frames {first}..{stop - 1} of {n} are lost ({why})")
    kept = n_main + (0 if tail is None else len(tail))
    warns = []
    if problems:
        msg = f"{p}: {'; '.join(problems)}"
        if strict:
            cls = TruncatedFileError if not lost else FormatError
            raise cls(msg + "; pass strict=False to read the committed frames"
                      + ("" if not lost else " that are intact, or run 'spikevision salvage'"))
        warns.append(f"{msg}; reading the {kept} committed frames")
    stored_fps = _typed(_attr(a, _Names.fps, p), float, _Names.fps, p)
    prov_text = _typed(_attr(a, _Names.provenance, p, default="{}"), str, _Names.provenance, p) or "{}"
    try:
        prov = json.loads(prov_text)
        if not isinstance(prov, dict):
            prov = {"raw": prov}
    except (json.JSONDecodeError, RecursionError):
        prov = {"raw": prov_text[:1000]}
    lifted = {k: prov[k] for k in ("label", "label_name") if k in prov}  # UHSR labels survive npz -> h5 -> npz
    version = _typed(f.attrs.get(_Names.version, 0), int, _Names.version, p)
    t0 = _typed(_attr(a, _Names.t0, p, default=0.0), float, _Names.t0, p)
    sensor = _typed(_attr(a, _Names.sensor, p, default=""), str, _Names.sensor, p) or None
    flip = _typed(_attr(a, _Names.flip, p, default=False), bool, _Names.flip, p)
    cfa = _typed(_attr(a, _Names.cfa, p, default=""), str, _Names.cfa, p) or None
    try:
        meta = StreamMeta(
            fps=float(fps) if fps is not None else stored_fps, t0=t0, sensor=sensor, flip=flip, cfa=cfa,
            provenance={"format": "h5", "path": str(p), "version": version, "source": prov, **lifted,
                        **({"fps_stored": stored_fps} if fps is not None else {})},
        )
    except ValueError as e:
        raise FormatError(f"{p}: bad metadata attribute: {e}; fix it with h5py or pass fps=") from e
    return _Layout(kept, h, w, n_main, tail, meta, warns, lost, n, main_recorded, valid_tail, sealed_record)


def _check_fill_reads(ds: h5py.Dataset, got: np.ndarray, start: int, path) -> None:
    """Raise when a chunk read as the fill value is not found by a direct lookup.

    A damaged, unchecksummed (pre-v110) chunk B-tree can list a chunk that the read path's
    key search misses; libhdf5 then returns the fill value without an error. Only blocks that
    read as all fill are checked (one raw chunk read each), so intact data costs nothing.
    """
    rows = ds.chunks[0] if ds.chunks else None
    if rows is None or ds.id.get_create_plist().get_external_count():
        return
    fill = ds.fillvalue
    first = start - start % rows
    for r in range(first, start + len(got), rows):
        lo, hi = max(r, start) - start, min(r + rows, start + len(got)) - start
        if not (got[lo:hi] == fill).all():
            continue
        for c in range(0, ds.shape[1], ds.chunks[1]):
            try:
                ds.id.read_direct_chunk((r, c))
            except _FOREIGN as e:
                raise FormatError(f"{path}: frames {r}..{min(r + rows, ds.shape[0]) - 1} cannot be found through "
                                  f"the chunk index (it is damaged: {str(e).splitlines()[0]}); run 'spikevision "
                                  f"salvage' to copy the intact frames") from e


class H5Source:
    """Frames of a spikevision HDF5 file, read lazily chunk by chunk.

    Only the chunks holding the requested frames are read and decompressed.
    Frames ``>= n_main`` (the tail of an unsealed recording, less than one chunk)
    are held in memory in ``tail``, read when the file was opened, so the stream
    stays the same while a writer in this process goes on appending.
    Picklable (the file is reopened by path), so streams travel to process
    pools and Dask workers.
    """

    def __init__(self, path: str | os.PathLike, n_frames: int, height: int, width: int, *,
                 n_main: int | None = None, tail: np.ndarray | None = None, verified: bool = True):
        self.path = os.fspath(path)
        self.verified = verified  # the chunk index is known intact (seal record); else fill-valued reads are checked
        self.n_frames = int(n_frames)
        self.height = int(height)
        self.width = int(width)
        self.n_main = self.n_frames if n_main is None else int(n_main)
        self.frame_bytes = _bits.frame_nbytes(self.height, self.width)
        self.tail = tail if tail is not None else np.zeros((0, self.frame_bytes), np.uint8)
        if self.tail.shape != (self.n_frames - self.n_main, self.frame_bytes):
            raise ValueError(f"tail must hold frames [{self.n_main}, {self.n_frames}), got {self.tail.shape}")
        self._file: h5py.File | None = None
        self._view: _h5file.CrashView | None = None
        self._ds: h5py.Dataset | None = None

    def _dataset(self) -> h5py.Dataset:
        if self._ds is None:
            p = Path(self.path)
            self._file, self._view = _open_file(p)
            with _boundary(p, "the file structure"):
                ds = self._file[_Names.dataset]
                if ds.ndim != 2 or ds.shape[0] < self.n_main or ds.shape[1] != self.frame_bytes:
                    self.close()
                    raise FormatError(f"{self.path}: file changed since it was opened; open it again")
            self._ds = ds
        return self._ds

    def _check_range(self, start: int, stop: int) -> None:
        if not 0 <= start <= stop <= self.n_frames:
            raise IndexError(f"frames [{start}, {stop}) out of range for {self.n_frames} frames")

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        """Canonical packed frames [start, stop) as (n, ceil(H*W/8)) uint8."""
        self._check_range(start, stop)
        out = np.empty((stop - start, self.frame_bytes), dtype=np.uint8)
        if stop == start:
            return out
        a = min(stop, self.n_main)
        if start < a:
            ds = self._dataset()
            try:
                ds.read_direct(out, np.s_[start:a], np.s_[0 : a - start])
                if not self.verified:
                    _check_fill_reads(ds, out[: a - start], start, self.path)
            except SpikevisionError:
                raise
            except _FOREIGN as e:
                raise FormatError(f"{self.path}: cannot read frames {start}..{a - 1} ({str(e).splitlines()[0]}); "
                                  f"the file is damaged there (checksum or decompression failed); run "
                                  f"'spikevision salvage' to copy the intact frames, or copy it again") from e
        if stop > self.n_main:
            b = max(start, self.n_main)
            out[b - start :] = self.tail[b - self.n_main : stop - self.n_main]
        return out

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Display-oriented frames [start, stop) as (n, H, W) uint8."""
        return _bits.unpack_frames(self.read_packed(start, stop), self.height, self.width, out=out)

    def close(self) -> None:
        """Close the file (it is reopened on the next read)."""
        self._ds = None
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None
        if self._view is not None:
            with contextlib.suppress(Exception):
                self._view.close()
            self._view = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_file"] = state["_ds"] = state["_view"] = None
        return state

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()


def structure(path: str | os.PathLike, *, strict: bool = False, trusted: bool = False,
              fps: float | None = None) -> _Layout:
    """The checked structure of ``path``, inspected in-process for a file spikevision sealed, else in a child.

    A file whose seal record matches (written and closed cleanly by spikevision, in HDF5
    format v110 whose metadata libhdf5 checksums) is inspected in this process. Any other
    file (a killed recording, a damaged or foreign file) is inspected in a child process
    with a timeout (:func:`spikevision.io._h5probe.contained`), so a libhdf5 hang or crash
    on damaged metadata becomes a :class:`FormatError`.
    """
    p = regular_file(path, "spikevision HDF5 file")  # a FIFO would block libhdf5 forever
    try:
        sealed = _h5file.seal_ok(p)
    except OSError:
        sealed = False
    if sealed:
        return _inspect(p, strict, trusted, fps, True)
    return contained(_inspect, (p, strict, trusted, fps), p, "reading the file structure")


def _merge_ranges(ranges: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for a, b, why in ranges:
        if out and out[-1][1] == a and out[-1][2] == why:
            out[-1] = (out[-1][0], b, why)
        else:
            out.append((a, b, why))
    return out


def _scan(path: Path, trusted: bool) -> dict:
    """Read every chunk of the recorded range (in the probe child): which frames are intact, which are damaged."""
    lay = _inspect(path, strict=False, trusted=trusted)
    f, view = _open_file(path)
    try:
        with _boundary(path, "the frames"):
            ds = f[_Names.dataset]
            rows = ds.chunks[0] if ds.chunks else max(lay.main_recorded, 1)
            complete = _complete_blocks(ds, lay.main_recorded, path.stat().st_size, lay.verified)
            blocks = range(-(-lay.main_recorded // rows)) if complete is None else sorted(complete)
            buf = np.empty((rows, ds.shape[1]), np.uint8)
            ranges = []
            at = 0  # frames [at, a) before the next complete block are missing from the index
            for i in blocks:
                a, b = i * rows, min(i * rows + rows, lay.main_recorded)
                if a > at:
                    ranges.append((at, a, "missing from the chunk index"))
                at = b
                try:
                    ds.read_direct(buf, np.s_[a:b], np.s_[0 : b - a])
                    _check_fill_reads(ds, buf[: b - a], a, path)
                    ranges.append((a, b, ""))
                except FormatError:
                    ranges.append((a, b, "missing from the chunk index"))
                except _FOREIGN:
                    ranges.append((a, b, "checksum or decompression failed"))
            if at < lay.main_recorded:
                ranges.append((at, lay.main_recorded, "missing from the chunk index"))
    finally:
        f.close()
        if view is not None:
            view.close()
    if lay.recorded > lay.main_recorded:
        why = next((w for a, b, w in lay.lost if b == lay.recorded and a == lay.main_recorded), "")
        if lay.valid_tail is None and not why:
            why = "tail slot damaged"
        ranges.append((lay.main_recorded, lay.recorded, "" if lay.valid_tail is not None else why))
    return {"layout": lay, "ranges": _merge_ranges(ranges)}


def scan(path: str | os.PathLike, *, trusted: bool = False) -> dict:
    """Check a spikestream file end to end, in a child process with a timeout (libhdf5 may hang or crash).

    Returns ``{"layout": ..., "ranges": [(first, stop, why), ...]}``: the recorded frames
    split into ranges, ``why`` empty for intact frames (every chunk read and its Fletcher-32
    checksum verified; the tail of a killed recording verified by its CRC32). Raises
    :class:`FormatError` when the structure itself cannot be read.
    """
    p = Path(path)
    return contained(_scan, (p, trusted), p, "checking every chunk")


def salvage_source(path: str | os.PathLike, found: dict) -> H5Source:
    """A source over every recorded frame of a scanned file (read only the intact ranges of ``found``)."""
    lay = found["layout"]
    tail = lay.valid_tail
    n = lay.main_recorded + (0 if tail is None else len(tail))
    return H5Source(path, n, lay.height, lay.width, n_main=lay.main_recorded, tail=tail, verified=lay.verified)


def read(path: str | os.PathLike, *, fps: float | None = None, strict: bool = False,
         trusted: bool = False) -> SpikeStream:
    """Open a spikevision HDF5 file lazily as a :class:`SpikeStream`.

    Args:
        path: the ``.h5`` file.
        fps: override the stored readout rate.
        strict: raise for a recording that was not closed (killed or crashed), holds
            uncommitted frames or lost frames to damage (:class:`TruncatedFileError` or
            :class:`FormatError`); by default the committed, intact frames are read with a
            warning that names the frames lost.
        trusted: follow external links, external raw storage and virtual datasets (refused
            by default: a spikestream file holds its own data).
    """
    p = Path(path)
    lay = structure(p, strict=strict, trusted=trusted, fps=fps)
    for msg in lay.warnings:
        warnings.warn(msg, stacklevel=3)
    src = H5Source(p, lay.n, lay.height, lay.width, n_main=lay.n_main, tail=lay.tail, verified=lay.verified)
    return SpikeStream(src, lay.meta)


def write(path: str | os.PathLike, stream: SpikeStream, *, compression: str | None = "lzf",
          block_frames: int = 1024) -> None:
    """Write ``stream`` to a spikevision HDF5 file atomically, block by block in constant memory.

    Args:
        path: output file; replaced if it exists.
        stream: the spikes and their metadata (fps, t0, sensor, cfa, flip, provenance).
        compression: "lzf" (default), "gzip", "gzip:1".."gzip:9" or None.
        block_frames: frames per block (a chunk is the block or a divisor of it, at most 1 MiB).
    """
    m = stream.meta
    with H5Writer(path, stream.height, stream.width, fps=stream.fps, t0=stream.t0, sensor=m.sensor, cfa=m.cfa,
                  flip=m.flip, provenance=m.provenance, block_frames=block_frames, compression=compression,
                  atomic=True, overwrite=True) as w:
        for block in stream.iter_packed(block_frames):
            w.append_packed(block)


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True when ``path`` starts with an HDF5 signature (at 0 or a user-block offset: 512 ... 4096)."""
    if 0 < len(head) < _HEAD_BYTES and path is not None:
        with contextlib.suppress(OSError):
            full = _head(Path(path))
            head = full if full.startswith(head) else head  # only extend the bytes we were given
    return any(head[o : o + 8] == HDF5_SIGNATURE for o in (0, 512, 1024, 2048, 4096) if len(head) >= o + 8)
