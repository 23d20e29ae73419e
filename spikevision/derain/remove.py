"""``remove_rain``: a spike stream with the rain spikes replaced, computed lazily block by block.

Frames are cut into blocks of ``block`` frames from frame 0. For each block the
deraining method gives the rain-free count and the rain mask of its pixels (the
block is the centre of its own window); in masked pixels the block's spikes are
replaced by an integrate-and-fire train at the rain-free rate (``round(B r)``
evenly spaced spikes, phase one half), elsewhere they are kept bit for bit.
Every other module (flow, stereo, recon) then reads rain-free spikes. Blocks are
computed on demand and cached (a window's worth), so reading the stream in order
costs one deraining per block.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .. import _bits
from ..color import channel_masks
from ..recon._color import color_pattern
from ..recon._input import read_packed
from ..stream import SpikeStream, from_packed
from ._blocks import Window, block_counts, check_params, window_blocks
from ._core import estimate

__all__ = ["remove_rain", "RainFreeSource", "if_train"]


def if_train(rate: np.ndarray, n: int) -> np.ndarray:
    """(n, P) uint8: ``floor(r (i + 1) + 1/2) - floor(r i + 1/2)`` spikes at tick i, per-pixel rates r in [0, 1]."""
    r = np.clip(np.asarray(rate, np.float64), 0.0, 1.0)
    i = np.arange(n + 1, dtype=np.float64)[:, None]
    cum = np.floor(r[None, :] * i + 0.5)
    return np.diff(cum, axis=0).astype(np.uint8)


class RainFreeSource:
    """A FrameSource serving the rain-free frames of another stream (see the module docstring)."""

    def __init__(self, stream: SpikeStream, name: str, params: dict, cfa: str | None):
        self.stream, self.name, self.params, self.cfa = stream, name, params, cfa
        self.n_frames, self.height, self.width = stream.shape
        self.block = params["block"]
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._keep = 2 * params["blocks"] + 2

    def _rain_free_block(self, j: int) -> np.ndarray:
        """Packed frames of block ``j`` (the last block may be short: it is kept as it is)."""
        if j in self._cache:
            self._cache.move_to_end(j)
            return self._cache[j]
        b = self.block
        a, e = j * b, min((j + 1) * b, self.n_frames)
        packed = read_packed(self.stream, a, e)
        if e - a == b:
            win = window_blocks(a + b // 2, self.n_frames, b, self.params["blocks"])
            win = Window(win.starts, win.center, b)
            img, mask = estimate(block_counts(self.stream, win), win, self.name, self.params, None)
            if img.ndim == 3:  # motion on a colour stream: back to the mosaic
                sites = channel_masks(self.cfa, self.height, self.width)
                img = (img * np.moveaxis(sites, 0, -1)).sum(axis=-1)
            sel = np.flatnonzero(np.asarray(mask).reshape(-1))
            if sel.size:
                frames = _bits.unpack_frames(packed, self.height, self.width).reshape(b, -1)
                rate = np.asarray(img, np.float64).reshape(-1)[sel] * float(self.params["rate"])
                frames[:, sel] = if_train(rate, b)
                packed = _bits.pack_frames(frames.reshape(b, self.height, self.width))
        self._cache[j] = packed
        if len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return packed

    def read_packed(self, start: int, stop: int) -> np.ndarray:
        if stop <= start:
            return np.zeros((0, _bits.frame_nbytes(self.height, self.width)), np.uint8)
        b = self.block
        parts = []
        for j in range(start // b, (stop - 1) // b + 1):
            blk = self._rain_free_block(j)
            parts.append(blk[max(start - j * b, 0): stop - j * b])
        return np.concatenate(parts)

    def read_frames(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        frames = _bits.unpack_frames(self.read_packed(start, stop), self.height, self.width)
        if out is not None:
            out[...] = frames
            return out
        return frames


def remove_rain(stream: Any, *, method: str = "temporal", **params: Any) -> SpikeStream:
    """A spike stream with the rain spikes replaced by rain-free ones, computed lazily block by block.

    Args:
        stream: a SpikeStream, or a (T, H, W) NumPy array (wrapped at the default 20 kHz).
        method: "temporal" (default), "motion", "rpca" or "best".
        **params: the method's options (:func:`spikevision.derain.derain`); ``block`` is the replacement unit.

    Returns:
        A SpikeStream with the input's metadata (``provenance["derain"]`` records the method and options).

    Example:
        >>> import numpy as np
        >>> from spikevision.derain import remove_rain
        >>> spikes = np.zeros((400, 8, 8), np.uint8); spikes[::4] = 1
        >>> spikes[180:220, 2:4, 2:4] = 1
        >>> clean = remove_rain(spikes)
        >>> int(clean[180:220].unpack()[:, 2, 2].sum())   # 40 spikes of rain -> 10 at the rate 0.25
        10
    """
    if not isinstance(stream, SpikeStream):
        arr = np.asarray(stream)
        if arr.ndim != 3:
            raise ValueError(f"remove_rain needs a SpikeStream or a (T, H, W) array, got shape {arr.shape}")
        stream = from_packed(_bits.pack_frames(arr != 0), arr.shape[1], arr.shape[2])
    name, p = check_params(method, params)
    cfa = color_pattern(stream, "auto")
    source = RainFreeSource(stream, name, p, cfa)
    prov = dict(stream.meta.provenance or {})
    prov["derain"] = {"method": name, **{k: v for k, v in p.items()}}
    import dataclasses

    return SpikeStream(source, dataclasses.replace(stream.meta, provenance=prov))
