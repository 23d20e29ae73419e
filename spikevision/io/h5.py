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
  uncompressed one-chunk slots for committed frames that do not fill a chunk yet.

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
holds every committed frame bit-exactly. The file uses the default (widely
readable) HDF5 format version: files written with ``libver="latest"`` or in SWMR
mode refuse to open after a crash until ``h5clear`` is run.

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
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .. import _bits
from ..errors import FormatError, OutputError, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, StreamMeta
from ._atomic import PendingFile, check_output_path

__all__ = ["H5Writer", "H5Source", "read", "write", "sniff", "OPTIONS", "WRITE_OPTIONS", "FORMAT_NAME",
           "FORMAT_VERSION"]

log = logging.getLogger(__name__)

OPTIONS = ("fps", "strict")
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


BIT_ORDER = ("canonical: frame = display-oriented (H, W) bit plane, row-major; pixel k = r*W + c is bit k%8 "
             "(LSB first) of byte k//8 = np.packbits(frame.ravel(), bitorder='little')")


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
            prov_json = json.dumps(provenance or {}, default=str)
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
        self._pending: PendingFile | None = None
        if atomic:
            self._pending = PendingFile(self.path, overwrite=overwrite)
            target = self._pending.tmp
            mode = "w"
        else:
            check_output_path(self.path, overwrite=overwrite)
            target = self.path
            mode = "w" if overwrite else "w-"
        try:
            self._file = self._create(target, mode, comp, fps, t0, sensor, cfa, flip, prov_json)
            self._closed = False
        except BaseException as e:
            self._abort()
            if isinstance(e, OSError) and not isinstance(e, OutputError):
                raise OutputError(f"cannot create {self.path}: {e}; check the path and free disk space") from e
            raise

    def _create(self, target, mode, comp, fps, t0, sensor, cfa, flip, prov_json) -> h5py.File:
        f = h5py.File(target, mode)
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
                self._set_n_frames(total, flush=False)
                return
            r = self.chunk_frames
            c = self._committed
            if c % r and total % r and c % 2 == total % 2:
                # the tail slot for ``total`` holds the committed tail: commit total-1 (the other slot) first
                self._commit_to(total - 1)
            self._commit_to(total)
        except OSError as e:  # the writer is unusable now; an in-place file keeps its committed frames
            self._abort()
            kept = "nothing was written" if self.atomic else f"the {self._committed} committed frames stay readable"
            raise OutputError(f"writing {self.path} failed: {e}; check free disk space ({kept})") from e

    def _commit_to(self, total: int) -> None:
        """Crash-safe commit of frames [0, total): whole chunks to /spikes once, the rest to a free tail slot."""
        full = total - total % self.chunk_frames
        if full > self._main_len:
            self._write_main(full)
        tail = total - full
        if tail:
            self._tails[total % 2][:tail] = self._pend[:tail]
        self._file.flush()  # frames reach the file before the commit point moves
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


# --- reading ---------------------------------------------------------------
def _open_file(path: str | os.PathLike) -> h5py.File:
    p = Path(path)
    try:
        return h5py.File(p, "r", rdcc_nbytes=READ_CACHE_BYTES, rdcc_nslots=1021)
    except OSError as e:
        msg = str(e)
        if "truncated file" in msg:
            size = p.stat().st_size
            raise TruncatedFileError(f"{p}: HDF5 file is truncated ({size:,} bytes on disk, the file says it "
                                     f"needs more: {msg}); the copy or download is incomplete, copy it again") from e
        if "lock" in msg or "already open" in msg:
            raise FormatError(f"{p}: file is open for writing ({msg}); close the writer or wait until the "
                              f"recording ends, or copy the file and open the copy (it holds the committed "
                              f"frames)") from e
        if "signature" in msg or "not an hdf5" in msg.lower():
            raise FormatError(f"{p}: not an HDF5 file ({msg}); check the file or pass format= for its real "
                              f"format") from e
        raise FormatError(f"{p}: cannot open as HDF5 ({msg}); the file may be damaged") from e


