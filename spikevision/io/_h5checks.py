"""Checks of the HDF5 container at the reader boundary: sizes, links, filters and the chunk index.

Everything h5py or NumPy raises on damaged content becomes a spikevision error here (:func:`_boundary`);
declared sizes are checked against the file before anything is allocated.
"""

from __future__ import annotations

import contextlib
import math
import os
from pathlib import Path

import h5py
import numpy as np

from ..errors import FormatError, SpikevisionError, TruncatedFileError
from . import _h5file
from ._h5writer import FORMAT_NAME, FORMAT_VERSION, READ_CACHE_BYTES, _Names

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
    if fmt == "stereo_pair":
        raise FormatError(f"{path}: this is a stereo pair (left and right streams in one file), not a single "
                          f"stream; open it with spikevision.stereo.open_pair(path) (CLI: spikevision stereo "
                          f"{path} OUT, spikevision view {path})")
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
    ds = _check_dataset(f[_Names.dataset], _Names.dataset, path, trusted)
    from ._h5plugins import ensure_filters

    ensure_filters(ds)  # Blosc2-compressed spikes: register hdf5plugin's filters before reading
    return ds


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
