"""Streaming flow for live cameras: packed blocks in, a flow field every ``emit_every`` frames out.

:class:`StreamingFlow` keeps the packed frames the method still needs (its support before ``t``
and after ``t + dt``) in a padded buffer and, as soon as the last of them has arrived, computes the
field with the same code as :func:`spikevision.flow.estimate` on the same frames: fields are
identical to the offline ones, with frame indices counted from the first frame pushed after
construction or :meth:`~StreamingFlow.reset`.

Example:
    >>> import numpy as np
    >>> from spikevision import _bits
    >>> sf = StreamingFlow(16, 24, 10, emit_every=20, method="dis")
    >>> s = (np.random.default_rng(0).random((100, 16, 24)) < 0.3).astype(np.uint8)
    >>> [t for t, _ in sf.iter_packed(_bits.pack_frames(s))]
    [0, 20, 40]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .. import _bits
from ._checks import FlowInputError, check_dt, check_positive_int
from ._images import PackedImages
from .api import METHODS, check_size, resolve_method, support

__all__ = ["StreamingFlow"]


class StreamingFlow:
    """Flow fields from frame ``t`` to ``t + dt`` for ``t = start, start + emit_every, ...`` of a live stream.

    Args:
        height, width: frame size in pixels.
        dt: frames between the two instants of a field.
        emit_every: frames between the fields' first frames (>= 1).
        method: "best" (default), "spike", "dis" or "farneback"; ``**params`` as :func:`~spikevision.flow.estimate`.
        start: first frame of the first field.
        block: frames taken in per step (bounds memory; results do not depend on it).
        workers: threads computing the fields that become ready together (the matcher and the
            compiled kernels release the GIL); default: the CPU count, at most 4. Results do not depend on it.

    ``lookahead`` is the latency in frames after ``t + dt`` before field ``t`` can be emitted.
    """

    def __init__(self, height: int, width: int, dt: int, *, emit_every: int = 80, method: str = "best",
                 start: int = 0, block: int = 1024, workers: int | None = None, **params: Any):
        self.height = check_positive_int(height, "height")
        self.width = check_positive_int(width, "width")
        self.dt = check_dt(dt)
        self.emit_every = check_positive_int(emit_every, "emit_every")
        self.start = check_positive_int(start, "start", low=0)
        self.method = resolve_method(method)
        self.params = params
        self.lookback, self.lookahead = support(self.method, self.dt, **params)
        check_size(self.method, self.height, self.width)
        self._fn = METHODS[self.method][0]
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        self._row_bytes = (self.frame_nbytes + 7) // 8 * 8
        self._chunk = max(1, int(block))
        self.workers = check_positive_int(workers, "workers") if workers is not None else min(4, os.cpu_count() or 1)
        self._pool: ThreadPoolExecutor | None = None
        self._keep = self.lookback + self.dt + self.lookahead + 1
        self._work = np.zeros((self._keep + self._chunk, self._row_bytes), dtype=np.uint8)
        self.reset()

    def reset(self) -> None:
        """Forget all frames: the next frame pushed is frame 0."""
        self._base = 0     # absolute index of work[0]
        self._nvalid = 0
        self._seen = 0
        self._next = self.start

    @property
    def frames_seen(self) -> int:
        """Frames pushed since construction or :meth:`reset`."""
        return self._seen

    @property
    def next_frame(self) -> int:
        """First frame of the next field to be emitted."""
        return self._next

    def _field(self, t: int, end: int) -> np.ndarray:
        lo = max(0, t - self.lookback)
        src = PackedImages(self._work, lo - self._base, end - lo, self.height, self.width,
                           self.params.get("window", 41))
        return self._fn(src, t - lo, self.dt, **self.params)

    def _fields(self, ts: list[int]) -> list[np.ndarray]:
        """Fields of frames ``ts`` (all ready), computed by ``workers`` threads over the shared buffer."""
        ends = [t + self.dt + self.lookahead + 1 for t in ts]
        if self.workers < 2 or len(ts) < 2:
            return [self._field(t, e) for t, e in zip(ts, ends, strict=True)]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="spikevision-flow")
        return list(self._pool.map(self._field, ts, ends))

    def close(self) -> None:
        """Stop the worker threads (they also end with the object)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)

    def _compact(self) -> None:
        first = max(self._base, self._next - self.lookback)
        drop = min(first - self._base, self._nvalid)
        if drop > 0:
            self._work[: self._nvalid - drop] = self._work[drop : self._nvalid]
            self._base += drop
            self._nvalid -= drop

    def iter_packed(self, packed: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Push canonical packed frames (n, ceil(H*W/8)) uint8; yield ``(t, flow)`` for each field that became
        ready (fresh (H, W, 2) float32 arrays). Consume the iterator: frames are taken in as it advances."""
        packed = np.ascontiguousarray(packed)
        if packed.ndim == 1:
            packed = packed.reshape(1, -1)
        if packed.ndim != 2 or packed.shape[1] != self.frame_nbytes or packed.dtype != np.uint8:
            raise FlowInputError(f"expected canonical packed frames (n, {self.frame_nbytes}) uint8 for "
                                 f"{self.height}x{self.width}, got {packed.shape} {packed.dtype}; pack (n, H, W) "
                                 f"spikes with spikevision._bits.pack_frames or call push()")
        i, n = 0, packed.shape[0]
        while i < n:
            self._compact()
            m = min(n - i, self._work.shape[0] - self._nvalid)
            self._work[self._nvalid : self._nvalid + m, : self.frame_nbytes] = packed[i : i + m]
            self._nvalid += m
            self._seen += m
            i += m
            ready = []
            while self._next + self.dt + self.lookahead < self._seen:
                ready.append(self._next)
                self._next += self.emit_every
            yield from zip(ready, self._fields(ready), strict=True)
            self._compact()

    def push_packed(self, packed: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push packed frames; return ``[(t, flow), ...]`` of the fields that became ready."""
        return list(self.iter_packed(packed))

    def push(self, frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push unpacked (n, H, W) spikes (nonzero = spike); same result as :meth:`push_packed`."""
        frames = np.asarray(frames)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.ndim != 3 or frames.shape[1:] != (self.height, self.width):
            raise FlowInputError(f"frames of shape {frames.shape[1:]} do not match this estimator's "
                                 f"{(self.height, self.width)}; create one with that height and width")
        return self.push_packed(_bits.pack_frames(frames))

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """End of the stream: the fields whose ``t + dt`` arrived but not their whole lookahead (support
        clipped at the last frame, as the offline functions clip at the end of the data), then :meth:`reset`."""
        out = []
        while self._next + self.dt < self._seen:
            t = self._next
            self._next += self.emit_every
            out.append((t, self._field(t, self._seen)))
        self.reset()
        return out
