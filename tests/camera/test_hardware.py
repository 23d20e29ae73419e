"""Real-hardware checks: run only with SPIKEVISION_HW=1 and a camera attached (see hardware/README.md).

Environment:
    SPIKEVISION_HW=1                 enable these tests
    SPIKEVISION_HW_URL               camera URL (default: usb://, first FT60x found)
    SPIKEVISION_GOLDEN_RAW / _H5     a golden raw capture and the frames captured with it (replayed through
                                     the emulator and compared bit for bit; see hardware/README.md)
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import spikevision as sv
from spikevision.camera import BackendUnavailable, open_camera, record

pytestmark = [
    pytest.mark.hardware,
    pytest.mark.timeout(120),
    pytest.mark.skipif(os.environ.get("SPIKEVISION_HW") != "1", reason="real-hardware test: set SPIKEVISION_HW=1"),
]

URL = os.environ.get("SPIKEVISION_HW_URL", "usb://")


@pytest.fixture(scope="module")
def device_url():
    if URL.startswith("usb://"):
        from spikevision.camera.usb import list_devices

        try:
            devices = list_devices()
        except BackendUnavailable as exc:
            pytest.skip(str(exc))
        if not devices:
            pytest.skip("no FT60x device attached")
    return URL


def test_device_streams_whole_frames(device_url, no_thread_leak):
    with open_camera(device_url) as cam:
        blocks = [cam.read(timeout=10) for _ in range(20)]
        s = cam.stats()
        info = cam.info
    assert all(b is not None and b.packed.shape[1] == info.frame_nbytes for b in blocks)
    assert s.frames > 0 and s.transfer_errors == 0
    for prev, b in zip(blocks, blocks[1:], strict=False):
        assert b.index == prev.stop_index + b.dropped_before


def test_device_records_to_h5(device_url, tmp_path, no_thread_leak):
    res = record(device_url, tmp_path / "hw.h5", frames=4000)
    assert res.frames == 4000
    assert len(sv.open(tmp_path / "hw.h5")) == 4000


@pytest.mark.skipif(not os.environ.get("SPIKEVISION_GOLDEN_RAW"), reason="set SPIKEVISION_GOLDEN_RAW/_H5")
def test_golden_capture_replays_bit_exact(no_thread_leak):
    from spikevision.camera.emulator import EmulatedFT60x
    from spikevision.camera.usb import UsbCamera

    raw = open(os.environ["SPIKEVISION_GOLDEN_RAW"], "rb").read()
    ref = sv.open(os.environ["SPIKEVISION_GOLDEN_H5"])
    layout = ref.meta.provenance.get("camera", {}).get("layout", "m1" if ref.height == 1000 else "vidar")
    dev = EmulatedFT60x(raw, short_reads=True, end="unplug")
    got = []
    with UsbCamera(transport=dev, layout=layout) as cam:
        try:
            for b in cam:
                got.append(b.packed)
        except Exception:
            pass
    got = np.concatenate(got)
    np.testing.assert_array_equal(got[: len(ref)], ref.packed()[: len(got)])
