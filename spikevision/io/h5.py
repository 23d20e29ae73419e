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
import math
import os
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .. import _bits
from ..errors import FormatError, OutputError, SpikevisionError, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, StreamMeta
from . import _h5file
from ._atomic import PendingFile, check_output_path
from ._h5probe import contained

__all__ = ["H5Writer", "H5Source", "read", "structure", "scan", "salvage_source", "write", "sniff", "OPTIONS",
           "WRITE_OPTIONS", "FORMAT_NAME",
           "FORMAT_VERSION"]

log = logging.getLogger(__name__)

OPTIONS = ("fps", "strict", "trusted")
WRITE_OPTIONS = ("compression", "block_frames")

FORMAT_NAME = "spikestream"
FORMAT_VERSION = 1

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: largest chunk in bytes; a block of frames bigger than this is split into several chunks
CHUNK_MAX_BYTES = 1 << 20
#: chunk cache of a reader (holds a few chunks, so reads that straddle a chunk decompress it once)
READ_CACHE_BYTES = 4 * CHUNK_MAX_BYTES


class _Names:
    """Every name stored in the file, in one place."""

    format = "spikevision_format"  # root attribute
    version = "spikevision_version"  # root attribute
    dataset = "spikes"
    tails = ("spikes_tail0", "spikes_tail1")
    n_frames = "n_frames"
    sealed = "sealed"
    height = "height"
    width = "width"
    fps = "fps"
    t0 = "t0"
    flip = "flip"
    sensor = "sensor"
    cfa = "cfa"
    provenance = "provenance"
    bit_order = "bit_order"
    commit = "commit"  # attribute of a tail slot: int64 [n_frames, CRC32 of its committed rows]
    labels = "labels"  # attribute of /spikes: JSON of extra labels (e.g. label, label_name of UHSR .npz)


BIT_ORDER = ("canonical: frame = display-oriented (H, W) bit plane, row-major; pixel k = r*W + c is bit k%8 "
             "(LSB first) of byte k//8 = np.packbits(frame.ravel(), bitorder='little')")


def _json_default(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.ndarray) and v.size <= 64:
        return v.tolist()
    return str(v)


def _compression_args(compression: str | None) -> dict[str, Any]:
    if compression is None or compression == "none":
        return {}
    if compression == "lzf":
        return {"compression": "lzf"}
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": 4}
    if isinstance(compression, str) and compression.startswith("gzip:"):
        level = compression[5:]
        if level.isdigit() and 1 <= int(level) <= 9:
            return {"compression": "gzip", "compression_opts": int(level)}
    raise ValueError(f"unknown compression {compression!r}; choose 'lzf' (fast, default), 'gzip' (smaller), "
                     f"'gzip:1'..'gzip:9' or None")


