"""Recording a camera to disk while streaming, without loss and safe against crashes.

Blocks go through a bounded queue to a writer thread that appends them to an
HDF5 container (:class:`spikevision.io.h5.H5Writer`, the default for ``.h5``)
or a vidar ``.dat`` (:class:`spikevision.io.dat.DatWriter`) written in place,
and commits (``flush``: the HDF5 frame-count attribute is the commit point;
``.dat`` frames are whole on disk and fsynced) after every block when it keeps
up, and at least every ``commit_interval`` (0.25 s) when blocks queue up. After ``kill -9`` or an
unplug, every committed block is readable and the file says how many frames it
holds (a ``.dat`` keeps its layout, fps and committed frame count in the sidecar
``rec.dat.json``, so it opens without options). Frames the camera lost are not padded: the
result (and the HDF5 ``camera_gaps`` attribute or the ``.dat`` sidecar's ``camera.gaps``, written
at the end) lists each gap as
``[frame in file, frames lost before it]``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._base import Camera, CameraInfo, CameraStats
from ._block import SpikeBlock
from ._errors import CameraError, DeviceDisconnected

__all__ = ["Recorder", "RecordResult", "record", "RECORD_FORMATS"]

log = logging.getLogger(__name__)

RECORD_FORMATS = {".h5": "h5", ".hdf5": "h5", ".dat": "dat"}


@dataclass(frozen=True)
class RecordResult:
    """What a recording holds.

    Attributes:
        path: the file written.
        format: ``"h5"`` or ``"dat"``.
        frames: frames committed to the file.
        blocks: blocks written.
        first_index: sensor frame index of the first recorded frame.
        dropped_frames: frames lost between the first and last recorded frame.
        gaps: ``(frame in file, frames lost before it)`` for every gap.
        elapsed: wall-clock seconds of recording.
        stopped_by: ``"frames"``, ``"duration"``, ``"end"``, ``"interrupt"`` or ``"error"``.
        error: the error that ended the recording, if any.
        camera: the camera's counters at the end.
    """

    path: Path
    format: str
    frames: int
    blocks: int
    first_index: int | None
    dropped_frames: int
    gaps: list[tuple[int, int]]
    elapsed: float
    stopped_by: str
    error: str | None = None
    camera: CameraStats | None = field(default=None, compare=False)


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("h5", "dat"):
            raise CameraError(f"cannot record to format {fmt!r}; choose h5 or dat")
        return fmt
    try:
        return RECORD_FORMATS[path.suffix.lower()]
    except KeyError:
        raise CameraError(f"cannot record to {path}: unknown extension {path.suffix or '(none)'!r}; "
                          f"use .h5 (recommended) or .dat") from None


class Recorder:
    """Write blocks to a file from a writer thread, committing after each block.

    Args:
        path: output file (``.h5``/``.hdf5`` or ``.dat``).
        info: the camera's :class:`CameraInfo` (size, fps, provenance).
        format: ``"h5"`` or ``"dat"`` (default: from the extension).
        overwrite: replace an existing file.
        queue_blocks: blocks waiting for the writer before :meth:`write` blocks.
        compression: HDF5 compression (None by default: spike frames barely compress and
            ``"lzf"`` costs several times the write time; ``"gzip"`` for archives).
        commit_interval: seconds between commits while blocks keep arriving.

    A block is committed (``flush``) as soon as the writer has nothing else
    queued, so at low rates every block is committed on arrival; while blocks
    queue up, the writer keeps appending and commits every ``commit_interval``
    seconds, so a crash loses at most that much of the stream. :attr:`frames`
    counts committed frames.
    """

    def __init__(self, path: str | os.PathLike, info: CameraInfo, *, format: str | None = None,
                 overwrite: bool = False, queue_blocks: int = 32, compression: str | None = None,
                 commit_interval: float = 0.25):
        from ..io._atomic import check_output_path

        self.path = Path(path)
        self.format = _format_of(self.path, format)
        check_output_path(self.path, overwrite=overwrite)
        self.info = info
        self.overwrite = overwrite
        self.compression = compression
        if not commit_interval >= 0:
            raise ValueError(f"commit_interval must be >= 0 seconds, got {commit_interval}")
        self.commit_interval = float(commit_interval)
        self.commits = 0
        self._q: queue.Queue = queue.Queue(maxsize=max(1, queue_blocks))
        self._writer: Any = None
        self._error: BaseException | None = None
        self.frames = 0
        self.blocks = 0
        self.first_index: int | None = None
        self._next_index: int | None = None
        self._queued = 0
        self.gaps: list[tuple[int, int]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spikevision-recorder")
        self._thread.start()

    def _make_writer(self, block: SpikeBlock):
        i = self.info
        if self.format == "dat":
            from ..io.dat import DatWriter

            # the sidecar rec.dat.json records layout, fps and the committed frame count at every flush
            cam = {"backend": i.backend, "url": i.url, "serial": i.serial,
                   "first_index": None if block is None else block.index}
            return DatWriter(self.path, i.height, i.width, flip=True, overwrite=self.overwrite, atomic=False,
                             fps=i.fps, t0=0.0 if block is None else block.time,
                             sensor=i.extra.get("sensor", i.backend), camera=cam,
                             start_time=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        from ..io.h5 import H5Writer

        extra = {k: v for k, v in i.extra.items()
                 if isinstance(v, (str, int, bool)) or (isinstance(v, float) and math.isfinite(v))}
        prov = {"format": "camera", "backend": i.backend, "url": i.url, "serial": i.serial, "camera": extra,
                "first_index": None if block is None else block.index,
                "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        t0 = 0.0 if block is None else block.time
        chunk = max(1, min(1024, (16 << 20) // i.frame_nbytes))  # HDF5 chunks of at most 16 MiB
        return H5Writer(self.path, i.height, i.width, i.fps, t0=t0, sensor=i.extra.get("sensor", i.backend),
                        provenance=prov, block_frames=chunk, compression=self.compression,
                        atomic=False, overwrite=self.overwrite)

    def _run(self) -> None:
        try:
            pending: list[SpikeBlock] = []
            last_commit = time.monotonic()
            while True:
                block = self._q.get()
                if block is not None:
                    if self._writer is None:
                        self._writer = self._make_writer(block)
                    self._writer.append_packed(block.packed)
                    pending.append(block)
                # commit when idle (every block at low rates), at the end, or every commit_interval when busy
                if pending and (block is None or self._q.empty()
                                or time.monotonic() - last_commit >= self.commit_interval):
                    self._writer.flush()  # the commit point
                    last_commit = time.monotonic()
                    self.frames += sum(b.n_frames for b in pending)
                    self.blocks += len(pending)
                    self.commits += 1
                    pending.clear()
                if block is None:
                    break
        except BaseException as exc:
            self._error = exc
            log.error("recording to %s failed: %s", self.path, exc)
            while True:  # unblock a producer waiting on a full queue
                try:
                    if self._q.get_nowait() is None:
                        break
                except queue.Empty:
                    break

    def write(self, block: SpikeBlock) -> None:
        """Queue a block for writing (blocks while the writer is ``queue_blocks`` behind)."""
        if self._closed:
            raise CameraError(f"recorder for {self.path} is closed")
        if self._error is not None:
            raise self._error
        if self.first_index is None:
            self.first_index = block.index
        elif block.index != self._next_index:
            pos = self.frames_queued
            self.gaps.append((pos, block.index - self._next_index))
        self._next_index = block.stop_index
        self._queued += block.n_frames
        while True:
            try:
                self._q.put(block, timeout=0.5)
                return
            except queue.Full:
                if self._error is not None:
                    raise self._error from None
                if not self._thread.is_alive():
                    raise CameraError(f"the writer thread for {self.path} stopped") from None

    @property
    def error(self) -> BaseException | None:
        """The writer thread's error (disk full, permission, ...), or None."""
        return self._error

    @property
    def frames_queued(self) -> int:
        """Frames handed to :meth:`write` so far (committed or waiting for the writer)."""
        return self._queued

    def close(self) -> None:
        """Write what is queued, commit, close the file; idempotent. Raises the writer's error."""
        if self._closed:
            return
        self._closed = True
        while True:
            try:
                self._q.put(None, timeout=0.5)
                break
            except queue.Full:
                if not self._thread.is_alive():
                    break
        self._thread.join()
        try:
            if self._writer is None and self._error is None:
                self._writer = self._make_writer(None)
            if self._writer is not None:
                if self.format == "dat" and self._error is None and self._writer.camera is not None:
                    self._writer.camera.update(gaps=self.gaps, dropped_frames=int(sum(n for _, n in self.gaps)))
                self._writer.close()
        finally:
            if self._error is None and self.format == "h5" and self.path.exists():
                self._annotate()
        if self._error is not None:
            raise self._error

    def _annotate(self) -> None:
        try:
            import h5py

            with h5py.File(self.path, "r+") as f:
                f.attrs["camera_gaps"] = json.dumps(self.gaps)
                f.attrs["camera_dropped_frames"] = int(sum(n for _, n in self.gaps))
                f.attrs["camera_first_index"] = -1 if self.first_index is None else int(self.first_index)
        except Exception as exc:  # the frames are committed already; the gap list is a courtesy
            log.warning("could not store the gap list in %s: %s", self.path, exc)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def record(source: str | Camera, path: str | os.PathLike, *, duration: float | None = None,
           frames: int | None = None, format: str | None = None, overwrite: bool = False,
           on_block: Callable[[SpikeBlock], None] | None = None, **camera_options: Any) -> RecordResult:
    """Record a camera (URL or opened :class:`Camera`) to ``path`` while streaming.

    Stops after ``frames`` frames, after ``duration`` seconds of stream time
    (nominal: frame index / fps), at the end of the stream, or on Ctrl-C, and
    returns a :class:`RecordResult`. A disconnect or backend error closes the
    file with every completed block committed and is re-raised with the result
    attached as ``exc.result``.
    """
    from ._url import open_camera

    if frames is not None and frames < 0:
        raise ValueError(f"frames must be >= 0, got {frames}")
    if duration is not None and duration < 0:
        raise ValueError(f"duration must be >= 0 seconds, got {duration}")
    own = isinstance(source, str)
    cam = open_camera(source, **camera_options) if own else source
    t0 = time.monotonic()
    stopped_by, err = "end", None
    rec = None
    try:
        cam.start()
        info = cam.info
        rec = Recorder(path, info, format=format, overwrite=overwrite)
        limit = frames
        if duration is not None:
            dframes = int(round(duration * info.fps))
            limit = dframes if limit is None else min(limit, dframes)
        first = None
        if limit == 0:
            stopped_by = "frames" if frames == 0 else "duration"
        else:
            try:
                for block in cam:
                    if first is None:
                        first = block.index
                    if duration is not None and block.index - first >= duration * info.fps:
                        stopped_by = "duration"
                        break
                    last = limit is not None and rec.frames_queued + block.n_frames >= limit
                    if last and limit - rec.frames_queued < block.n_frames:
                        block = dataclasses.replace(block, packed=block.packed[: limit - rec.frames_queued],
                                                    partial=True)
                    rec.write(block)
                    if on_block:
                        on_block(block)
                    if last:
                        stopped_by = "frames" if frames is not None and limit == frames else "duration"
                        break
            except KeyboardInterrupt:
                stopped_by = "interrupt"
    except (DeviceDisconnected, CameraError, OSError) as exc:
        stopped_by, err = "error", exc
    finally:
        if own:
            cam.close()
        else:
            cam.stop()
        if rec is not None:
            rec.close()
    result = RecordResult(Path(path), rec.format if rec else _format_of(Path(path), format),
                          rec.frames if rec else 0, rec.blocks if rec else 0, rec.first_index if rec else None,
                          int(sum(n for _, n in rec.gaps)) if rec else 0, list(rec.gaps) if rec else [],
                          time.monotonic() - t0, stopped_by, None if err is None else f"{type(err).__name__}: {err}",
                          cam.stats())
    if err is not None:
        err.result = result  # type: ignore[attr-defined]
        if rec is not None:
            log.error("recording stopped by %s; %d frames committed to %s", type(err).__name__, rec.frames, path)
        raise err
    return result
