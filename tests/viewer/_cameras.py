"""Test cameras: one that disconnects after a few blocks."""

from __future__ import annotations

import time

import numpy as np

from spikevision.camera import Camera, CameraInfo, DeviceDisconnected, FrameRun


class FlakyCamera(Camera):
    """8x8 at 1 kHz: ``blocks`` blocks of 10 frames spiking in column 0, then a disconnect."""

    backend = "flaky"

    def __init__(self, blocks: int = 5, **kw):
        super().__init__(url="flaky://test", **kw)
        self.blocks = blocks

    def _open(self) -> CameraInfo:
        return CameraInfo(8, 8, 1000.0, 10, "flaky", "flaky-1", self.url)

    def _runs(self, stop):
        for _ in range(self.blocks):
            p = np.zeros((10, 8), np.uint8)
            p[:] = 1  # bit 0 of every byte: pixel k = 8 * r, i.e. column 0 of every row
            self._bytes += p.nbytes
            yield FrameRun(p)
            time.sleep(0.01)
        raise DeviceDisconnected("flaky://test: cable pulled; reconnect the camera and press Connect")