def chunk_frames(block_frames: int, frame_bytes: int) -> int:
    """Frames per HDF5 chunk: the block, or a divisor of it of at most :data:`CHUNK_MAX_BYTES`.

    Small chunks keep random access cheap (a 16-frame window decompresses one
    chunk); a divisor of the block keeps every block commit chunk-aligned.
    """
    fit = max(1, CHUNK_MAX_BYTES // max(1, frame_bytes))
    if block_frames <= fit:
        return block_frames
    best = max(d for d in range(1, fit + 1) if block_frames % d == 0)
    return best if 2 * best >= fit else fit


class H5Writer:
    """Append packed spike frames to a spikevision HDF5 file, committing block by block.

    Frames are buffered in memory and committed every ``block_frames`` frames and
    on :meth:`flush`. With ``atomic=False`` (recording) the file is written in
    place and each commit is durable against the process being killed at any
    moment (see the module notes); with ``atomic=True`` (:func:`write`,
    ``sv.save``) a temporary file is renamed onto ``path`` by :meth:`close` and
    removed if the writer fails. Leaving a ``with`` block on an exception keeps
    every appended frame (``atomic=False``) or writes nothing (``atomic=True``).

    Args:
        path: output file (``.h5``).
        height, width: frame size in pixels (display orientation).
        fps: readout rate in Hz; t0: time of frame 0 in seconds.
        sensor: sensor or dataset name; cfa: Bayer pattern ("bggr", ...) or None.
        flip: the row convention of the source (recorded for provenance only).
        provenance: JSON-serialisable description of the origin.
        block_frames: frames per commit (a chunk is the block or a divisor of it, at most 1 MiB).
        compression: "lzf" (default), "gzip", "gzip:1".."gzip:9" or None.
        atomic: write to a temporary file and rename on close.
        overwrite: replace an existing file (otherwise :class:`OutputError`).

    Example:
        >>> with H5Writer("rec.h5", 250, 400) as w:   # doctest: +SKIP
        ...     for block in camera:
        ...         w.append_packed(block)
    """

    def __init__(self, path: str | os.PathLike, height: int, width: int, fps: float = DEFAULT_FPS, *,
                 t0: float = 0.0, sensor: str | None = None, cfa: str | None = None, flip: bool = False,
                 provenance: dict | None = None, block_frames: int = 1024, compression: str | None = "lzf",
                 atomic: bool = False, overwrite: bool = False):
        if not (isinstance(height, (int, np.integer)) and isinstance(width, (int, np.integer))
                and height > 0 and width > 0):
            raise ValueError(f"height and width must be positive integers, got {height!r} x {width!r}")
        if not (isinstance(block_frames, (int, np.integer)) and block_frames >= 1):
            raise ValueError(f"block_frames must be a positive integer, got {block_frames!r}")
        StreamMeta(fps=float(fps), cfa=cfa)  # validates fps and cfa (ValueError naming the problem)
        comp = _compression_args(compression)
        try:
            prov_json = json.dumps(provenance or {}, default=_json_default)
        except (TypeError, ValueError) as e:
            raise ValueError(f"provenance must be a JSON-serialisable dict: {e}") from None
        self.path = Path(path)
        self.height, self.width = int(height), int(width)
        self.frame_bytes = _bits.frame_nbytes(self.height, self.width)
        self.block_frames = int(block_frames)
        self.chunk_frames = chunk_frames(self.block_frames, self.frame_bytes)
        self.atomic = atomic
        self._pad_mask = np.uint8((1 << ((self.height * self.width) % 8 or 8)) - 1)
        # frames [main_len, main_len + npend) not yet in /spikes: committed tail first, then uncommitted
        self._pend = np.empty((self.block_frames + self.chunk_frames, self.frame_bytes), dtype=np.uint8)
        self._npend = 0
        self._main_len = 0
        self._committed = 0
        self._closed = True  # until the file exists
        self._file: h5py.File | None = None
        self._raw: _h5file.GuardedFile | None = None
        self._pending: PendingFile | None = None
        if atomic:
            self._pending = PendingFile(self.path, overwrite=overwrite)
            target = self._pending.tmp
            mode = "w+b"
        else:
            check_output_path(self.path, overwrite=overwrite)
            target = self.path
            mode = "w+b" if overwrite else "x+b"
        self._target = Path(target)
        try:
            self._file = self._create(target, mode, comp, fps, t0, sensor, cfa, flip, prov_json)
            self._closed = False
        except BaseException as e:
            self._abort()
            if not atomic and self._raw is not None:  # we created it and it never held a frame
                with contextlib.suppress(OSError):
                    self.path.unlink()
            if isinstance(e, (OSError, RuntimeError)) and not isinstance(e, OutputError):
                raise self._failed(e, created=False) from e
            raise

    def _create(self, target, mode, comp, fps, t0, sensor, cfa, flip, prov_json) -> h5py.File:
        self._raw = _h5file.GuardedFile(target, mode)
        # format v110: checksummed metadata (superblock, object headers, chunk index); user block: the seal record
        f = h5py.File(self._raw, "w", libver=("v110", "v110"), userblock_size=_h5file.USERBLOCK)
        self._file = f
        f.attrs[_Names.format] = FORMAT_NAME
        f.attrs[_Names.version] = FORMAT_VERSION
        ds = f.create_dataset(_Names.dataset, shape=(0, self.frame_bytes), maxshape=(None, self.frame_bytes),
                              dtype=np.uint8, chunks=(self.chunk_frames, self.frame_bytes), fletcher32=True, **comp)
        a = ds.attrs
        a[_Names.height] = self.height
        a[_Names.width] = self.width
        a[_Names.fps] = float(fps)
        a[_Names.t0] = float(t0)
        a[_Names.flip] = bool(flip)
        a[_Names.sensor] = sensor or ""
        a[_Names.cfa] = cfa or ""
        a[_Names.provenance] = prov_json
        a[_Names.bit_order] = BIT_ORDER
        a[_Names.sealed] = False
        a[_Names.n_frames] = np.int64(0)
        self._ds = ds
        self._tails = []
        if not self.atomic:  # allocated now, so commits never change the group structure
            for name in _Names.tails:
                self._tails.append(f.create_dataset(name, data=np.zeros((self.chunk_frames, self.frame_bytes),
                                                                        np.uint8)))
        f.flush()
        self._check_io()
        return f

    # --- state ------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        """Frames appended so far (committed + buffered)."""
        return self._main_len + self._npend

    @property
    def committed_frames(self) -> int:
        """Frames a reader would see if the process died now."""
        return self._committed

    @property
    def closed(self) -> bool:
        return self._closed

    # --- appending --------------------------------------------------------
    def append_packed(self, packed: np.ndarray) -> None:
        """Append canonical packed frames ``(n, ceil(H*W/8))`` uint8 (a single ``(F,)`` frame is accepted)."""
        self._check_open()
        packed = np.asarray(packed)
        if packed.ndim == 1 and packed.shape[0] == self.frame_bytes:
            packed = packed[None]
        if packed.dtype != np.uint8 or packed.ndim != 2 or packed.shape[1] != self.frame_bytes:
            raise ValueError(f"packed frames must be (n, {self.frame_bytes}) uint8 for {self.height}x{self.width}, "
                             f"got {packed.shape} {packed.dtype}; pack (n, H, W) spikes with append()")
        i, n = 0, packed.shape[0]
        while i < n:
            uncommitted = self.n_frames - self._committed
            m = min(n - i, self.block_frames - uncommitted)
            dst = self._pend[self._npend : self._npend + m]
            dst[:] = packed[i : i + m]
            if self._pad_mask != 0xFF:
                dst[:, -1] &= self._pad_mask
            self._npend += m
            i += m
            if uncommitted + m == self.block_frames:
                self._commit()

    def append(self, frames: np.ndarray) -> None:
        """Append ``(n, H, W)`` (or one ``(H, W)``) spike frames; nonzero counts as a spike."""
        self._check_open()
        frames = np.asarray(frames)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.ndim != 3 or frames.shape[1:] != (self.height, self.width):
            raise ValueError(f"frames must be (n, {self.height}, {self.width}), got {frames.shape}")
        if frames.shape[0]:
            self.append_packed(_bits.pack_frames(frames))

    def flush(self) -> None:
        """Write buffered frames and commit: after this returns, a crash keeps every frame appended so far."""
        self._check_open()
        if self.n_frames > self._committed:
            self._commit()

    # --- committing -------------------------------------------------------
    def _commit(self) -> None:
        total = self.n_frames
        try:
            if self.atomic:
                self._write_main(total)  # a temporary file: chunks may be rewritten, no flush needed
                self._check_io()
                self._set_n_frames(total, flush=False)
                return
            r = self.chunk_frames
            c = self._committed
            if c % r and total % r and c % 2 == total % 2:
                # the tail slot for ``total`` holds the committed tail: commit total-1 (the other slot) first
                self._commit_to(total - 1)
            self._commit_to(total)
        except (OSError, RuntimeError) as e:  # the writer is unusable now; an in-place file keeps its commits
            raise self._failed(e) from e

    def _check_io(self) -> None:
        """Raise the first failed write of the file (libhdf5 was not told: see :mod:`._h5file`)."""
        if self._raw is not None and self._raw.failed is not None:
            raise OSError(self._raw.failed.errno, self._raw.failed.strerror)

    def _reason(self, e: BaseException) -> str:
        failed = self._raw.failed if self._raw is not None else None
        return (failed.strerror or str(failed)) if failed is not None else str(e).split("\n")[0]

    def _failed(self, e: BaseException, created: bool = True) -> OutputError:
        """Abort after a failed write; the error names the file, the cause, the bytes written and the free space."""
        reason = self._reason(e)
        written = self._raw.written if self._raw is not None else 0
        self._abort()
        free = _h5file.free_bytes(self.path)
        kept = ("nothing was written" if self.atomic or not created
                else f"the {self._committed} committed frames stay readable")
        room = f", {free:,} bytes free there" if free is not None else ""
        return OutputError(f"writing {self.path} failed: {reason} after {written:,} bytes{room}; check free disk "
                           f"space and file size limits ({kept})")

    def _commit_to(self, total: int) -> None:
        """Crash-safe commit of frames [0, total): whole chunks to /spikes once, the rest to a free tail slot."""
        full = total - total % self.chunk_frames
        if full > self._main_len:
            self._write_main(full)
        tail = total - full
        if tail:
            slot = self._tails[total % 2]
            slot[:tail] = self._pend[:tail]
            slot.attrs[_Names.commit] = np.array([total, zlib.crc32(self._pend[:tail])], np.int64)
        self._file.flush()  # frames reach the file before the commit point moves
        self._check_io()  # ... or the commit point stays where it is
        self._set_n_frames(total, flush=True)

    def _write_main(self, stop: int) -> None:
        """Append pending frames [main_len, stop) to /spikes and drop them from the pending buffer."""
        k = stop - self._main_len
        self._ds.resize(stop, axis=0)
        self._ds[self._main_len : stop] = self._pend[:k]
        rest = self._npend - k
        self._pend[:rest] = self._pend[k : self._npend]
        self._npend = rest
        self._main_len = stop

    def _set_n_frames(self, total: int, flush: bool) -> None:
        self._ds.attrs[_Names.n_frames] = np.int64(total)
        if flush:
            self._file.flush()
            self._check_io()
        self._committed = total

    def _seal(self) -> None:
        """Move the committed tail into /spikes and mark the file sealed (all frames in /spikes)."""
        if self._main_len < self._committed:
            self._write_main(self._committed)
            self._file.flush()
        self._ds.attrs[_Names.sealed] = True
        self._file.flush()

    # --- closing ----------------------------------------------------------
    def close(self) -> None:
        """Commit buffered frames, seal and close the file and (atomic) rename it into place; idempotent."""
        if self._closed:
            return
        try:
            self.flush()
            self._seal()
            self._file.close()
            self._check_io()
            self._raw.close()
            _h5file.write_seal(self._target, _data_spans(self._target))
        except (OSError, RuntimeError) as e:
            raise self._failed(e) from e
        except BaseException:
            self._abort()
            raise
        self._closed = True
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.commit()
        log.debug("wrote %d frames to %s", self._committed, self.path)

    def _abort(self) -> None:
        """Close without committing; an atomic writer removes its temporary file."""
        self._closed = True
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
        if self._raw is not None:
            with contextlib.suppress(Exception):
                self._raw.close()
        if self._pending is not None:
            pending, self._pending = self._pending, None
            with contextlib.suppress(OSError):
                pending.discard()

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"H5Writer for {self.path} is closed")

    def __enter__(self) -> H5Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        elif self.atomic:
            self._abort()
        else:  # recording: keep what was appended before the error
            try:
                self.close()
            except Exception:
                log.exception("could not commit the last frames of %s", self.path)

    def __del__(self):
        if getattr(self, "_closed", True):
            return
        with contextlib.suppress(Exception):
            if self.atomic:
                self._abort()
            else:
                self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"H5Writer({str(self.path)!r}, {self.height}x{self.width}, n_frames={self.n_frames}, {state})"