def _attr(attrs, name: str, path, default=None):
    if name in attrs:
        v = attrs[name]
        return v.decode() if isinstance(v, bytes) else v
    if default is not None:
        return default
    raise FormatError(f"{path}: /{_Names.dataset} has no {name!r} attribute; the file is not a complete "
                      f"spikevision container (rewrite it with spikevision.save)")


def _check_container(f: h5py.File, path) -> h5py.Dataset:
    fmt = f.attrs.get(_Names.format)
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if fmt != FORMAT_NAME or _Names.dataset not in f:
        found = ", ".join(sorted(f.keys())) or "nothing"
        missing = []
        if fmt != FORMAT_NAME:
            missing.append(f"root attribute {_Names.format}={FORMAT_NAME!r}")
        if _Names.dataset not in f:
            missing.append(f"dataset /{_Names.dataset}")
        raise FormatError(
            f"{path}: HDF5 file is not a spikevision spike stream: missing {' and '.join(missing)} "
            f"(top-level objects: {found}); load its spikes yourself and convert, e.g. "
            f"sv.save('out.h5', sv.from_array(h5py.File(path)['<dataset>'][:], fps=...))")
    version = int(f.attrs.get(_Names.version, 0))
    if version > FORMAT_VERSION:
        raise FormatError(f"{path}: spikestream version {version} is newer than this spikevision reads "
                          f"({FORMAT_VERSION}); upgrade spikevision")
    ds = f[_Names.dataset]
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 2 or ds.dtype != np.uint8:
        raise FormatError(f"{path}: /{_Names.dataset} must be a 2-D uint8 dataset of packed frames, got "
                          f"{getattr(ds, 'shape', '?')} {getattr(ds, 'dtype', type(ds).__name__)}; "
                          f"rewrite the file with spikevision.save")
    return ds


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
                 n_main: int | None = None, tail: np.ndarray | None = None):
        self.path = os.fspath(path)
        self.n_frames = int(n_frames)
        self.height = int(height)
        self.width = int(width)
        self.n_main = self.n_frames if n_main is None else int(n_main)
        self.frame_bytes = _bits.frame_nbytes(self.height, self.width)
        self.tail = tail if tail is not None else np.zeros((0, self.frame_bytes), np.uint8)
        if self.tail.shape != (self.n_frames - self.n_main, self.frame_bytes):
            raise ValueError(f"tail must hold frames [{self.n_main}, {self.n_frames}), got {self.tail.shape}")
        self._file: h5py.File | None = None
        self._ds: h5py.Dataset | None = None

    def _dataset(self) -> h5py.Dataset:
        if self._ds is None:
            self._file = _open_file(self.path)
            ds = _check_container(self._file, self.path)
            if ds.shape[0] < self.n_main or ds.shape[1] != self.frame_bytes:
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
            try:
                self._dataset().read_direct(out, np.s_[start:a], np.s_[0 : a - start])
            except OSError as e:
                raise FormatError(f"{self.path}: cannot read frames {start}..{a - 1} ({e}); the file is "
                                  f"damaged there (checksum or decompression failed); copy it again") from e
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

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_file"] = state["_ds"] = None
        return state

    def __del__(self):
        with contextlib.suppress(Exception):
            self.close()


