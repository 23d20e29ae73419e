"""Qt fixtures for the viewer tests (offscreen; the top-level conftest sets QT_QPA_PLATFORM)."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def qt(request):
    """The QApplication (pytest-qt's ``qapp``); skips where PyQt6 is not installed."""
    pytest.importorskip("PyQt6.QtWidgets")
    return request.getfixturevalue("qapp")


@pytest.fixture
def viewer(qt, qtbot, monkeypatch):
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