def _data_spans(path: Path) -> list[tuple[int, int]]:
    """Byte ranges of the raw frame storage of a file this process just wrote and closed cleanly."""
    spans: list[tuple[int, int]] = []
    with h5py.File(path, "r") as f:
        for name in (_Names.dataset, *_Names.tails):
            ds = f.get(name)
            if ds is None:
                continue
            if ds.chunks:
                ds.id.chunk_iter(lambda i: spans.append((i.byte_offset, i.byte_offset + i.size)))
            elif ds.id.get_offset() is not None:
                spans.append((ds.id.get_offset(), ds.id.get_offset() + ds.id.get_storage_size()))
    return spans


# --- reading ---------------------------------------------------------------
#: largest frame side and chunk a reader accepts: damaged sizes never drive an allocation
MAX_SIDE = 1 << 16
MAX_CHUNK_BYTES = 1 << 28
#: what h5py and numpy raise on damaged content; converted to spikevision errors at the reader boundary
_FOREIGN = (OSError, RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError, OverflowError,
            MemoryError, SystemError)
_HEAD_BYTES = 4096 + 64


def _translate(p: Path, e: BaseException, what: str) -> FormatError:
    msg = str(e).split("\n")[0] or type(e).__name__
    low = msg.lower()
    if "truncated file" in low:
        try:
            size = f"{p.stat().st_size:,} bytes on disk"
        except OSError:
            size = "size unknown"
        return TruncatedFileError(f"{p}: HDF5 file is truncated ({size}, the file says it needs more: {msg}); "
                                  f"the copy or download is incomplete, copy it again (or run 'spikevision salvage')")
    if "lock" in low or "already open" in low:
        return FormatError(f"{p}: file is open for writing ({msg}); close the writer or wait until the recording "
                           f"ends, or copy the file and open the copy (it holds the committed frames)")
    if "signature" in low or "not an hdf5" in low:
        return FormatError(f"{p}: not an HDF5 file ({msg}); check the file or pass format= for its real format")
    return FormatError(f"{p}: cannot read {what} ({type(e).__name__}: {msg}); the file is damaged; run "
                       f"'spikevision verify {p}' to see what is recoverable and 'spikevision salvage' to copy it")


