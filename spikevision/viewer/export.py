"""Export what the viewer shows: a PNG snapshot, a range as mp4 or an image sequence, or the spikes themselves.

Images go through the same display pipeline as the screen
(:func:`spikevision.viewer.display.to_rgb`), so an exported frame equals the
displayed one. Every export is atomic (a temporary file or directory renamed
on success) and can be cancelled from the ``progress`` callback, which gets
``(done, total)`` and returns False to stop; a cancelled export leaves nothing.

Example:
    >>> export_range(stream, 0, 200, "clip.mp4", mode="tfp", window=41)   # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..io._atomic import atomic_path
from ..stream import SpikeStream
from .display import DisplaySettings, auto_levels, to_rgb
from .modes import get_mode
from .playback import RenderKey, render_frame

__all__ = ["EXPORT_KINDS", "ExportCancelled", "export_kind", "save_png", "export_range", "frame_rgb", "iter_rgb"]

#: kind -> (file dialog filter, extensions)
EXPORT_KINDS = {
    "mp4": ("MPEG-4 video (*.mp4)", (".mp4",)),
    "png": ("PNG image sequence (folder)", ("",)),
    "dat": ("Vidar spikes (*.dat)", (".dat",)),
    "h5": ("spikevision HDF5 spikes (*.h5)", (".h5", ".hdf5")),
}

Progress = Callable[[int, int], bool]


class ExportCancelled(OutputError):
    """The export was cancelled; nothing was written."""


def export_kind(path: str | os.PathLike) -> str:
    """The export kind a path asks for (a name without a known extension is a PNG sequence folder)."""
    ext = Path(path).suffix.lower()
    for kind, (_, exts) in EXPORT_KINDS.items():
        if ext and ext in exts:
            return kind
    if ext in ("", ".png", ".d"):
        return "png"
    raise OutputError(f"cannot export to {path}: unknown extension {ext!r}; use .mp4, .dat, .h5, "
                      f"or a folder name for a PNG sequence")


def save_png(rgb: np.ndarray, path: str | os.PathLike, overwrite: bool = True) -> Path:
    """Write an (H, W, 3) uint8 RGB image as PNG atomically."""
    import cv2

    p = Path(path)
    if p.suffix.lower() != ".png":
        raise OutputError(f"snapshot {p} must end in .png")
    with atomic_path(p, overwrite=overwrite) as tmp:
        ok, data = cv2.imencode(".png", np.ascontiguousarray(rgb[..., ::-1]))
        if not ok:
            raise OutputError(f"could not encode {p} as PNG")
        tmp.write_bytes(data.tobytes())
    return p


def frame_rgb(stream: SpikeStream, index: int, mode: str, window: int, display: DisplaySettings) -> np.ndarray:
    """The (H, W, 3) RGB image of frame ``index`` as the viewer shows it."""
    frame = render_frame(stream, RenderKey(index, mode, window))
    if frame.error:
        raise OutputError(frame.error)
    return _display_rgb(frame.image, display)


def _display_rgb(image: np.ndarray, display: DisplaySettings) -> np.ndarray:
    levels = auto_levels(image) if display.auto_levels else display.levels
    return to_rgb(image, levels, display.gamma, display.colormap)


def iter_rgb(stream: SpikeStream, idx: list[int], mode: str, window: int, display: DisplaySettings):
    """Yield ``(index, rgb)`` for the frames ``idx`` (ascending, evenly spaced) as the viewer shows them.

    Modes that play faster sequentially (streaming kernels, causal models) run once over the range.
    """
    m = get_mode(mode)
    step = idx[1] - idx[0] if len(idx) > 1 else 1
    if len(idx) > 1 and m.prefers_sequential(step, window):
        for t, image in m.iterate(stream, idx[0], idx[-1] + 1, step, window):
            yield t, _display_rgb(image, display)
        return
    for i in idx:
        yield i, frame_rgb(stream, i, mode, window, display)


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise ExportCancelled("export cancelled; nothing was written")


def export_range(stream: SpikeStream, start: int, stop: int, path: str | os.PathLike, *, mode: str = "tfp",
                 window: int | None = None, display: DisplaySettings | None = None, step: int = 1,
                 video_fps: float = 30.0, overwrite: bool = True, progress: Progress | None = None) -> Path:
    """Export frames [start, stop) (every ``step``-th) to ``path``.

    ``.mp4``: the rendered view as video (OpenCV mp4v) at ``video_fps``; a folder
    name: one PNG per frame (``frame_000123.png``); ``.dat`` / ``.h5``: the
    spikes of the range, bit-exact, through the formats' atomic writers. Without ``display``,
    firing-rate modes show 0 .. :func:`spikevision.recon.auto_rate` of the range (one exposure for
    every frame, as the viewer), other modes their default levels.

    Raises:
        ExportCancelled: ``progress`` returned False (nothing is left behind).
        OutputError: the path cannot be written or the range is empty.
    """
    n = len(stream)
    start, stop = max(0, int(start)), min(n, int(stop))
    if stop <= start:
        raise OutputError(f"nothing to export: frames [{start}, {stop}) are empty; choose a range within 0..{n}")
    kind = export_kind(path)
    m = get_mode(mode)
    window = m.clamp_window(window or m.default_window)
    idx = list(range(start, stop, max(1, int(step))))
    if kind in ("dat", "h5"):
        return _export_spikes(stream[start:stop:max(1, int(step))], Path(path), overwrite, progress)
    if display is None and m.exposure:  # as the viewer shows it: one automatic exposure for the whole range
        from ..recon.exposure import auto_rate

        display = DisplaySettings(levels=(0.0, auto_rate(stream, start, stop)), colormap=m.colormap)
    display = display or DisplaySettings(levels=m.levels or (0.0, 1.0), colormap=m.colormap,
                                         auto_levels=m.levels is None)
    if kind == "png":
        return _export_pngs(stream, idx, Path(path), m.name, window, display, overwrite, progress)
    return _export_mp4(stream, idx, Path(path), m.name, window, display, video_fps, overwrite, progress)


def _export_spikes(part: SpikeStream, path: Path, overwrite: bool, progress: Progress | None,
                   block: int = 1024) -> Path:
    """Write the packed frames block by block through the format's atomic writer (cancel = nothing written).

    The writers check the path themselves (:class:`~spikevision.io._atomic.PendingFile`).
    """
    if export_kind(path) == "dat":
        from ..io.dat import DatWriter

        writer = DatWriter(path, part.height, part.width, flip=True, overwrite=overwrite, atomic=True,
                           fps=part.fps, t0=part.t0, sensor=part.meta.sensor, cfa=part.meta.cfa)
    else:
        from ..io.h5 import H5Writer

        prov = {**part.meta.provenance, "exported_by": "spikevision viewer"}
        writer = H5Writer(path, part.height, part.width, part.fps, t0=part.t0, sensor=part.meta.sensor,
                          provenance=prov, atomic=True, overwrite=overwrite)
    n = len(part)
    with writer:
        done = 0
        for packed in part.iter_packed(block):
            _tick(progress, done, n)
            writer.append_packed(packed)
            done += packed.shape[0]
        _tick(progress, n, n)
    return path


def _export_pngs(stream, idx, path: Path, mode, window, display, overwrite, progress) -> Path:
    """The shown RGB frames as ``frame_<index:06d>.png`` through :class:`spikevision.io.video.PngSequenceWriter`
    (a folder created whole when complete)."""
    from ..io.video import PngSequenceWriter

    with PngSequenceWriter(path, overwrite=overwrite, prefix="frame_") as writer:
        _tick(progress, 0, len(idx))
        for k, (i, rgb) in enumerate(iter_rgb(stream, idx, mode, window, display)):
            writer.write(rgb.astype(np.float32) / np.float32(255.0), frame_index=i)  # exact: rounds back to rgb
            _tick(progress, k + 1, len(idx))
        _tick(progress, len(idx), len(idx))
    return path


def _export_mp4(stream, idx, path: Path, mode, window, display, video_fps, overwrite, progress) -> Path:
    """The shown RGB frames through :class:`spikevision.io.video.VideoWriter` (atomic, read back when closed)."""
    from ..io.video import VideoWriter

    with VideoWriter(path, fps=float(video_fps), overwrite=overwrite) as writer:
        _tick(progress, 0, len(idx))
        for k, (_i, rgb) in enumerate(iter_rgb(stream, idx, mode, window, display)):
            writer.write(rgb.astype(np.float32) / np.float32(255.0))   # exact: to_uint rounds back to rgb
            _tick(progress, k + 1, len(idx))
    return path
