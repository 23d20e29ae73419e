"""The viewer's commands behind dialogs: open, connect, snapshot, export a range, record a camera."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PyQt6.QtWidgets import QFileDialog

from ..errors import SpikevisionError
from .dialogs import FILE_FILTER, ConnectDialog, ExportDialog, OpenOptionsDialog
from .export_job import ExportJob
from .modes import get_mode

__all__ = ["Commands"]


class Commands:
    """Mixin of :class:`~.window.ViewerWindow`: the File menu's dialogs, export jobs and camera recording."""

    def _last_dir(self) -> str:
        if self.settings is not None:
            return str(self.settings.value("last_dir", str(Path.home())))
        return str(Path.cwd())

    def _open_dialog(self, with_options: bool = False) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open spike file", self._last_dir(), FILE_FILTER)
        if not path:
            return
        if with_options:
            self._open_with_options(path)
        elif not self.open_file(path) and Path(path).suffix.lower() in (".dat", ".bin", ""):
            self._open_with_options(path, self.last_error or "")

    def _open_with_options(self, path: str, message: str = "") -> None:
        """Ask for the layout (size, rate, row order, head columns) and open with it."""
        opts = dict(self.settings.value("dat_options", {}) or {}) if self.settings is not None else {}
        dlg = OpenOptionsDialog(self, path, message, opts)
        if dlg.exec() and self.open_file(path, **dlg.options()) and self.settings is not None:
            self.settings.setValue("dat_options", dlg.options())

    def _connect_dialog(self) -> None:
        last = str(self.settings.value("last_url", "sim://?fps=20000")) if self.settings else "sim://?fps=20000"
        dlg = ConnectDialog(self, self.recent_files[:5], last)
        if dlg.exec() and dlg.selected_url():
            try:
                self.open_camera(dlg.selected_url())
            except (SpikevisionError, ValueError) as exc:
                self.show_error("Cannot connect", str(exc))

    def _snapshot_dialog(self) -> None:
        if self.rgb is None:
            self.show_error("Nothing to save", "no frame is shown yet; open a file or connect a camera")
            return
        stem = Path(self.source_name).stem if self.source_name and "://" not in self.source_name else "live"
        idx = self.shown.key.index if self.shown else 0
        default = str(Path(self._last_dir()) / f"{stem}_{idx:06d}_{self.view_panel.mode_name}.png")
        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", default, "PNG image (*.png)")
        if path:
            try:
                self.snapshot(path)
                self.set_message(f"saved {path}")
            except (SpikevisionError, OSError) as exc:
                self.show_error("Cannot save snapshot", str(exc))

    def _export_dialog(self) -> None:
        if self.stream is None:
            self.show_error("Nothing to export", "export works on recordings; open a file (or record the camera)")
            return
        dlg = ExportDialog(self, len(self.stream), self.index, start=self.index, directory=self._last_dir())
        if dlg.exec():
            v = dlg.values()
            self.export(v["path"], v["start"], v["stop"], step=v["step"], video_fps=v["video_fps"])

    def export(self, path: str | os.PathLike, start: int, stop: int, *, step: int = 1, video_fps: float = 30.0,
               wait: bool = False, progress_dialog: bool = True) -> ExportJob:
        """Export frames [start, stop) of the current view in a worker thread with a cancellable progress dialog."""
        if self.export_job is not None and self.export_job.running:
            raise SpikevisionError("an export is running already; wait for it or cancel it")
        if self.stream is None:
            raise SpikevisionError("nothing to export: open a recording first")
        mode, display = self.view_panel.mode_name, self.display
        if display.auto_levels and get_mode(mode).exposure and self.exposure.rate is not None:
            display = display.with_(levels=(0.0, self.exposure.rate), auto_levels=False)  # the exposure shown
        job = ExportJob(self, self.stream, start, stop, path, progress_dialog=progress_dialog, mode=mode,
                        window=self.view_panel.window.value(), display=display, step=step, video_fps=video_fps)
        job.done.connect(self._export_done)
        self.export_job = job.start()
        if wait:
            job.wait()
        return job

    def _export_done(self, status: str, detail: str) -> None:
        if status == "cancelled":
            self.set_message("export cancelled; nothing was written", warn=True)
        elif status == "error":
            self.show_error("Export failed", detail)
        else:
            self.set_message(f"exported {detail}")

    def cancel_export(self) -> None:
        if self.export_job is not None:
            self.export_job.cancel()

    def _record_toggled(self, on: bool, path: str) -> None:
        if self.live is None:
            return
        if on:
            try:
                self.live.start_recording(path or "recording.h5")
                self.camera_panel.update_status(self.live.status())
                self.set_message(f"recording to {path}")
            except Exception as exc:
                self.camera_panel.set_recording(False)
                self.show_error("Cannot record", str(exc))
        else:
            rec = self.live.stop_recording()
            self.camera_panel.update_status(self.live.status())
            if rec is not None:
                self.set_message(f"recorded {rec.frames:,} frames to {rec.path}", warn=bool(rec.error))
                if Path(self.camera_panel.path.text()).exists():  # the next recording gets a new name
                    self.camera_panel.path.setText(self._new_recording_path())
                if rec.error:
                    self.show_error("Recording failed", rec.error)

    def _new_recording_path(self) -> str:
        """A fresh file name in the last folder: recording_YYYYmmdd_HHMMSS.h5."""
        folder = Path(self.camera_panel.path.text()).parent if self.camera_panel.path.text() else \
            Path(self._last_dir())
        return str(folder / time.strftime("recording_%Y%m%d_%H%M%S.h5"))
