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
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import _bits
from ..errors import FormatError, TruncatedFileError
from ..stream import DEFAULT_FPS, SpikeStream, from_packed
from ._atomic import atomic_path

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


def _keys(zf: zipfile.ZipFile) -> list[str]:
    return [n[:-4] if n.endswith(".npy") else n for n in zf.namelist()]


def _open_zip(p: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(p)
    except zipfile.BadZipFile as e:
        raise FormatError(f"{p}: not a valid .npz (zip) archive ({e}); the file may be truncated or not an npz; "
                          f"copy it again or pass format= for its real format") from e


def _read_small(zf: zipfile.ZipFile, key: str, p: Path) -> Any:
    """A small array (label, label_name) without pickle; None with a warning if it needs pickle."""
    with zf.open(key + ".npy") as fh:
        try:
            arr = np.lib.format.read_array(fh, allow_pickle=False)
        except ValueError as e:
            log.warning("%s: ignoring %r (%s)", p, key, e)
            return None
    if arr.ndim == 0 or arr.size == 1:
        return arr.reshape(()).item()
    return arr.tolist()


def _spike_header(fh, p: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(fh)
        return np.lib.format.read_array_header_2_0(fh)
    except ValueError as e:
        raise FormatError(f"{p}: {SPIKE_KEY!r} is not a valid .npy member ({e}); re-save the file") from e


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


def _read_spikes(zf: zipfile.ZipFile, p: Path) -> tuple[np.ndarray, int, int]:
    """Stream ``spk`` out of the archive and pack it: (packed (T, F), H, W)."""
    with zf.open(SPIKE_KEY + ".npy") as fh:
        shape, fortran, dtype = _spike_header(fh, p)
        if len(shape) != 3:
            raise FormatError(f"{p}: {SPIKE_KEY!r} must be (T, H, W) spikes, got shape {shape} "
                              f"({len(shape)}-D); reshape it to 3-D and re-save")
        if dtype.kind not in "biuf":
            raise FormatError(f"{p}: {SPIKE_KEY!r} has dtype {dtype}; expected uint8 (or bool/int) 0/1 spikes")
        t, h, w = (int(v) for v in shape)
        if h == 0 or w == 0:
            raise FormatError(f"{p}: {SPIKE_KEY!r} frames are {h}x{w}; frames need at least one pixel")
        packed = np.empty((t, _bits.frame_nbytes(h, w)), dtype=np.uint8)
        frame_bytes = h * w * dtype.itemsize
        # column-major: a frame's pixels are spread over the whole array, so it is read in one step
        step = max(1, t) if fortran else max(1, _BLOCK_BYTES // max(1, frame_bytes))
        for a in range(0, t, step):
            m = min(step, t - a)
            raw = fh.read(m * frame_bytes)
            if len(raw) != m * frame_bytes:
                raise TruncatedFileError(f"{p}: {SPIKE_KEY!r} ends after {a + len(raw) // frame_bytes} of {t} "
                                         f"frames; the archive is damaged, copy it again")
            block = np.frombuffer(raw, dtype=dtype).reshape((m, h, w), order="F" if fortran else "C")
            _check_values(block, a, p)
            packed[a : a + m] = _bits.pack_frames(np.ascontiguousarray(block))
    return packed, h, w


def read(path: str | os.PathLike, *, fps: float | None = None, strict: bool = False) -> SpikeStream:
    """Read a UHSR ``.npz`` as a :class:`SpikeStream` (held packed in memory).

    Args:
        path: the ``.npz`` file.
        fps: readout rate (not stored in the file; default 20000 Hz).
        strict: require exactly the UHSR keys ``spk``, ``label``, ``label_name``.

    ``label`` and ``label_name`` go to ``stream.meta.provenance``.
    """
    p = Path(path)
    with _open_zip(p) as zf:
        keys = _keys(zf)
        if SPIKE_KEY not in keys:
            raise FormatError(f"{p}: no {SPIKE_KEY!r} array (keys present: {', '.join(keys) or 'none'}); UHSR "
                              f"spike files store spikes as {SPIKE_KEY!r}; re-save yours with "
                              f"np.savez(path, spk=spikes) or sv.save(path, spikes)")
        if strict and sorted(keys) != sorted(UHSR_KEYS):
            raise FormatError(f"{p}: keys are {', '.join(keys)} but a UHSR file has exactly "
                              f"{', '.join(UHSR_KEYS)}; pass strict=False to read just {SPIKE_KEY!r}")
        try:
            packed, h, w = _read_spikes(zf, p)
        except (zipfile.BadZipFile, EOFError, OSError) as e:
            raise FormatError(f"{p}: cannot decompress {SPIKE_KEY!r} ({e}); the archive is damaged, "
                              f"copy it again") from e
        prov: dict[str, Any] = {"format": "npz", "path": str(p)}
        for key in (LABEL_KEY, LABEL_NAME_KEY):
            if key in keys:
                prov[key] = _read_small(zf, key, p)
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
    """True when ``path`` is a zip archive holding an ``spk.npy`` member."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            return SPIKE_KEY + ".npy" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