def _committed_layout(f: h5py.File, ds: h5py.Dataset, n: int, p: Path,
                      strict: bool) -> tuple[int, np.ndarray | None]:
    """Where the ``n`` committed frames are: (frames in /spikes, the tail frames or None)."""
    stored = ds.shape[0]
    sealed = bool(_attr(ds.attrs, _Names.sealed, p, default=True))
    if sealed:
        n_main, tail, problem = n, None, ""
    else:
        rows = ds.chunks[0] if ds.chunks else n or 1
        n_main = n - n % rows
        tail = _Names.tails[n % 2] if n > n_main else None
        problem = "the recording was not closed (the writer was killed or crashed)"
    if n < 0 or n_main > stored:
        raise FormatError(f"{p}: n_frames={n} but /{_Names.dataset} holds {stored} frames; the file is "
                          f"damaged; read the first {stored} rows with h5py and save them again")
    if tail is not None:
        t = f.get(tail)
        if not (isinstance(t, h5py.Dataset) and t.ndim == 2 and t.dtype == np.uint8 and t.shape[0] >= n - n_main
                and t.shape[1] == ds.shape[1]):
            raise FormatError(f"{p}: unsealed recording with {n} committed frames needs /{tail} with "
                              f"{n - n_main} packed frames; the file is damaged; read /{_Names.dataset} with "
                              f"h5py and save it again")
        tail = t[: n - n_main]
    if stored > n_main:
        extra = f"{stored - n_main} frame(s) after the last commit point (n_frames={n}) were not committed"
        problem = f"{problem}; {extra}" if problem else f"{extra} (the recording was interrupted)"
    if problem:
        msg = f"{p}: {problem}"
        if strict:
            raise TruncatedFileError(msg + "; pass strict=False to read the committed frames")
        log.warning("%s; reading the %d committed frames", msg, n)
    return n_main, tail


def read(path: str | os.PathLike, *, fps: float | None = None, strict: bool = False) -> SpikeStream:
    """Open a spikevision HDF5 file lazily as a :class:`SpikeStream`.

    Args:
        path: the ``.h5`` file.
        fps: override the stored readout rate.
        strict: raise :class:`TruncatedFileError` for a recording that was not closed
            (killed or crashed) or holds uncommitted frames; by default its committed
            frames are read with a warning.
    """
    p = Path(path)
    with _open_file(p) as f:
        ds = _check_container(f, p)
        a = ds.attrs
        h, w = int(_attr(a, _Names.height, p)), int(_attr(a, _Names.width, p))
        n = int(_attr(a, _Names.n_frames, p))
        if h <= 0 or w <= 0 or ds.shape[1] != _bits.frame_nbytes(h, w):
            raise FormatError(f"{p}: /{_Names.dataset} rows have {ds.shape[1]} bytes but height={h}, width={w} "
                              f"need {_bits.frame_nbytes(max(h, 0), max(w, 0))}; the attributes are wrong, "
                              f"fix them with h5py or rewrite the file")
        n_main, tail = _committed_layout(f, ds, n, p, strict)
        stored_fps = float(_attr(a, _Names.fps, p))
        try:
            prov = json.loads(_attr(a, _Names.provenance, p, default="{}") or "{}")
        except json.JSONDecodeError:
            prov = {"raw": _attr(a, _Names.provenance, p)}
        try:
            meta = _meta(a, p, f, prov, fps, stored_fps)
        except ValueError as e:
            raise FormatError(f"{p}: bad metadata attribute: {e}; fix it with h5py or pass fps=") from e
    return SpikeStream(H5Source(p, n, h, w, n_main=n_main, tail=tail), meta)


def _meta(a, p: Path, f: h5py.File, prov: dict, fps: float | None, stored_fps: float) -> StreamMeta:
    return StreamMeta(
        fps=float(fps) if fps is not None else stored_fps,
        t0=float(_attr(a, _Names.t0, p, default=0.0)),
        sensor=_attr(a, _Names.sensor, p, default="") or None,
        flip=bool(_attr(a, _Names.flip, p, default=False)),
        cfa=_attr(a, _Names.cfa, p, default="") or None,
        provenance={"format": "h5", "path": str(p), "version": int(f.attrs.get(_Names.version, 0)),
                    "source": prov, **({"fps_stored": stored_fps} if fps is not None else {})},
    )


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
    """True when ``head`` (the first bytes of ``path``) is an HDF5 signature (at 0 or a user-block offset)."""
    return any(head[o : o + 8] == HDF5_SIGNATURE for o in (0, 512, 1024, 2048) if len(head) >= o + 8)
