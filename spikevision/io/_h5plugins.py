"""HDF5 compression filters from ``hdf5plugin`` (Blosc2 with bit-shuffle), loaded only when a file needs them.

Files written with ``compression="blosc2-lz4"`` or ``"blosc2-zstd"`` are plain HDF5: any HDF5
reader opens them once the Blosc2 filter (id 32026) is registered, e.g. by ``import hdf5plugin``
before ``h5py.File(...)``. spikevision registers it itself when it meets such a dataset.
"""

from __future__ import annotations

import functools
from typing import Any

from ..errors import BackendUnavailable

__all__ = ["blosc2_args", "ensure_filters", "BLOSC2_FILTER_ID", "BLOSC2_CODECS"]

BLOSC2_FILTER_ID = 32026
#: compression= names -> (Blosc2 codec, default level)
BLOSC2_CODECS = {"blosc2": ("lz4", 5), "blosc2-lz4": ("lz4", 5), "blosc2-zstd": ("zstd", 1)}


@functools.lru_cache(maxsize=1)
def _plugin():
    try:
        import hdf5plugin
    except ImportError:
        return None
    return hdf5plugin


def blosc2_args(compression: str) -> dict[str, Any] | None:
    """h5py ``create_dataset`` keywords for ``"blosc2[-lz4|-zstd][:LEVEL]"``; None when not a Blosc2 name."""
    name, _, level = compression.partition(":")
    if name not in BLOSC2_CODECS:
        return None
    cname, clevel = BLOSC2_CODECS[name]
    if level:
        if not (level.isdigit() and 0 <= int(level) <= 9):
            raise ValueError(f"compression level in {compression!r} must be 0..9")
        clevel = int(level)
    hp = _plugin()
    if hp is None:
        raise BackendUnavailable(f"compression={compression!r} needs the hdf5plugin package; pip install hdf5plugin, "
                                 f"or choose compression='lzf' or None")
    return dict(hp.Blosc2(cname=cname, clevel=clevel, filters=hp.Blosc2.BITSHUFFLE))


def ensure_filters(ds) -> None:
    """Register hdf5plugin's filters when ``ds`` (an h5py Dataset) uses one HDF5 itself does not have."""
    try:
        plist = ds.id.get_create_plist()
        ids = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
    except Exception:  # a damaged pipeline message: the reader's own checks report the damage
        return
    if BLOSC2_FILTER_ID in ids or any(i >= 256 and i != 32000 for i in ids):  # 32000 = LZF, built into h5py
        if _plugin() is None:
            raise BackendUnavailable(f"{ds.file.filename}: the spikes are Blosc2-compressed; pip install hdf5plugin "
                                     f"to read them")