@contextlib.contextmanager
def _boundary(p: Path, what: str):
    """Turn anything h5py or numpy raises on damaged content into a spikevision error naming the file."""
    try:
        yield
    except SpikevisionError:
        raise
    except _FOREIGN as e:
        raise _translate(p, e, what) from e


def _head(p: Path) -> bytes:
    with open(p, "rb") as fh:
        return fh.read(_HEAD_BYTES)


def _open_file(path: str | os.PathLike) -> tuple[h5py.File, _h5file.CrashView | None]:
    """The file opened read-only, through a :class:`CrashView` when its superblock still says "open for writing"."""
    p = Path(path)
    with _boundary(p, "the HDF5 superblock"):
        sb = _h5file.superblock(_head(p))
        if sb is not None and sb[1] >= 2 and sb[2] and sb[3]:
            view = _h5file.CrashView(p)
            try:
                return h5py.File(view, "r", rdcc_nbytes=READ_CACHE_BYTES, rdcc_nslots=1021), view
            except BaseException:
                view.close()
                raise
        return h5py.File(p, "r", rdcc_nbytes=READ_CACHE_BYTES, rdcc_nslots=1021), None


def _attr(attrs, name: str, path, default=None):
    if name in attrs:
        v = attrs[name]
        if isinstance(v, np.ndarray) and v.shape == ():
            v = v[()]
        if isinstance(v, bytes):
            try:
                return v.decode()
            except UnicodeDecodeError:
                raise FormatError(f"{path}: attribute {name!r} is not UTF-8 text; the file is damaged") from None
        return v
    if default is not None:
        return default
    raise FormatError(f"{path}: /{_Names.dataset} has no {name!r} attribute; the file is not a complete "
                      f"spikevision container (rewrite it with spikevision.save)")


