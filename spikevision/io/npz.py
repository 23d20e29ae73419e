"""UHSR ``.npz`` spike files (U-CALTECH, U-CIFAR): ``spk`` (T, H, W) 0/1, ``label``, ``label_name``.

Layout (docs/formats.md, UHSR .npz): a NumPy ``.npz`` (zip) archive with ``spk``
uint8 (T=200, 250, 250), ``label`` int64 and ``label_name`` str; rows are top-down
(not flipped). ``spk`` is streamed out of the archive block by block and packed
to bits, so memory stays bounded however long the stream is; ``spk`` values must
be 0 or 1 (anything else is rejected, since counts or images are not spikes).

Example:
    >>> import spikevision as sv
    >>> s = sv.open("airplanes_0001.npz")                     # doctest: +SKIP
    >>> s.shape, s.meta.provenance["label_name"]              # doctest: +SKIP
    ((200, 250, 250), 'airplanes')
"""

from __future__ import annotations

import logging
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, from_packed
from ._atomic import atomic_path
from ._boundary import CONTENT_EXCEPTIONS, content_errors, regular_file

__all__ = ["read", "write", "sniff", "OPTIONS", "WRITE_OPTIONS", "SPIKE_KEY", "LABEL_KEY", "LABEL_NAME_KEY"]

log = logging.getLogger(__name__)

OPTIONS = ("fps", "strict")
WRITE_OPTIONS = ("label", "label_name", "compressed")

SPIKE_KEY = "spk"
LABEL_KEY = "label"
LABEL_NAME_KEY = "label_name"
UHSR_KEYS = (SPIKE_KEY, LABEL_KEY, LABEL_NAME_KEY)

#: bytes of ``spk`` decoded (reading) or encoded (writing) per step
_BLOCK_BYTES = 16 << 20
#: the most bytes deflate can produce per compressed byte (zlib's limit is 1032:1); more means a bomb or damage
_MAX_DEFLATE_RATIO = 1032
#: largest ``label`` / ``label_name`` member read (a label is one number or name)
_SMALL_MEMBER_BYTES = 1 << 20


def _keys(zf: zipfile.ZipFile) -> list[str]:
    return [n[:-4] if n.endswith(".npy") else n for n in zf.namelist()]


_DAMAGED = "the archive is damaged; copy it again (or re-save it with np.savez / sv.save)"


