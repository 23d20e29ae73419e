"""Writing the spikevision HDF5 container: :class:`H5Writer` (sealed saves and crash-safe recordings).

The layout, commit protocol and containment design are described in :mod:`spikevision.io.h5`; the
names stored in the file live in :class:`_Names`, shared with the reader.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .. import _bits
from ..errors import OutputError
from ..stream import DEFAULT_FPS, StreamMeta
from . import _h5file
from ._atomic import PendingFile, check_output_path

log = logging.getLogger(__name__)

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
    if isinstance(compression, str) and compression.startswith("blosc2"):
        from ._h5plugins import blosc2_args

        args = blosc2_args(compression)
        if args is not None:
            return args
    if isinstance(compression, str) and compression.startswith("gzip:"):
        level = compression[5:]
        if level.isdigit() and 1 <= int(level) <= 9:
            return {"compression": "gzip", "compression_opts": int(level)}
    raise ValueError(f"unknown compression {compression!r}; choose 'lzf' (fast, default), 'gzip' (smaller), "
                     f"'gzip:1'..'gzip:9', 'blosc2-lz4', 'blosc2-zstd' (Blosc2 with bit-shuffle, needs hdf5plugin; "
                     f"':N' sets the level) or None")


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
