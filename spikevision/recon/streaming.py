"""Streaming reconstructors for live cameras and viewers.

They take canonical packed blocks (n, ceil(H*W/8)) uint8 as they arrive (from
``SpikeStream.iter_packed``, a camera or a ring buffer), keep the frames they
still need, and emit an image for frames ``start, start + K, start + 2K, ...``
(``K = emit_every``, 1 allowed) as soon as the frames after it that the method
looks at (its lookahead) have arrived. Images are identical to the offline
functions (:func:`~spikevision.recon.tfp`, :func:`~spikevision.recon.tfi`,
:func:`~spikevision.recon.adaptive`, convention "spikevision") on the same frames,
with frame indices counted from the first frame pushed after construction or
:meth:`~StreamingReconstructor.reset`.

Uniform interface::

    rec = StreamingTFP(250, 400, window=41, emit_every=40)
    for block in stream.iter_packed(1024):
        for t, image in rec.iter_packed(block):   # image: reused (H, W) float32 buffer
            show(t, image)                         # copy it to keep it
    rec.push_packed(block) -> list[(t, image copy)]
    rec.push(frames)       -> same, from unpacked (n, H, W) spikes
    rec.flush()            -> images of the last frames (windows clipped at the end), then reset
    rec.reset()            -> start over at frame 0
    rec.lookahead          -> frames of latency after the emitted frame

Kernels are compiled with numba (parallel, nogil: they run alongside a GUI
thread) and work straight from packed bytes; see :mod:`spikevision.recon._kernels`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numba
import numpy as np

from .. import _bits
from . import _adaptive_kernels as AK
from . import _kernels as K
from ._input import check_rate, check_window
from .adaptive import (
    GATHER,
    HOT_GATHER,
    HOT_MARGIN,
    NOISE_STEP,
    check_adaptive,
    hot_threshold,
    ladder,
    noise_of,
    windows,
)
from .tfi import isi_table
from .tfp import tfp_scale

__all__ = ["StreamingReconstructor", "StreamingTFP", "StreamingTFI", "StreamingAdaptive", "streaming_reconstructor"]

log = logging.getLogger(__name__)

#: most images computed per kernel call (bounds the reused output stack)
MAX_BATCH = 16


class StreamingReconstructor:
    """Base class: buffering of packed frames and emission bookkeeping.

    Args:
        height, width: frame size in pixels.
        emit_every: emit an image every this many frames (K >= 1).
        start: frame index of the first image (counted from the first frame pushed).
        block: frames handled per kernel call (bounds memory; results do not depend on it).

    Subclasses set ``lookback``/``lookahead`` (frames before/after an emitted frame
    that its image depends on) and ``keep`` (frames kept between calls) and implement
    :meth:`_compute`.
    """

    lookback = 0
    lookahead = 0
    keep = 0

    def __init__(self, height: int, width: int, emit_every: int = 40, start: int = 0, block: int = 256):
        if height < 1 or width < 1:
            raise ValueError(f"height and width must be positive, got {height}x{width}")
        if not isinstance(emit_every, (int, np.integer)) or emit_every < 1:
            raise ValueError(f"emit_every must be an integer >= 1 (frames between images), got {emit_every!r}")
        if start < 0:
            raise ValueError(f"start must be a frame index >= 0, got {start}")
        self.height, self.width = int(height), int(width)
        self.emit_every, self.start = int(emit_every), int(start)
        self.npix = self.height * self.width
        self.frame_nbytes = _bits.frame_nbytes(self.height, self.width)
        self._chunk = max(1, min(int(block), self.emit_every * MAX_BATCH))
        self._cap = self.keep + self._chunk
        # rows padded to whole uint64 words (the padding stays zero)
        self._row_bytes = (self.frame_nbytes + 7) // 8 * 8
        self._work = np.zeros((self._cap, self._row_bytes), dtype=np.uint8)
        self._work64 = self._work.view(np.uint64)
        n_out = self._chunk // self.emit_every + 2
        self._stack = np.zeros((n_out, self.npix), dtype=np.float32)
        self.reset()
        log.debug("%s %dx%d: an image every %d frames from frame %d, lookahead %d frames", type(self).__name__,
                  self.height, self.width, self.emit_every, self.start, self.lookahead)

    # --- public -------------------------------------------------------------
    def reset(self) -> None:
        """Forget all frames: the next frame pushed is frame 0."""
        self._base = 0        # absolute index of work[0]
        self._nvalid = 0      # frames held in work
        self._seen = 0        # frames pushed so far
        self._next = self.start
        self._reset_state()

    @property
    def frames_seen(self) -> int:
        """Frames pushed since construction or :meth:`reset`."""
        return self._seen

    @property
    def next_frame(self) -> int:
        """Index of the next frame an image will be emitted for."""
        return self._next

    def iter_packed(self, packed: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """Push packed frames; yield ``(frame_index, image)`` for each image that became ready.

        ``image`` is an (H, W) float32 view of a reused buffer, valid until the next
        iteration: copy it to keep it. Consume the iterator to the end: frames are taken in as
        it advances.
        """
        packed = self._check_packed(packed)
        i, n = 0, packed.shape[0]
        while i < n:
            m = min(n - i, self._chunk)
            if self._nvalid + m > self._cap:
                self._compact()
            p0 = self._nvalid
            K.copy_rows(packed[i : i + m], self._work, p0)
            self._nvalid += m
            self._seen += m
            i += m
            ready_until = self._seen - 1 - self.lookahead
            targets = []
            while self._next <= ready_until:
                targets.append(self._next)
                self._next += self.emit_every
            self._compute(p0, p0 + m, targets)
            for j, t in enumerate(targets):
                yield t, self._stack[j].reshape(self.height, self.width)

    def push_packed(self, packed: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push packed frames; return ``[(frame_index, image copy), ...]`` of the images that became ready."""
        return [(t, img.copy()) for t, img in self.iter_packed(packed)]

    def flush(self) -> list[tuple[int, np.ndarray]]:
        """End of the stream: return ``[(frame_index, image copy), ...]`` for the frames still waiting for
        their lookahead, with the window clipped at the last frame pushed (exactly as the offline
        functions clip at the end of the data), then :meth:`reset`."""
        targets = list(range(self._next, self._seen, self.emit_every))
        out = []
        n = self._stack.shape[0]
        for i in range(0, len(targets), n):
            batch = targets[i : i + n]
            self._compute_end(batch)
            out.extend((t, self._stack[j].reshape(self.height, self.width).copy()) for j, t in enumerate(batch))
        self.reset()
        return out

    def push(self, frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Push unpacked (n, H, W) spikes (nonzero = spike); same result as :meth:`push_packed`."""
        frames = np.asarray(frames)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.shape[1:] != (self.height, self.width):
            raise ValueError(f"frames of shape {frames.shape[1:]} do not match this reconstructor's "
                             f"{(self.height, self.width)}; create one with height={frames.shape[1]}, "
                             f"width={frames.shape[2]}")
        return self.push_packed(_bits.pack_frames(frames))

    # --- internals ----------------------------------------------------------
    def _check_packed(self, packed: np.ndarray) -> np.ndarray:
        packed = np.ascontiguousarray(packed)
        if packed.ndim == 1:
            packed = packed.reshape(1, -1)
        if packed.ndim != 2 or packed.shape[1] != self.frame_nbytes or packed.dtype != np.uint8:
            raise ValueError(f"expected canonical packed frames (n, {self.frame_nbytes}) uint8 for "
                             f"{self.height}x{self.width}, got {packed.shape} {packed.dtype}; pack (n, H, W) spikes "
                             f"with spikevision._bits.pack_frames or call push()")
        return packed

    def _compact(self) -> None:
        drop = self._nvalid - self.keep
        if drop <= 0:
            return
        self._work[: self.keep] = self._work[drop : self._nvalid]
        self._base += drop
        self._nvalid = self.keep

    def _reset_state(self) -> None:
        """Reset method state (running sums ...)."""

    def _compute(self, p0: int, p1: int, targets: list[int]) -> None:
        """New frames sit at work positions [p0, p1); fill ``self._stack[j]`` for each target frame.

        By default every target is computed from its whole window in the work buffer
        (methods with running state, like TFP, override this).
        """
        if targets:
            self._compute_end(targets)

    def _window_positions(self, targets: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Work-buffer positions of each target frame and of its window's first and last frame."""
        c = np.array(targets, dtype=np.int64)
        lo = np.maximum(0, c - self.lookback)
        hi = np.minimum(self._seen - 1, c + self.lookahead)
        return c - self._base, lo - self._base, hi - self._base

    def _compute_end(self, targets: list[int]) -> None:
        """Fill ``self._stack[j]`` for targets whose lookahead runs past the last frame pushed."""
        raise NotImplementedError


class StreamingTFP(StreamingReconstructor):
    """Streaming TFP (convention "spikevision"): same images as :func:`spikevision.recon.tfp`.

    Uses a running sum (add the new frame, drop the oldest) when images are
    frequent (``2 * emit_every < window``), otherwise sums each window on demand.

    Example:
        >>> import numpy as np
        >>> rec = StreamingTFP(2, 8, window=5, emit_every=2)
        >>> [t for t, _ in rec.push(np.ones((6, 2, 8), np.uint8))]
        [0, 2]
    """

    def __init__(self, height: int, width: int, window: int = 41, emit_every: int = 40, start: int = 0,
                 rate: float = 1.0, block: int = 256):
        self.window = check_window(window)
        self.rate = check_rate(rate)
        self.lookback = self.window // 2
        self.lookahead = self.window - 1 - self.lookback
        self.running = 2 * emit_every < self.window
        self.keep = self.window
        # _scales[n]: the multiplier of a window of n frames (entry 0 unused), looked up per image
        self._scales = np.array([0.0] + [tfp_scale(n, self.rate) for n in range(1, self.window + 1)], np.float32)
        super().__init__(height, width, emit_every, start, block)

    def _reset_state(self) -> None:
        self._acc = np.zeros((8, self._row_bytes // 8), dtype=np.uint64)

    def _compute(self, p0: int, p1: int, targets: list[int]) -> None:
        if self.running:
            ends = np.array(targets, dtype=np.int64) + self.lookahead
            scales = self._scales[np.minimum(self.window, ends + 1)]
            K.tfp_running(self._work64, p0, p1, self.window, self._base, self._acc, ends - self._base, scales,
                          self._stack, self.npix)
            return
        super()._compute(p0, p1, targets)

    def _compute_end(self, targets: list[int]) -> None:
        c = np.array(targets, dtype=np.int64)
        a = np.maximum(0, c - self.lookback)
        b = np.minimum(self._seen, c + self.lookahead + 1)
        K.tfp_window(self._work64, a - self._base, b - self._base, self._scales[b - a], self._stack, self.npix)


class StreamingTFI(StreamingReconstructor):
    """Streaming TFI (convention "spikevision"): same images as :func:`spikevision.recon.tfi`.

    Latency: ``window // 2`` frames.
    """

    def __init__(self, height: int, width: int, window: int = 41, emit_every: int = 40, start: int = 0,
                 rate: float = 1.0, block: int = 256):
        self.window = check_window(window, high=253)
        self.rate = check_rate(rate)
        self.lookback = self.lookahead = self.window // 2
        self.keep = 2 * self.lookback
        self._table = isi_table(self.rate)
        self._nbits = (self.lookback + 1).bit_length()   # L and N are <= h + 1; their sum gets one more bit
        super().__init__(height, width, emit_every, start, block)

    def _compute_end(self, targets: list[int]) -> None:
        c, lo, hi = self._window_positions(targets)
        K.tfi_window(self._work64, c, lo, hi, self._nbits, self._table, self._stack, self.npix, K.LUT_ONE)


class StreamingAdaptive(StreamingReconstructor):
    """Streaming spike-anchored adaptive windows: same images as :func:`spikevision.recon.adaptive`.

    Latency: ``span`` frames (default 255: the image of frame t needs the spikes up to t + span).
    Frames are kept per pixel (64 frames per uint64 word, transposed once as they arrive), so an
    image costs a few masked counts per pixel and window whatever the reach. ``rate`` is a number (a
    scale cannot be measured before the frames arrive; measure one with
    :func:`~spikevision.recon.auto_rate` on a first block).
    """

    keep = 64   # frame-major rows of the chunk being filled (transposed again as it grows)

    def __init__(self, height: int, width: int, span: int = 255, intervals: int = 32, tol: float = 1.0,
                 tol_rel: float = 0.0, noise_z: float = 2.5, center: bool = True, emit_every: int = 40,
                 start: int = 0, rate: float = 1.0, block: int = 256):
        check_adaptive(span, intervals, tol, tol_rel, noise_z)
        self.center = bool(center)
        self.span, self.intervals, self.tol, self.tol_rel = int(span), int(intervals), float(tol), float(tol_rel)
        self.noise_z = float(noise_z)
        self.rate = check_rate(rate)
        self.lookback = self.lookahead = self.span
        super().__init__(height, width, emit_every, start, block)
        self._ladder = ladder(self.span)
        self._wb, self._wf = windows(self.span, self.center)
        # 64-frame slots: the reach of the oldest pending image (2 span + a batch of frames) plus alignment
        self._slots = (2 * self.span + self._chunk + 1) // 64 + 3
        self._hist = np.zeros((self._slots, self.npix), dtype=np.uint64)
        self._raw = np.zeros_like(self._stack)                 # before the hot-pixel clamp
        self._reach = np.zeros_like(self._stack)               # spike count over the reach, as a rate
        n_sample = (self.npix + NOISE_STEP - 1) // NOISE_STEP
        n_out = self._stack.shape[0]
        self._sample = (np.zeros((n_out, n_sample)), np.zeros((n_out, n_sample), np.int64),
                        np.zeros((n_out, n_sample), np.int64))

    def _compute(self, p0: int, p1: int, targets: list[int]) -> None:
        first = self._base + p0
        for ci in range(first // 64, (self._base + p1 - 1) // 64 + 1):   # the chunks the new frames touch
            a = ci * 64
            n = min(a + 64, self._base + p1) - a
            K.history_store(self._work64, a - self._base, n, self._hist, ci % self._slots, self.npix)
        if targets:
            self._compute_end(targets)

    def _compute_end(self, targets: list[int]) -> None:
        c = np.array(targets, dtype=np.int64)
        lo = np.maximum(0, c - self.span)
        hi = np.minimum(self._seen - 1, c + self.span)
        ci0 = int(lo.min()) // 64
        slot_of = np.arange(ci0, int(hi.max()) // 64 + 1, dtype=np.int64) % self._slots
        n_e = len(targets)
        scatter, n_spikes, ticks = (a[:n_e] for a in self._sample)
        AK.isi_sample(self._hist, slot_of, ci0, c, lo, hi, GATHER, NOISE_STEP, scatter, n_spikes, ticks)
        sensor = [noise_of(scatter[e], n_spikes[e], ticks[e]) for e in range(n_e)]
        noise = np.array([self.noise_z * 0.5 * v for v in sensor], dtype=np.float32)
        threshold = np.array([hot_threshold(v) for v in sensor])
        AK.adaptive_hist(self._hist, slot_of, ci0, c, lo, hi, self._ladder, self._wb, self._wf, self.intervals,
                         self.tol, self.tol_rel, noise, self.rate, self._raw, self._reach, self.npix,
                         numba.get_num_threads())
        AK.clamp_hot_hist(self._hist, slot_of, ci0, c, lo, hi, HOT_GATHER, self._raw, self._reach, threshold,
                          HOT_MARGIN, self.height, self.width, self._stack)


def streaming_reconstructor(method: str, height: int, width: int, **params) -> StreamingReconstructor:
    """A streaming reconstructor by method name: "tfp", "tfi", "adaptive" or "best" (= "adaptive")."""
    classes = {"tfp": StreamingTFP, "tfi": StreamingTFI, "adaptive": StreamingAdaptive, "best": StreamingAdaptive}
    if method not in classes:
        raise ValueError(f"no streaming reconstructor for method {method!r}; choose one of {', '.join(classes)}")
    return classes[method](height, width, **params)
