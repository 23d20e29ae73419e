"""Fixtures for camera tests: a thread-leak check and small wire streams."""

from __future__ import annotations

import threading
import time

import pytest


@pytest.fixture
def no_thread_leak():
    """Assert that every thread started during the test is gone at its end."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            break
        time.sleep(0.01)
    assert not extra, f"threads left running: {extra}"
    assert all(not t.daemon for t in threading.enumerate() if t.name.startswith("spikevision"))
