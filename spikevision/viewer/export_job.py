"""``ExportJob``: run :func:`~spikevision.viewer.export.export_range` in a thread with a cancellable progress dialog."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QProgressDialog, QWidget

from .export import ExportCancelled, export_range
from .playback import limit_worker_threads

__all__ = ["ExportJob"]


class ExportJob(QObject):
    """One export running off the GUI thread; the GUI polls its progress (never blocks).

    Signals:
        done(str, str): ``("ok", path)``, ``("cancelled", "")`` or ``("error", message)``.
    """

    done = pyqtSignal(str, str)

    def __init__(self, parent: QWidget, stream: Any, start: int, stop: int, path: str | os.PathLike, *,
                 progress_dialog: bool = True, **options: Any):
        super().__init__(parent)
        self.path = Path(path)
        self.progress = (0, max(1, stop - start))
        self.cancelled = False
        self.status: tuple[str, str] | None = None
        self._args = (stream, start, stop, path, options)
        self._thread = threading.Thread(target=self._run, name="spikevision-viewer-export", daemon=True)
        self._dialog = None
        if progress_dialog:
            dlg = QProgressDialog(f"Exporting frames {start:,}–{stop:,} to {self.path.name}", "Cancel", 0, 1000,
                                  parent)
            dlg.setWindowTitle("Export")
            dlg.setMinimumDuration(300)
            dlg.canceled.connect(self.cancel)
            self._dialog = dlg
        self._poll = QTimer(self)
        self._poll.timeout.connect(self._check)

    def start(self) -> ExportJob:
        self._thread.start()
        self._poll.start(50)
        return self

    def cancel(self) -> None:
        """Ask the export to stop at the next frame (it then removes what it wrote)."""
        self.cancelled = True

    def wait(self, timeout: float | None = None) -> None:
        """Block until the export thread ends (scripts and tests), then report."""
        self._thread.join(timeout)
        self._check()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _tick(self, done: int, total: int) -> bool:
        self.progress = (done, total)
        return not self.cancelled

    def _run(self) -> None:
        limit_worker_threads()
        stream, start, stop, path, options = self._args
        try:
            out = export_range(stream, start, stop, path, progress=self._tick, **options)
            self.status = ("ok", str(out))
        except ExportCancelled:
            self.status = ("cancelled", "")
        except Exception as exc:  # shown to the user; the app stays up
            self.status = ("error", f"{type(exc).__name__}: {exc}")

    def _check(self) -> None:
        if self._dialog is not None:
            done, total = self.progress
            self._dialog.setValue(int(1000 * done / max(1, total)))
        if self._thread.is_alive() or self.status is None or not self._poll.isActive():
            return
        self._poll.stop()
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        self.done.emit(*self.status)