def _open_zip(p: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(p)
    except zipfile.BadZipFile as e:
        raise FormatError(f"{p}: not a valid .npz (zip) archive ({e}); the file may be truncated or not an npz; "
                          f"copy it again or pass format= for its real format") from e
    except CONTENT_EXCEPTIONS as e:
        raise FormatError(f"{p}: the zip directory of this .npz is damaged ({type(e).__name__}: {e}); "
                          f"{_DAMAGED}") from e


def _member_info(zf: zipfile.ZipFile, key: str, p: Path, archive_bytes: int) -> zipfile.ZipInfo:
    """The checked zip entry of ``key``: sizes that fit the archive, a method np.savez writes, no encryption.

    Every declared size is checked here, before a byte is inflated: a member that claims more
    data than deflate can produce from its compressed bytes (a zip bomb or a damaged directory)
    is refused.
    """
    info = zf.getinfo(key + ".npy")
    if info.flag_bits & 0x1:
        raise FormatError(f"{p}: member {key!r} is encrypted; spikevision reads plain archives: decrypt it and "
                          f"re-save with np.savez")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FormatError(f"{p}: member {key!r} uses zip compression method {info.compress_type}; np.savez "
                          f"writes stored (0) or deflated (8) members: {_DAMAGED}")
    if info.header_offset + info.compress_size > archive_bytes:
        raise TruncatedFileError(f"{p}: member {key!r} claims {info.compress_size:,} bytes from byte "
                                 f"{info.header_offset:,} but the file has {archive_bytes:,}; the archive is "
                                 f"truncated, copy it again")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise FormatError(f"{p}: stored member {key!r} declares {info.file_size:,} bytes but holds "
                          f"{info.compress_size:,}; {_DAMAGED}")
    if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
        raise FormatError(f"{p}: member {key!r} declares {info.file_size:,} bytes from {info.compress_size:,} "
                          f"compressed bytes, more than deflate can produce (zip bomb or damaged directory); "
                          f"refusing to inflate it: {_DAMAGED}")
    return info


def _npy_header(fh, key: str, p: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Parse an ``.npy`` header with NumPy's parser (never unpickling); shape entries must be >= 0."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unknown .npy format version {version}")
    except (ValueError, TypeError, SyntaxError, UnicodeError) as e:
        raise FormatError(f"{p}: {key!r} is not a valid .npy member ({e}); re-save the file") from e
    if any(int(v) < 0 for v in shape):
        raise FormatError(f"{p}: {key!r} declares a negative shape {shape}; {_DAMAGED}")
    return tuple(int(v) for v in shape), bool(fortran), dtype


def _check_size(info: zipfile.ZipInfo, header_bytes: int, shape: tuple[int, ...], dtype: np.dtype,
                key: str, p: Path) -> None:
    """The member must hold exactly its header plus the array its header declares (checked before allocating)."""
    need = math.prod(shape) * dtype.itemsize
    have = info.file_size - header_bytes
    if have == need:
        return
    what = f"{p}: {key!r} declares shape {shape} {dtype} = {need:,} data bytes but its member holds {have:,}"
    if have < need:
        if key == SPIKE_KEY and len(shape) == 3 and need:
            frame = need // max(1, shape[0])
            what = (f"{p}: {SPIKE_KEY!r} ends after {max(0, have) // frame} of {shape[0]} frames "
                    f"({max(0, have):,} of {need:,} data bytes)")
        raise TruncatedFileError(f"{what}; {_DAMAGED}")
    raise FormatError(f"{what} (extra data, a damaged header or a zip bomb; nothing was inflated); {_DAMAGED}")


def _finish(fh, key: str, p: Path) -> None:
    """Read the member to its end, so that zipfile checks its CRC-32 (a flipped byte raises, never wrong frames)."""
    if fh.read(1):
        raise FormatError(f"{p}: {key!r} holds more data than its zip entry declares; {_DAMAGED}")


def _read_small(zf: zipfile.ZipFile, key: str, p: Path, archive_bytes: int) -> Any:
    """A small array (label, label_name) without pickle; None with a warning if it needs pickle or is huge."""
    info = _member_info(zf, key, p, archive_bytes)
    if info.file_size > _SMALL_MEMBER_BYTES:
        log.warning("%s: ignoring %r (%d bytes; a label is one number or name)", p, key, info.file_size)
        return None
    with zf.open(info) as fh:
        shape, fortran, dtype = _npy_header(fh, key, p)
        if dtype.hasobject:
            log.warning("%s: ignoring %r (it holds Python objects, which are never unpickled)", p, key)
            return None
        _check_size(info, fh.tell(), shape, dtype, key, p)
        data = fh.read(math.prod(shape) * dtype.itemsize)
        _finish(fh, key, p)
    arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    if arr.ndim == 0 or arr.size == 1:
        return arr.reshape(()).item()
    return arr.tolist()


def _check_values(block: np.ndarray, first: int, p: Path) -> None:
    if block.dtype == np.bool_:
        return
    bad = block > 1 if block.dtype.kind == "u" else (block != 0) & (block != 1)  # unsigned: one pass
    if bad.any():
        i = int(np.flatnonzero(bad.reshape(len(block), -1).any(axis=1))[0])
        vals = np.unique(block[bad])[:5]
        raise FormatError(f"{p}: {SPIKE_KEY!r} must hold 0/1 spikes but frame {first + i} holds "
                          f"{', '.join(map(str, vals.tolist()))}; if nonzero means a spike, convert with "
                          f"sv.from_array(np.load(path)['{SPIKE_KEY}'] != 0)")


def _read_spikes(zf: zipfile.ZipFile, p: Path, archive_bytes: int) -> tuple[np.ndarray, int, int]:
    """Stream ``spk`` out of the archive and pack it: (packed (T, F), H, W)."""
    info = _member_info(zf, SPIKE_KEY, p, archive_bytes)
    with zf.open(info) as fh:
        shape, fortran, dtype = _npy_header(fh, SPIKE_KEY, p)
        if len(shape) != 3:
            raise FormatError(f"{p}: {SPIKE_KEY!r} must be (T, H, W) spikes, got shape {shape} "
                              f"({len(shape)}-D); reshape it to 3-D and re-save")
        if dtype.kind not in "biuf" or dtype.hasobject:
            raise FormatError(f"{p}: {SPIKE_KEY!r} has dtype {dtype}; expected uint8 (or bool/int) 0/1 spikes")
        t, h, w = shape
        if h == 0 or w == 0:
            raise FormatError(f"{p}: {SPIKE_KEY!r} frames are {h}x{w}; frames need at least one pixel")
        _check_size(info, fh.tell(), shape, dtype, SPIKE_KEY, p)  # before allocating anything
        packed = np.empty((t, _bits.frame_nbytes(h, w)), dtype=np.uint8)
        frame_bytes = h * w * dtype.itemsize
        # column-major: a frame's pixels are spread over the whole array, so it is read in one step
        step = max(1, t) if fortran else max(1, _BLOCK_BYTES // max(1, frame_bytes))
        for a in range(0, t, step):
            m = min(step, t - a)
            raw = fh.read(m * frame_bytes)
            if len(raw) != m * frame_bytes:
                raise TruncatedFileError(f"{p}: {SPIKE_KEY!r} ends after {a + len(raw) // frame_bytes} of {t} "
                                         f"frames; {_DAMAGED}")
            block = np.frombuffer(raw, dtype=dtype).reshape((m, h, w), order="F" if fortran else "C")
            _check_values(block, a, p)
            packed[a : a + m] = _bits.pack_frames(np.ascontiguousarray(block))
        _finish(fh, SPIKE_KEY, p)
    return packed, h, w


def read(path: str | os.PathLike, *, fps: float | None = None, strict: bool = False) -> SpikeStream:
    """Read a UHSR ``.npz`` as a :class:`SpikeStream` (held packed in memory).

    Args:
        path: the ``.npz`` file.
        fps: readout rate (not stored in the file; default 20000 Hz).
        strict: require exactly the UHSR keys ``spk``, ``label``, ``label_name``.

    ``label`` and ``label_name`` go to ``stream.meta.provenance``. Whatever the file holds, only
    :class:`~spikevision.errors.FormatError` (or its :class:`TruncatedFileError`) is raised: every
    declared size is checked before allocating, members are never unpickled, and each member is read
    to its end so that its CRC-32 is verified.
    """
    p = regular_file(path)
    archive_bytes = p.stat().st_size
    with _open_zip(p) as zf, content_errors(p, "the .npz archive", _DAMAGED):
        keys = _keys(zf)
        if SPIKE_KEY not in keys:
            raise FormatError(f"{p}: no {SPIKE_KEY!r} array (keys present: {', '.join(keys) or 'none'}); UHSR "
                              f"spike files store spikes as {SPIKE_KEY!r}; re-save yours with "
                              f"np.savez(path, spk=spikes) or sv.save(path, spikes)")
        repeated = sorted({k for k in keys if k in UHSR_KEYS and keys.count(k) > 1})
        if repeated:
            raise FormatError(f"{p}: the archive holds {', '.join(map(repr, repeated))} more than once, so which "
                              f"one is meant is ambiguous; {_DAMAGED}")
        if strict and sorted(keys) != sorted(UHSR_KEYS):
            raise FormatError(f"{p}: keys are {', '.join(keys)} but a UHSR file has exactly "
                              f"{', '.join(UHSR_KEYS)}; pass strict=False to read just {SPIKE_KEY!r}")
        with content_errors(p, f"member {SPIKE_KEY!r}", _DAMAGED):
            packed, h, w = _read_spikes(zf, p, archive_bytes)
        prov: dict[str, Any] = {"format": "npz", "path": str(p)}
        for key in (LABEL_KEY, LABEL_NAME_KEY):
            if key + ".npy" in zf.namelist():
                with content_errors(p, f"member {key!r}", _DAMAGED):
                    prov[key] = _read_small(zf, key, p, archive_bytes)
        if strict and not isinstance(prov.get(LABEL_KEY), int):
            raise FormatError(f"{p}: {LABEL_KEY!r} must be one integer, got {prov.get(LABEL_KEY)!r}; "
                              f"pass strict=False to ignore it")
    return from_packed(packed, h, w, DEFAULT_FPS if fps is None else float(fps), provenance=prov)


def _write_member(zf: zipfile.ZipFile, key: str, arr: np.ndarray) -> None:
    with zf.open(key + ".npy", "w", force_zip64=True) as fh:
        np.lib.format.write_array(fh, np.asanyarray(arr), allow_pickle=False)


def write(path: str | os.PathLike, stream: SpikeStream, *, label: int | None = None, label_name: str | None = None,
          compressed: bool = True) -> None:
    """Write ``stream`` as a UHSR-style ``.npz`` atomically, streaming ``spk`` in constant memory.

    Args:
        path: output file (replaced if it exists).
        stream: the spikes; ``spk`` is written as uint8 0/1 (T, H, W), rows top-down.
        label, label_name: class id and name; default: those in ``stream.meta.provenance``
            (from a UHSR file); keys without a value are left out.
        compressed: deflate the archive (as ``np.savez_compressed``); False stores it (``np.savez``).

    The result loads with ``np.load(path)`` like a file saved by ``np.savez``.
    """
    prov = stream.meta.provenance
    label = prov.get(LABEL_KEY) if label is None else label
    label_name = prov.get(LABEL_NAME_KEY) if label_name is None else label_name
    if label is not None and not isinstance(label, (int, np.integer)):
        raise ValueError(f"label must be an integer class id, got {label!r}")
    comp = zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    t, h, w = stream.shape
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", compression=comp, allowZip64=True) as zf:
        with zf.open(SPIKE_KEY + ".npy", "w", force_zip64=True) as fh:
            header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False,
                      "shape": (t, h, w)}
            np.lib.format.write_array_header_1_0(fh, header)
            for block in stream.iter_blocks(max(1, _BLOCK_BYTES // (h * w))):
                fh.write(np.ascontiguousarray(block, dtype=np.uint8))  # the block buffer itself, no bytes copy
        if label is not None:
            _write_member(zf, LABEL_KEY, np.int64(label))
        if label_name is not None:
            _write_member(zf, LABEL_NAME_KEY, np.str_(label_name))


def sniff(path: str | os.PathLike, head: bytes) -> bool:
    """True when ``path`` is a zip archive holding an ``spk.npy`` member (False for any damaged archive)."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return SPIKE_KEY + ".npy" in zf.namelist()
    except CONTENT_EXCEPTIONS:
        return False
