"""Convert a downloaded dataset to spikevision HDF5, one file per recording, resumably.

Each recording becomes ``OUT/<split>/<id>.h5``: the spikes as a spikevision HDF5 stream
(``spikevision.open`` reads it) plus its ground truth under ``/gt/<name>`` (sequences as
``/gt/<name>/<i>``). ``OUT/spikevision-prepared.json`` lists the finished recordings and is
rewritten after each one, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..io._atomic import atomic_path
from ..stream import SpikeStream
from .api import PREPARED_MANIFEST, card, load

__all__ = ["prepare"]


def _safe(sid: str) -> str:
    return sid.replace("/", "__").replace(os.sep, "__")


def _write_gt(f, name: str, value: Any) -> None:
    if isinstance(value, SpikeStream):
        f.create_dataset(f"gt/{name}", data=value.packed(), compression="lzf")
        f[f"gt/{name}"].attrs["shape"] = value.shape
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            f.create_dataset(f"gt/{name}/{i}", data=np.asarray(v))
        return
    if isinstance(value, dict):
        for k, v in value.items():
            f.create_dataset(f"gt/{name}.{k}", data=np.asarray(v))
        return
    f.create_dataset(f"gt/{name}", data=value if isinstance(value, str) else np.asarray(value))


def prepare(name: str, root: str | os.PathLike | None, out: str | os.PathLike, *, split: str = "all",
            compression: str | None = "default", progress: Callable[[int], None] | None = None) -> Path:
    """Write every recording of ``name`` under ``out`` as spikevision HDF5; return the manifest path.

    Recordings already listed in the manifest (and present) are skipped.

    Args:
        name, root: the dataset (see :func:`spikevision.datasets.load`).
        out: output folder (created).
        split: a split, or "all".
        compression: spike compression (see :func:`spikevision.io.h5.write`); "default": "blosc2-zstd" when
            hdf5plugin is installed (low-light streams shrink ~3.4x), else "lzf".
        progress: called with 1 after each recording.
    """
    import h5py

    from ..io import h5

    c = card(name)
    ds = load(c.name, root, split=split)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    man_path = out / PREPARED_MANIFEST
    man = json.loads(man_path.read_text()) if man_path.exists() else {"dataset": c.name, "samples": []}
    done = {(r["split"], r["id"]) for r in man["samples"] if (out / r["file"]).exists()}
    man["samples"] = [r for r in man["samples"] if (r["split"], r["id"]) in done]
    if compression == "default":  # offline: Blosc2-Zstd writes ~1.6x faster than LZF and stores ~1.5x smaller
        from ..io._h5plugins import _plugin

        compression = "blosc2-zstd" if _plugin() is not None else "lzf"
    kw = {"compression": compression}
    for i, ref in enumerate(ds.refs):
        if (ref.split, ref.id) in done:
            if progress:
                progress(1)
            continue
        sample = ds[i]
        rel = Path(ref.split) / f"{_safe(ref.id)}.h5"
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(dest) as tmp:
            h5.write(tmp, sample.spikes, **kw)
            with h5py.File(tmp, "a") as f:
                for gname, val in sample.gt.items():
                    _write_gt(f, gname, val)
                if sample.right is not None:
                    _write_gt(f, "right", sample.right)
        sample.spikes.close()
        man["samples"].append({"id": ref.id, "split": ref.split, "file": rel.as_posix(), "source": str(ref.spikes)})
        with atomic_path(man_path) as tmp:
            tmp.write_text(json.dumps(man, indent=1))
        if progress:
            progress(1)
    if not man_path.exists():
        with atomic_path(man_path) as tmp:
            tmp.write_text(json.dumps(man, indent=1))
    return man_path