def _typed(v, kind: type, name: str, path):
    ok = {int: (int, np.integer), float: (int, float, np.integer, np.floating), bool: (bool, np.bool_, int, np.integer),
          str: (str,)}[kind]
    if isinstance(v, (bool, np.bool_)) and kind in (int, float):
        ok = ()
    if not isinstance(v, ok):
        raise FormatError(f"{path}: attribute {name!r} is {type(v).__name__} {v!r:.60}, not {kind.__name__}; the "
                          f"file is damaged or was not written by spikevision; fix the attribute with h5py or "
                          f"rewrite the file")
    v = kind(v)
    if kind is float and not math.isfinite(v):
        raise FormatError(f"{path}: attribute {name!r} is {v}; the file is damaged; pass fps= or fix it with h5py")
    return v


def _int_attr(attrs, name: str, path, lo: int, hi: int) -> int:
    v = _typed(_attr(attrs, name, path), int, name, path)
    if not lo <= v <= hi:
        raise FormatError(f"{path}: attribute {name}={v} is outside [{lo}, {hi}]; the file is damaged; run "
                          f"'spikevision verify {path}'")
    return v


def _check_link(f: h5py.File, name: str, path, trusted: bool) -> bool:
    """True when ``name`` exists as a hard link; external and soft links are refused unless ``trusted``."""
    link = f.get(name, getlink=True)
    if link is None:
        return False
    if not isinstance(link, h5py.HardLink) and not trusted:
        where = (f"{link.filename}:{link.path}" if isinstance(link, h5py.ExternalLink)
                 else getattr(link, "path", "?"))
        raise FormatError(f"{path}: /{name} is a {type(link).__name__} to {where}; a spikestream file holds its "
                          f"own data, so it is not followed; pass trusted=True if you trust its target, or "
                          f"rewrite the file with spikevision.save")
    return True


