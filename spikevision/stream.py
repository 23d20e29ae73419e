"""``SpikeStream``: the (T, H, W) binary spike stream every module consumes.

Spikes stay bit-packed in their storage (a file read lazily, an HDF5 dataset
or memory) until asked for; slicing returns a new lazy stream. Frames are in
display orientation (row 0 at the top), 1 = spike.

Example:
    >>> import numpy as np, spikevision as sv
    >>> s = sv.from_array(np.eye(8, dtype=np.uint8)[None].repeat(4, 0), fps=20000)
    >>> s.shape, s.duration
    ((4, 8, 8), 0.0002)
    >>> int(s[1:3].unpack().sum())
    16
    >>> s[:, 2:5, 0:4].shape          # a lazy crop
    (4, 3, 4)
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _bits
from ._source import ArraySource, CropSource, FrameSource, StoredLayout

__all__ = ["SpikeStream", "StreamMeta", "from_array", "from_packed", "DEFAULT_FPS"]

DEFAULT_FPS = 20000.0


@dataclass(frozen=True)
class StreamMeta:
    """Facts about a spike stream that are not in its bits.

    Attributes:
        fps: readout rate in frames per second (20 kHz for first-generation vidar cameras).
        t0: time of frame 0 in seconds.
        sensor: sensor or dataset name (e.g. "vidar", "sps100"), or None.
        flip: whether the source stored rows bottom-up and the reader flipped them.
        cfa: color filter array pattern ("bggr", "rggb", ...) or None for mono.
        provenance: where the data came from (format, path, offsets, options).
    """

    fps: float = DEFAULT_FPS
    t0: float = 0.0
    sensor: str | None = None
    flip: bool = False
    cfa: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not (self.fps > 0 and math.isfinite(self.fps)):
            raise ValueError(f"fps must be a positive number, got {self.fps!r}")
        if self.cfa is not None and (len(self.cfa) != 4 or set(self.cfa.lower()) - set("rgb")):
            raise ValueError(f"cfa must be a 2x2 Bayer pattern such as 'bggr' or 'rggb', got {self.cfa!r}")


class SpikeStream:
    """A lazy (T, H, W) spike stream.

    Build one with :func:`spikevision.open`, :func:`from_array` or
    :func:`from_packed`; index it like an array of frames.
    """

    def __init__(self, source: FrameSource, meta: StreamMeta | None = None,
                 start: int = 0, stop: int | None = None, step: int = 1):
        self.source = source
        self.meta = meta or StreamMeta()
        stop = source.n_frames if stop is None else stop
        if step < 1:
            raise ValueError("step must be a positive integer")
        self._start, self._stop, self._step = start, max(stop, start), step

    # --- shape and time -------------------------------------------------
    def __len__(self) -> int:
        return len(range(self._start, self._stop, self._step))

    @property
    def height(self) -> int:
        return self.source.height

    @property
    def width(self) -> int:
        return self.source.width

    @property
    def shape(self) -> tuple[int, int, int]:
        return (len(self), self.height, self.width)

    @property
    def fps(self) -> float:
        """Frames per second of this stream (a stepped slice has fps / step)."""
        return self.meta.fps / self._step

    @property
    def t0(self) -> float:
        return self.meta.t0 + self._start / self.meta.fps

    @property
    def duration(self) -> float:
        """Length in seconds (frames / fps)."""
        return len(self) / self.fps

    @property
    def frame_nbytes(self) -> int:
        """Bytes of one canonical packed frame."""
        return _bits.frame_nbytes(self.height, self.width)

    def times(self) -> np.ndarray:
        """Time in seconds of every frame."""
        return self.t0 + np.arange(len(self)) / self.fps

    def __repr__(self) -> str:
        """One line: shape, rate, duration, format and (when set) file name, sensor, color filter, crop."""
        prov = self.meta.provenance
        extra = [f"format={prov.get('format', 'memory')!r}"]
        if "path" in prov:
            extra.append(f"file={os.path.basename(str(prov['path']))!r}")
        if self.t0:
            extra.append(f"t0={self.t0:g}")
        if self.meta.sensor:
            extra.append(f"sensor={self.meta.sensor!r}")
        if self.meta.cfa:
            extra.append(f"cfa={self.meta.cfa!r}")
        if "crop" in prov:
            extra.append(f"crop={prov['crop']}")
        return f"SpikeStream(shape={self.shape}, fps={self.fps:g}, duration={self.duration:g}s, {', '.join(extra)})"

    def _repr_html_(self) -> str:
        """Jupyter view: shape, rate, duration, layout and a TFP thumbnail of the middle frames."""
        from ._show import stream_html

        return stream_html(self)

    @property
    def source_frames(self) -> range:
        """Indices in :attr:`source` of this stream's frames (a stepped slice of the source)."""
        return range(self._start, self._start + len(self) * self._step, self._step)

    # --- slicing --------------------------------------------------------
    def _source_index(self, i: int) -> int:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"frame {i} out of range for a stream of {n} frames")
        return self._start + i * self._step

    def __getitem__(self, key):
        """``stream[i]`` -> (H, W) uint8 frame; ``stream[a:b:s]`` -> lazy SpikeStream.

        ``stream[a:b:s, r0:r1, c0:c1]`` (``...`` allowed) also crops in space, lazily: see :meth:`crop`.
        Spatial indices must be slices with step 1 (an integer row or column would drop an axis:
        use ``r:r+1``); ``stream[i, r0:r1, c0:c1]`` is the cropped (h, w) frame i.
        """
        if isinstance(key, tuple):
            time, rows, cols = _split_key(key)
            if rows == slice(None) and cols == slice(None):
                return self[time]
            r0, r1 = _space_range(rows, self.height, "rows")
            c0, c1 = _space_range(cols, self.width, "columns")
            if isinstance(time, slice):
                return self[time].crop(r0, c0, r1 - r0, c1 - c0)
            j = self._source_index(_as_index(time))
            return self.crop(r0, c0, r1 - r0, c1 - c0).source.read_frames(j, j + 1)[0]
        if isinstance(key, slice):
            r = range(self._start, self._stop, self._step)[key]
            if r.step < 0:
                raise ValueError("negative slice steps are not supported; use stream.unpack()[::-1]")
            return SpikeStream(self.source, self.meta, r.start, r.start + len(r) * r.step if len(r) else r.start,
                               r.step)
        if isinstance(key, (int, np.integer)):
            j = self._source_index(int(key))
            return self.source.read_frames(j, j + 1)[0]
        raise TypeError("index a SpikeStream with an int or a slice of frames, optionally followed by row and "
                        "column slices: stream[a:b, r0:r1, c0:c1]")

    def crop(self, top: int, left: int, height: int, width: int) -> SpikeStream:
        """The lazy (T, height, width) stream of rows top..top+height-1, columns left..left+width-1.

        Display orientation (row 0 on top), like :meth:`unpack`. Nothing is read until asked; a
        ``.dat`` file is then read only over the bytes that hold those rows (rows are stored
        bottom-up there), in-memory frames only over the window, HDF5 chunk by chunk (chunks
        hold whole frames). A Bayer ``cfa`` is shifted to the crop's origin; ``provenance["crop"]``
        records ``[top, left, height, width]`` in the frames of the original source.
        ``stream.crop(t, l, h, w)`` is ``stream[:, t:t+h, l:l+w]``.

        Raises:
            ValueError: when the rectangle is empty or leaves the frame (the message gives the frame size).
        """
        top, left, height, width = (_as_index(v) for v in (top, left, height, width))
        if not (height >= 1 and width >= 1 and 0 <= top and top + height <= self.height
                and 0 <= left and left + width <= self.width):
            raise ValueError(f"crop(top={top}, left={left}, height={height}, width={width}) is empty or leaves the "
                             f"{self.height}x{self.width} frame; choose 0 <= top < top + height <= {self.height} "
                             f"and 0 <= left < left + width <= {self.width}")
        if (top, left, height, width) == (0, 0, self.height, self.width):
            return self
        source = CropSource(self.source, (top, top + height), (left, left + width))
        prov = dict(self.meta.provenance)
        prov["crop"] = [source.rows[0], source.cols[0], source.height, source.width]
        cfa = _shift_cfa(self.meta.cfa, top, left)
        meta = dataclasses.replace(self.meta, cfa=cfa, provenance=prov)
        return SpikeStream(source, meta, self._start, self._stop, self._step)

    def time_slice(self, t_start: float | None = None, t_stop: float | None = None) -> SpikeStream:
        """Frames whose time t satisfies ``t_start <= t < t_stop`` (seconds, same clock as ``t0``)."""
        t = self.t0
        a = 0 if t_start is None else max(0, math.ceil((t_start - t) * self.fps - 1e-9))
        b = len(self) if t_stop is None else max(a, min(len(self), math.ceil((t_stop - t) * self.fps - 1e-9)))
        return self[a:b]

    # --- data access ----------------------------------------------------
    def _runs(self, block: int):
        """Yield (first, n, source_start) runs of at most ``block`` output frames."""
        n = len(self)
        for a in range(0, n, block):
            m = min(block, n - a)
            yield a, m, self._start + a * self._step

    def _read_run(self, src0: int, m: int, out: np.ndarray) -> np.ndarray:
        if self._step == 1:
            return self.source.read_frames(src0, src0 + m, out=out)
        for i in range(m):
            j = src0 + i * self._step
            self.source.read_frames(j, j + 1, out=out[i : i + 1])
        return out

    def unpack(self, out: np.ndarray | None = None) -> np.ndarray:
        """All frames as a (T, H, W) uint8 array of 0/1 in display orientation."""
        shape = self.shape
        if out is None:
            out = np.empty(shape, dtype=np.uint8)
        elif out.shape != shape or out.dtype != np.uint8 or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous uint8 array of shape {shape}")
        block = max(1, (64 << 20) // max(1, self.height * self.width))
        for a, m, s0 in self._runs(block):
            self._read_run(s0, m, out[a : a + m])
        return out

    def packed(self) -> np.ndarray:
        """All frames as canonical packed bytes (T, ceil(H*W/8)); see :mod:`spikevision._bits`."""
        return np.concatenate(list(self.iter_packed(4096)) or [np.zeros((0, self.frame_nbytes), np.uint8)])

    def iter_blocks(self, n_frames: int = 1024) -> Iterator[np.ndarray]:
        """Yield (n, H, W) uint8 blocks of at most ``n_frames`` frames in constant memory.

        The same buffer is reused for every block: copy a block to keep it.
        """
        if n_frames < 1:
            raise ValueError("n_frames must be >= 1")
        buf = np.empty((min(n_frames, max(1, len(self))), self.height, self.width), dtype=np.uint8)
        for _, m, s0 in self._runs(n_frames):
            yield self._read_run(s0, m, buf[:m])

    def iter_packed(self, n_frames: int = 1024) -> Iterator[np.ndarray]:
        """Yield canonical packed blocks (n, ceil(H*W/8)) of at most ``n_frames`` frames."""
        if n_frames < 1:
            raise ValueError("n_frames must be >= 1")
        for _, m, s0 in self._runs(n_frames):
            if self._step == 1:
                yield self.source.read_packed(s0, s0 + m)
            else:
                yield np.concatenate([self.source.read_packed(j, j + 1)
                                      for j in range(s0, s0 + m * self._step, self._step)])

    def spike_counts(self, block: int = 2048, progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Per-pixel spike counts (H, W) int64, in one streaming pass over the packed bits.

        Args:
            block: frames per read.
            progress: called with the number of frames counted after each block.
        """
        if self._step == 1 and isinstance(self.source, CropSource):  # only the window's bytes
            counts = np.zeros((self.height, self.width), dtype=np.int64)
            for _, m, s0 in self._runs(block):
                self.source.count(s0, s0 + m, counts)
                if progress:
                    progress(m)
            return counts
        layout = getattr(self.source, "layout", None)
        if self._step == 1 and layout is not None and hasattr(self.source, "read_stored"):
            counts = np.zeros(layout.frame_bytes * 8, dtype=np.int64)
            for _, m, s0 in self._runs(block):  # stored bytes as they are: no flip, no copy
                layout.count(self.source.read_stored(s0, s0 + m), m, counts)
                if progress:
                    progress(m)
            return np.ascontiguousarray(layout.display_counts(counts))
        counts = np.zeros(self.frame_nbytes * 8, dtype=np.int64)
        for p in self.iter_packed(block):
            _bits.count_bits(p, counts)
            if progress:
                progress(p.shape[0])
        return counts[: self.height * self.width].reshape(self.height, self.width)

    def firing_rate(self, block: int = 2048) -> np.ndarray:
        """Per-pixel spikes per frame, (H, W) float64, in one streaming pass over packed bits."""
        return self.spike_counts(block) / max(1, len(self))

    def to(self, backend: str = "numpy", device: Any = None):
        """Unpacked (T, H, W) uint8 spikes on ``"numpy"``, ``"cupy"`` or ``"torch"``."""
        from .backend import asarray

        return asarray(self.unpack(), backend=backend, device=device)

    def to_dask(self, chunk_frames: int = 1024):
        """A lazy dask array (T, H, W) uint8 over this stream, ``chunk_frames`` frames per chunk.

        Needs ``dask`` (the ``dist`` extra); see :func:`spikevision.batch.to_dask`.
        """
        from .batch.dask import to_dask

        return to_dask(self, chunk_frames)

    def with_meta(self, **changes) -> SpikeStream:
        """The same frames with some metadata replaced (``fps=40000``, ``cfa="bggr"`` ...)."""
        return SpikeStream(self.source, dataclasses.replace(self.meta, **changes),
                           self._start, self._stop, self._step)

    def close(self) -> None:
        """Release the file handle of the source (the stream can be read again later)."""
        close = getattr(self.source, "close", None)
        if close:
            close()

    def __enter__(self) -> SpikeStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _as_index(v) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"expected an integer, got {v!r}")
    return int(v)


def _split_key(key: tuple) -> tuple[Any, Any, Any]:
    """(time, rows, cols) of a tuple index; a leading ``...`` stands for the axes it skips."""
    if any(k is Ellipsis for k in key):
        if sum(k is Ellipsis for k in key) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (3 - len(key) + 1) + key[i + 1:]
    if len(key) > 3:
        raise IndexError(f"too many indices for a (T, H, W) stream: {len(key)}")
    time, rows, cols = key + (slice(None),) * (3 - len(key))
    return time, rows, cols


def _space_range(key, size: int, axis: str) -> tuple[int, int]:
    if not isinstance(key, slice):
        raise TypeError(f"{axis} of a SpikeStream are indexed with a slice (a lazy crop), got {key!r}; "
                        f"use i:i+1 to keep one, or stream.unpack() for NumPy indexing")
    a, b, step = key.indices(size)
    if step != 1:
        raise ValueError(f"{axis} slices of a SpikeStream take no step (got {step}); "
                         f"crop first, then subsample the unpacked frames")
    if b <= a:
        raise ValueError(f"{axis} slice {key.start}:{key.stop} selects nothing of {size} {axis}")
    return a, b


def _shift_cfa(cfa: str | None, top: int, left: int) -> str | None:
    """The 2x2 Bayer pattern seen from pixel (top, left) of a frame whose pattern is ``cfa``."""
    if cfa is None:
        return None
    return "".join(cfa[2 * ((i // 2 + top) % 2) + (i % 2 + left) % 2] for i in range(4))


def from_array(spikes: Any, fps: float = DEFAULT_FPS, *, threshold: float | None = None, t0: float = 0.0,
               sensor: str | None = None, cfa: str | None = None, provenance: dict | None = None) -> SpikeStream:
    """Wrap a (T, H, W) array of spikes (any backend) as a SpikeStream.

    Bits are packed in memory (1 bit per pixel), so the array can be dropped afterwards.

    Args:
        spikes: bool, or numbers that are all 0 or 1 (1 = spike); (H, W) is one frame.
        fps, t0, sensor, cfa, provenance: the stream's metadata (see :class:`StreamMeta`).
        threshold: make spikes of other values: spike where ``value >= threshold``
            (``threshold=1`` for spike counts, ``0.5`` for probabilities). Without it,
            values other than 0 and 1 raise ValueError instead of silently becoming spikes.

    Raises:
        ValueError: non-binary values without ``threshold`` (the message names the fix), or a bad shape.
    """
    from .backend import to_numpy

    arr = to_numpy(spikes)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"spikes must be (T, H, W), got shape {arr.shape}")
    t, h, w = arr.shape
    if h == 0 or w == 0:
        raise ValueError(f"frames must have at least one pixel, got {h}x{w}")
    if threshold is not None:
        if arr.dtype.kind not in "biuf" or isinstance(threshold, bool) or not np.isreal(threshold):
            raise ValueError(f"threshold must be a number compared with numeric spikes, got {threshold!r} "
                             f"for dtype {arr.dtype}")
        arr = arr >= threshold
    else:
        _check_binary(arr)
    packed = _bits.pack_frames(arr) if t else np.zeros((0, _bits.frame_nbytes(h, w)), np.uint8)
    return from_packed(packed, h, w, fps, t0=t0, sensor=sensor, cfa=cfa, provenance=provenance)


def _check_binary(arr: np.ndarray) -> None:
    """Raise ValueError naming ``threshold=`` unless every value of ``arr`` is 0 or 1.

    Bool needs no pass; integers one reduction (a signed array is viewed as unsigned, so
    negatives are large); floats a comparison pass.
    """
    kind = arr.dtype.kind
    if kind == "b" or arr.size == 0:
        return
    if kind in "iu":
        flat = arr.view(arr.dtype.str.replace("i", "u")) if kind == "i" else arr  # keeps the byte order
        if int(flat.max()) <= 1:
            return
    elif kind == "f":
        if bool(np.all((arr == 0) | (arr == 1))):
            return
    else:
        raise ValueError(f"spikes must be bool or 0/1 numbers, got dtype {arr.dtype}; "
                         f"convert them, e.g. from_array(x != 0)")
    bad = arr[(arr != 0) & (arr != 1)].reshape(-1)[:1].item()
    raise ValueError(f"spikes must be 0 or 1 (or bool), got the value {bad!r} (dtype {arr.dtype}); pass "
                     f"threshold= to choose what counts as a spike (threshold=1 for spike counts: value >= 1), "
                     f"or from_array(x != 0) for any nonzero value")


def from_packed(packed: np.ndarray, height: int, width: int, fps: float = DEFAULT_FPS, *, t0: float = 0.0,
                sensor: str | None = None, cfa: str | None = None, flip: bool = False,
                provenance: dict | None = None) -> SpikeStream:
    """Wrap canonical packed frames (T, ceil(H*W/8)) uint8 as a SpikeStream (no copy)."""
    packed = np.asarray(packed, dtype=np.uint8)
    layout = StoredLayout(height, width, width)
    if packed.ndim == 1:
        packed = packed.reshape(-1, layout.stride)
    meta = StreamMeta(fps=fps, t0=t0, sensor=sensor, cfa=cfa, flip=flip,
                      provenance=dict(provenance or {"format": "memory"}))
    return SpikeStream(ArraySource(packed, layout), meta)
