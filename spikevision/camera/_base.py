"""The :class:`Camera` base class: producer thread, block assembly, ring buffer, stats.

A backend implements three methods:

- ``_open() -> CameraInfo``: acquire the device / file (errors surface here);
- ``_runs(stop: threading.Event)``: a generator, run in the producer thread,
  yielding :class:`FrameRun` items (consecutive canonical packed frames with
  the number of frames lost before them; the arrays must not be modified
  afterwards, since whole blocks are sliced from them without a copy); an
  empty run lets the assembler flush a block that has waited longer than
  ``max_latency``;
- ``_close()``: release everything (called once, after the thread is joined).

A backend that frames wire bytes keeps its framer in ``self._framer``; the
framer's resyncs and tag errors then show in :meth:`Camera.stats`.

The base class cuts runs into :class:`SpikeBlock` s of ``frames_per_block``
frames (a block never spans a gap), pushes them into a bounded
:class:`RingBuffer`, and turns producer errors into exceptions raised by
:meth:`Camera.read` once the blocks captured before the error are consumed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _bits
from ._block import SpikeBlock
from ._errors import CameraError, DeviceDisconnected
from ._ring import RingBuffer, RingClosed

if TYPE_CHECKING:
    from .framing import Framer

__all__ = ["Camera", "CameraInfo", "CameraStats", "FrameRun", "default_frames_per_block"]

log = logging.getLogger(__name__)


def default_frames_per_block(height: int, width: int, fps: float) -> int:
    """About 10 ms of frames per block, at most 4 MiB of packed bits, at least 1 frame."""
    f = _bits.frame_nbytes(height, width)
    return int(max(1, min(round(fps / 100), (4 << 20) // f)))


@dataclass(frozen=True)
class CameraInfo:
    """What a camera delivers.

    Attributes:
        height, width: frame size in pixels.
        fps: nominal readout rate in Hz.
        frames_per_block: frames in a full block.
        backend: ``"sim"``, ``"replay"``, ``"usb"`` or ``"sdk"``.
        serial: device serial number, file path or scene name.
        url: the URL the camera was opened with.
        extra: backend details (wire layout, VID:PID, SDK type, ...).
    """

    height: int
    width: int
    fps: float
    frames_per_block: int
    backend: str
    serial: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def frame_nbytes(self) -> int:
        return _bits.frame_nbytes(self.height, self.width)


@dataclass(frozen=True)
class CameraStats:
    """A snapshot of a camera's counters (see :meth:`Camera.stats`).

    ``dropped_frames`` counts frames lost anywhere (device/transport/framing
    losses plus ``ring_dropped_frames``, those the ring discarded because the
    consumer was slow). ``fps`` and ``mb_per_s`` are measured since start.
    """

    frames: int
    blocks: int
    bytes: int
    elapsed: float
    fps: float
    mb_per_s: float
    dropped_frames: int
    device_dropped_frames: int
    ring_dropped_frames: int
    ring_dropped_blocks: int
    resyncs: int
    tag_errors: int
    transfer_errors: int
    ring_fill: int
    ring_capacity: int
    ring_high_water: int
    last_error: str | None


@dataclass(frozen=True)
class FrameRun:
    """Consecutive frames from a backend: ``packed`` (n, F), preceded by ``dropped_before`` lost frames."""

    packed: np.ndarray
    dropped_before: int = 0
    resync: bool = False
    meta: dict[str, Any] | None = None


class Camera:
    """A live source of spike blocks: ``with open_camera(url) as cam: for block in cam: ...``.

    Args:
        frames_per_block: frames per block (default: about 10 ms of frames).
        ring_blocks: ring capacity in blocks (memory bound = ring_blocks blocks).
        policy: full-ring policy, ``"block"``, ``"drop_oldest"`` or ``"drop_newest"``.
        max_latency: seconds a partly filled block may wait before it is delivered.
        timeout: seconds :meth:`read` (and iteration) wait for a block by default.
    """

    backend = "base"
    default_policy = "block"
    _framer: Framer | None = None  # set by backends that frame wire bytes

    def __init__(self, *, frames_per_block: int | None = None, ring_blocks: int = 64, policy: str | None = None,
                 max_latency: float = 0.05, timeout: float = 5.0, url: str = ""):
        self._fpb_request = frames_per_block
        if frames_per_block is not None and int(frames_per_block) < 1:
            raise ValueError(f"frames_per_block must be >= 1, got {frames_per_block}")
        self._ring = RingBuffer(ring_blocks, policy or self.default_policy)
        self.max_latency = float(max_latency)
        self.timeout = float(timeout)
        self.url = url
        self._info: CameraInfo | None = None
        self._thread: threading.Thread | None = None
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._last_error: str | None = None
        self._opened = self._closed = self._started = False
        self._t_start: float | None = None
        self._t_end: float | None = None
        self._next_index = 0  # index the consumer expects next (frames start at index 0)
        # producer-side counters (written by the producer thread only)
        self._bytes = 0
        self._frames_made = 0
        self._device_dropped = 0
        self._transfer_errors = 0
        # consumer-side counters
        self._read_frames = 0
        self._read_blocks = 0

    # --- backend hooks ----------------------------------------------------
    def _open(self) -> CameraInfo:
        raise NotImplementedError

    def _runs(self, stop: threading.Event) -> Iterator[FrameRun]:
        raise NotImplementedError

    def _close(self) -> None:
        pass

    # --- lifecycle --------------------------------------------------------
    @property
    def info(self) -> CameraInfo:
        """Frame size, fps, frames per block, backend and serial (opens the camera if needed)."""
        if self._info is None:
            self.open()
        return self._info  # type: ignore[return-value]

    def open(self) -> Camera:
        """Acquire the device or file; idempotent."""
        with self._lock:
            if self._closed:
                raise CameraError(f"{self.backend} camera is closed; open a new one with open_camera()")
            if not self._opened:
                info = self._open()
                if self._fpb_request is not None:
                    info = dataclasses.replace(info, frames_per_block=int(self._fpb_request))
                self._info = info
                self._opened = True
        return self

    def start(self) -> Camera:
        """Start the producer thread (opens first); idempotent."""
        self.open()
        with self._lock:
            if self._stop_event.is_set():
                raise CameraError(f"{self.backend} camera was stopped; a stopped camera does not restart: "
                                  f"close it and open a new one with open_camera()")
            if self._started:
                return self
            self._started = True
            self._t_start = time.monotonic()
            self._thread = threading.Thread(target=self._produce, name=f"spikevision-camera-{self.backend}")
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the producer thread and join it; queued blocks stay readable (then read() returns None)."""
        self._stop_event.set()
        self._ring.abort()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
            if t.is_alive():
                raise CameraError(f"the {self.backend} producer thread did not stop within {timeout:g} s")

    def close(self) -> None:
        """Stop streaming and release the device; safe to call more than once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self.stop()
        finally:
            if self._opened:
                try:
                    self._close()
                except Exception as exc:  # never mask the original problem on close
                    log.warning("closing %s camera: %s", self.backend, exc)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Camera:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            if self._started and not self._closed:
                self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        i = self._info
        size = f"{i.height}x{i.width}@{i.fps:g}Hz" if i else "not opened"
        return f"<{type(self).__name__} {self.url or self.backend} {size}>"

    # --- consumer side ----------------------------------------------------
    def read(self, timeout: float | None = None) -> SpikeBlock | None:
        """The next block, or None at the end of the stream.

        Raises ``TimeoutError`` when nothing arrives within ``timeout`` seconds
        (default: the camera's ``timeout``), :class:`DeviceDisconnected` (or the
        backend's error) once every block captured before the failure is read.
        """
        if not self._started:
            self.start()
        timeout = self.timeout if timeout is None else timeout
        try:
            block = self._ring.get(timeout)
        except RingClosed:
            if self._error is not None:
                raise self._error from None
            return None
        except TimeoutError:
            if self._error is not None and not len(self._ring):
                raise self._error from None
            raise TimeoutError(f"{self.backend} camera: no block within {timeout:g} s; check the device "
                               f"(cable, trigger) or pass a longer timeout") from None
        if block.index != self._next_index:
            lost = block.index - self._next_index
            if lost != block.dropped_before:
                block = dataclasses.replace(block, dropped_before=lost)
        self._next_index = block.stop_index
        self._read_frames += block.n_frames
        self._read_blocks += 1
        return block

    def __iter__(self) -> Iterator[SpikeBlock]:
        while True:
            block = self.read()
            if block is None:
                return
            yield block

    def stats(self) -> CameraStats:
        """Counters since start: frames, bytes, measured fps and MB/s, losses, ring fill."""
        r = self._ring.stats()
        t0 = self._t_start
        end = self._t_end or time.monotonic()
        elapsed = max(0.0, end - t0) if t0 is not None else 0.0
        fs = self._framer.stats if self._framer is not None else None
        frames = self._frames_made
        return CameraStats(
            frames=frames, blocks=r.put_blocks, bytes=self._bytes, elapsed=elapsed,
            fps=frames / elapsed if elapsed > 0 else 0.0,
            mb_per_s=self._bytes / elapsed / 1e6 if elapsed > 0 else 0.0,
            dropped_frames=self._device_dropped + r.dropped_frames, device_dropped_frames=self._device_dropped,
            ring_dropped_frames=r.dropped_frames, ring_dropped_blocks=r.dropped_blocks,
            resyncs=fs.resyncs if fs else 0, tag_errors=fs.tag_errors if fs else 0,
            transfer_errors=self._transfer_errors, ring_fill=r.fill, ring_capacity=r.capacity,
            ring_high_water=r.high_water, last_error=self._last_error)

    # --- producer side ----------------------------------------------------
    def _produce(self) -> None:
        info = self._info
        assert info is not None
        fpb, f = info.frames_per_block, info.frame_nbytes
        buf = np.empty((fpb, f), np.uint8)
        fill = 0
        index = 0
        first_index = 0
        pending_drop = 0
        pending_resync = False
        block_meta: dict | None = None
        t_first = 0.0

        def emit(direct: np.ndarray | None = None) -> None:
            nonlocal fill, pending_drop, pending_resync, block_meta
            if direct is None and fill == 0:
                return
            # a whole block taken straight from a run is not copied: runs are never reused by backends
            packed = direct if direct is not None else buf[:fill].copy()
            n = packed.shape[0]
            blk = SpikeBlock(packed, first_index, info.height, info.width, info.fps, time.monotonic(),
                             pending_drop, pending_resync, n < fpb, block_meta or {})
            pending_drop, pending_resync, block_meta, fill = 0, False, None, 0
            self._ring.put(blk, n)

        runs = self._runs(self._stop_event)
        try:
            for run in runs:
                if self._stop_event.is_set():
                    break
                if run.dropped_before or run.resync:
                    emit()  # a block never spans a gap
                    self._device_dropped += run.dropped_before
                    index += run.dropped_before
                    pending_drop += run.dropped_before
                    pending_resync = pending_resync or run.resync
                p = run.packed
                n = p.shape[0]
                if n and p.shape[1] != f:
                    raise CameraError(f"backend produced frames of {p.shape[1]} bytes, expected {f}")
                i = 0
                while i < n:
                    if fill == 0:
                        first_index = index
                        t_first = time.monotonic()
                        block_meta = run.meta
                        if n - i >= fpb:
                            emit(p[i:i + fpb])
                            i += fpb
                            index += fpb
                            self._frames_made += fpb
                            continue
                    k = min(fpb - fill, n - i)
                    buf[fill:fill + k] = p[i:i + k]
                    fill += k
                    i += k
                    index += k
                    self._frames_made += k
                    if fill == fpb:
                        emit()
                if fill and time.monotonic() - t_first >= self.max_latency:
                    emit()
            if not self._stop_event.is_set():
                emit()
        except BaseException as exc:  # surfaced to the consumer by read()
            if not self._stop_event.is_set() or isinstance(exc, DeviceDisconnected):
                try:
                    emit()
                except Exception:
                    pass
                self._error = exc
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.warning("%s camera stopped: %s", self.backend, self._last_error)
        finally:
            try:
                runs.close()  # run the backend's cleanup in this thread
            except Exception as exc:
                log.warning("%s camera cleanup: %s", self.backend, exc)
            self._t_end = time.monotonic()
            self._ring.close()