def _check_dataset(obj, name: str, path, trusted: bool) -> h5py.Dataset:
    if not isinstance(obj, h5py.Dataset) or obj.ndim != 2 or obj.dtype != np.uint8:
        raise FormatError(f"{path}: /{name} must be a 2-D uint8 dataset of packed frames, got "
                          f"{getattr(obj, 'shape', '?')} {getattr(obj, 'dtype', type(obj).__name__)}; "
                          f"rewrite the file with spikevision.save")
    if not trusted:
        if obj.is_virtual:
            raise FormatError(f"{path}: /{name} is a virtual dataset (its frames live in other files); pass "
                              f"trusted=True if you trust them, or rewrite the file with spikevision.save")
        if obj.id.get_create_plist().get_external_count():
            raise FormatError(f"{path}: /{name} stores its frames in external raw files; pass trusted=True if you "
                              f"trust them, or rewrite the file with spikevision.save")
    if obj.shape[1] > MAX_SIDE * MAX_SIDE // 8 or (obj.chunks and obj.chunks[0] * obj.shape[1] > MAX_CHUNK_BYTES):
        raise FormatError(f"{path}: /{name} declares {obj.shape} frames in chunks {obj.chunks}, beyond what a "
                          f"spike stream holds; the file is damaged or not a spike stream")
    return obj


