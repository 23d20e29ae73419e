"""``torch.utils.data.Dataset`` over any loaded spike dataset, with an on-disk HDF5 cache of representations.

The dataset holds paths only: it pickles cheaply into ``DataLoader`` worker processes, which open
the files themselves. Per item: ``window`` (deterministic :class:`TimeWindow`) and
``representation`` run first and their result is cached (one small HDF5 file per recording
under ``cache``, written atomically, so workers never share a file); then the random
``transforms`` (crops, flips) and :class:`ToTensor`.

Example:
    >>> from spikevision.datasets import load
    >>> from spikevision.datasets.torch import SpikeTorchDataset
    >>> from spikevision.datasets.transforms import RandomCrop, Representation, TimeWindow
    >>> ds = SpikeTorchDataset(load("REDS_BASE", root), window=TimeWindow(41),          # doctest: +SKIP
    ...                        representation=Representation("tfp"), transforms=[RandomCrop(128, 128)],
    ...                        cache="cache/")
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=4)         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import BackendUnavailable
from .api import SpikeDataset
from .transforms import Representation, TimeWindow, ToTensor, apply

try:
    from torch.utils.data import Dataset as _TorchDataset
except ImportError:  # the class still imports; using it raises BackendUnavailable
    _TorchDataset = object  # type: ignore[misc,assignment]

__all__ = ["SpikeTorchDataset"]


class SpikeTorchDataset(_TorchDataset):
    """A torch ``Dataset`` of ``{"spikes": tensor, "gt": {name: tensor ...}, "id": str}`` items.

    Args:
        dataset: a :class:`~spikevision.datasets.SpikeDataset` (from :func:`~spikevision.datasets.load`).
        window: a deterministic :class:`TimeWindow` (``where="center"`` or ``"start"``), or None for all frames.
        representation: :class:`Representation` (default raw spikes).
        transforms: random transforms applied after the cache (crops, flips), in order.
        cache: folder for the HDF5 cache of representations (None: no cache).
        seed: base seed; item ``i`` of epoch ``e`` draws from ``(seed, e, i)`` (call :meth:`set_epoch`).
    """

    def __init__(self, dataset: SpikeDataset, *, window: TimeWindow | None = None,
                 representation: Representation | None = None, transforms: Sequence = (),
                 cache: str | os.PathLike | None = None, seed: int = 0):
        if _TorchDataset is object:
            raise BackendUnavailable("SpikeTorchDataset needs torch; pip install 'spikevision[learn]' "
                                     "(CPU: torch==2.13.0)")
        if window is not None and window.where == "random":
            raise ValueError("a random TimeWindow cannot be cached; pass it in transforms= instead of window=")
        self.dataset, self.window = dataset, window
        self.representation = representation or Representation("raw")
        self.transforms = tuple(transforms) + (ToTensor(),)
        self.cache = Path(cache) if cache is not None else None
        self.seed, self.epoch = seed, 0

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Change the random draws of the transforms for a new epoch."""
        self.epoch = epoch

    def _key(self, i: int) -> str:
        ref = self.dataset.refs[i]
        st = ref.spikes.stat()
        desc = [self.dataset.card.name, str(ref.spikes.resolve()), st.st_size, st.st_mtime_ns,
                repr(self.window), repr(self.representation), sorted(self.dataset.read_options.items())]
        return hashlib.sha256(json.dumps(desc, default=str).encode()).hexdigest()[:24]

    def _base(self, i: int) -> dict:
        s = self.dataset[i]
        item = {"spikes": s.spikes, "gt": dict(s.gt), "id": s.id, "right": s.right, "t0": 0}
        if self.window is not None:
            item = self.window(item, None)
        return self.representation(item)

    def _cached(self, i: int) -> dict:
        if self.cache is None:
            return self._base(i)
        import h5py

        from ..io._atomic import atomic_path

        path = self.cache / f"{self._key(i)}.h5"
        if path.exists():  # the spike file is not opened (an .npz would be decoded whole)
            with h5py.File(path, "r") as f:
                x = f["input"][()]
                t0 = int(f.attrs["t0"])
            ref = self.dataset.refs[i]
            right = None
            if ref.right is not None:
                from ..io import open_stream

                right = open_stream(ref.right, format=self.dataset.card.reader["format"], **self.dataset.read_options)
            return {"spikes": x, "gt": self.dataset.ground_truth(i), "id": ref.id, "right": right, "t0": t0}
        item = self._base(i)
        self.cache.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
            f.create_dataset("input", data=item["spikes"])
            f.attrs.update({"t0": item.get("t0", 0), "id": item["id"], "representation": repr(self.representation)})
        return item

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} recordings")
        i %= len(self)
        rng = np.random.default_rng([self.seed, self.epoch, i])
        item = apply(self.transforms, self._cached(i), rng)
        right = item.pop("right", None)
        if right is not None:  # the second view of a stereo pair: raw spikes, cropped like the first
            item["right"] = _t(right.unpack() if hasattr(right, "unpack") else right)
        return item


def _t(x):
    import torch

    return torch.from_numpy(np.ascontiguousarray(x))
