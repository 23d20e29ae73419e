"""Qt fixtures for the viewer tests (offscreen; the top-level conftest sets QT_QPA_PLATFORM)."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PyQt6.QtWidgets")


@pytest.fixture
def viewer(qtbot, monkeypatch):
    """A themed ViewerWindow without remembered settings; on teardown all its threads are gone."""
    monkeypatch.setenv("SPIKEVISION_VIEWER_NO_DIALOGS", "")
    from spikevision.viewer.app import application
    from spikevision.viewer.window import ViewerWindow

    application()
    before = threading.active_count()
    win = ViewerWindow(settings=None)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.close()
    assert threading.active_count() == before, [t.name for t in threading.enumerate()]