def _check_container(f: h5py.File, path, trusted: bool = False) -> h5py.Dataset:
    fmt = f.attrs.get(_Names.format)
    fmt = fmt.decode(errors="replace") if isinstance(fmt, bytes) else fmt
    has_ds = _check_link(f, _Names.dataset, path, trusted)
    if fmt != FORMAT_NAME or not has_ds:
        found = ", ".join(sorted(f.keys())[:20]) or "nothing"
        missing = []
        if fmt != FORMAT_NAME:
            missing.append(f"root attribute {_Names.format}={FORMAT_NAME!r}")
        if not has_ds:
            missing.append(f"dataset /{_Names.dataset}")
        raise FormatError(
            f"{path}: HDF5 file is not a spikevision spike stream: missing {' and '.join(missing)} "
            f"(top-level objects: {found}); load its spikes yourself and convert, e.g. "
            f"sv.save('out.h5', sv.from_array(h5py.File(path)['<dataset>'][:], fps=...))")
    version = _typed(f.attrs.get(_Names.version, 0), int, _Names.version, path)
    if version > FORMAT_VERSION:
        raise FormatError(f"{path}: spikestream version {version} is newer than this spikevision reads "
                          f"({FORMAT_VERSION}); upgrade spikevision")
    return _check_dataset(f[_Names.dataset], _Names.dataset, path, trusted)


def _mandatory_filters(ds: h5py.Dataset) -> int:
    """Bit mask of the filters a chunk may not skip (all but the optional ones, e.g. LZF on incompressible data)."""
    plist = ds.id.get_create_plist()
    mask = 0
    for i in range(plist.get_nfilters()):
        if not plist.get_filter(i)[1] & h5py.h5z.FLAG_OPTIONAL:
            mask |= 1 << i
    return mask


def _complete_blocks(ds: h5py.Dataset, n_main: int, file_size: int, index_verified: bool = False) -> set[int] | None:
    """Indices of the blocks of ``ds.chunks[0]`` frames below ``n_main`` whose every chunk is in the chunk index,
    lies inside the file and went through every mandatory filter (Fletcher-32 above all); None: all of them.

    ``index_verified`` (the seal record matched): a count of the chunks suffices; otherwise every
    entry is checked, since a damaged index may hold a chunk at a wrong coordinate, twice, or
    with a filter mask that skips the checksum. Memory follows the chunks present, never the
    sizes the file declares.
    """
    if n_main == 0 or ds.id.get_create_plist().get_external_count():
        return None  # nothing to read, or external raw storage (trusted=True): nothing to check here
    if ds.chunks is None:  # contiguous (written elsewhere): all or nothing
        off, size = ds.id.get_offset(), ds.id.get_storage_size()
        return None if off is not None and off + size <= file_size else set()
    rows, cols = ds.chunks
    n_rows, n_cols = -(-n_main // rows), -(-ds.shape[1] // cols)
    if index_verified and ds.id.get_num_chunks() == -(-ds.shape[0] // rows) * n_cols:
        return None  # every chunk of the extent is allocated (libhdf5 checked the file size)
    mandatory = _mandatory_filters(ds)
    good: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    dup: set[int] = set()

    def mark(info) -> None:
        r, c = info.chunk_offset
        if not (r % rows == 0 and c % cols == 0 and 0 <= r // rows < n_rows and 0 <= c // cols < n_cols):
            return
        key = (r // rows, c // cols)
        if key in seen:
            dup.add(key[0])  # two entries at one coordinate: the index is damaged there
        seen.add(key)
        if (info.byte_offset is not None and info.size and info.byte_offset + info.size <= file_size
                and not info.filter_mask & mandatory):
            good[key[0]] = good.get(key[0], 0) + 1

    if hasattr(ds.id, "chunk_iter"):
        ds.id.chunk_iter(mark)
    else:  # pragma: no cover - older h5py
        for i in range(ds.id.get_num_chunks()):
            mark(ds.id.get_chunk_info(i))
    return {r for r, k in good.items() if k == n_cols and r not in dup}


def _first_missing_chunk(ds: h5py.Dataset, n_main: int, file_size: int, index_verified: bool = False) -> int:
    """First frame < ``n_main`` whose chunk is missing from the chunk index (or lies past the end), else n_main."""
    complete = _complete_blocks(ds, n_main, file_size, index_verified)
    if complete is None:
        return n_main
    rows = ds.chunks[0] if ds.chunks else max(n_main, 1)
    k = 0
    while k in complete:
        k += 1
    return min(k * rows, n_main)


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
    p = Path(path)
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
