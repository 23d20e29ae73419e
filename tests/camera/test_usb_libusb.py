"""LibusbTransport (the real usb:// transport) against a fake python-libusb1 module backed by the emulator.

The fake implements the small part of the usb1 API the transport uses (context, device iterator,
handle, asynchronous transfers, event handling, errors) and forwards bytes to an EmulatedFT60x,
so device matching, interface claiming, session requests, transfer resubmission, status mapping
and unplug handling of the real code path run without hardware or libusb.
"""

from __future__ import annotations

import collections
import types

import numpy as np
import pytest

from spikevision import _bits
from spikevision.camera import CameraError, CameraNotFound, DeviceDisconnected
from spikevision.camera import usb as usb_mod
from spikevision.camera.emulator import EmulatedFT60x
from spikevision.camera.framing import encode_rows

from ._wire import vidar_frames

pytestmark = pytest.mark.timeout(60)


def make_fake_usb1():
    m = types.SimpleNamespace(devices=[])
    (m.TRANSFER_COMPLETED, m.TRANSFER_ERROR, m.TRANSFER_TIMED_OUT, m.TRANSFER_CANCELLED, m.TRANSFER_STALL,
     m.TRANSFER_NO_DEVICE, m.TRANSFER_OVERFLOW) = range(7)

    class USBError(Exception):
        pass

    for name in ("Access", "NoDevice", "Busy", "NotSupported", "NotFound", "Interrupted"):
        setattr(m, f"USBError{name}", type(f"USBError{name}", (USBError,), {}))
    m.USBError = USBError
    m.log = []

    class Transfer:
        def __init__(self, handle):
            self.h, self.submitted, self.status, self.buf = handle, False, None, b""

        def setBulk(self, ep, size, timeout=0):
            self.ep, self.size = ep, size

        def submit(self):
            self.h.dev.emu.submit_read(self.ep, self.size)
            self.submitted = True
            self.h.ctx.queue.append(self)

        def isSubmitted(self):
            return self.submitted

        def getStatus(self):
            return self.status

        def getActualLength(self):
            return len(self.buf)

        def getBuffer(self):
            return bytearray(self.buf)

        def cancel(self):
            self.h.ctx.cancelled.append(self)

    class Handle:
        def __init__(self, dev, ctx):
            self.dev, self.ctx, self.claimed = dev, ctx, []

        def getSerialNumber(self):
            return self.dev.emu.serial

        def kernelDriverActive(self, i):
            return i == 0

        def detachKernelDriver(self, i):
            m.log.append(("detach", i))

        def claimInterface(self, i):
            if self.dev.busy:
                raise m.USBErrorBusy()
            self.claimed.append(i)

        def releaseInterface(self, i):
            self.claimed.remove(i)

        def bulkWrite(self, ep, data, timeout):
            try:
                return self.dev.emu.write(ep, bytes(data), timeout / 1000)
            except DeviceDisconnected:
                raise m.USBErrorNoDevice() from None

        def getTransfer(self):
            return Transfer(self)

        def close(self):
            m.log.append(("close", self.dev.emu.serial, tuple(self.claimed)))

    class Device:
        def __init__(self, emu, access=True, busy=False):
            self.emu, self.access, self.busy = emu, access, busy

        def getVendorID(self):
            return self.emu.vid

        def getProductID(self):
            return self.emu.pid

        def getBusNumber(self):
            return 2

        def getDeviceAddress(self):
            return 7

        def open(self):
            if not self.access:
                raise m.USBErrorAccess()
            self.emu.open()
            return Handle(self, m.ctx)

    class Context:
        def __init__(self):
            self.queue, self.cancelled = collections.deque(), []
            m.ctx = self

        def open(self):
            return self

        def close(self):
            m.log.append(("ctx-close",))

        def getDeviceIterator(self, skip_on_error=True):
            return iter(m.devices)

        def handleEventsTimeout(self, tv=0):
            for tr in list(self.cancelled):
                tr.status, tr.submitted = m.TRANSFER_CANCELLED, False
                self.queue.remove(tr)
                self.cancelled.remove(tr)
            if not self.queue:
                return
            tr = self.queue[0]
            res = tr.h.dev.emu.wait_read(tv)
            if res is None:
                return
            self.queue.popleft()
            tr.buf = res.data
            tr.status = {"completed": m.TRANSFER_COMPLETED, "error": m.TRANSFER_ERROR,
                         "no_device": m.TRANSFER_NO_DEVICE}[res.status]
            tr.submitted = False

    m.USBContext = Context
    m.Device = Device
    return m


def _patch(monkeypatch, fake):
    monkeypatch.setattr(usb_mod, "import_usb1", lambda: fake)


def test_libusb_transport_streams_through_the_real_code_path(monkeypatch, rng, no_thread_leak):
    frames = vidar_frames(rng, 30)
    wire = encode_rows(frames).tobytes()
    other = EmulatedFT60x(b"", serial="OTHER", pid=0x601E)
    emu = EmulatedFT60x(wire, serial="CAM42", short_reads=True, end="unplug", seed=4)
    fake = make_fake_usb1()
    fake.devices += [fake.Device(other), fake.Device(emu)]
    _patch(monkeypatch, fake)
    cam = usb_mod.UsbCamera(vid_pid=(0x0403, 0x601F), serial="CAM42", transfer=26000, queue=3)
    blocks = []
    with cam:
        assert cam.info.serial == "CAM42" and cam.info.extra["chip"] == "FT601"
        with pytest.raises(DeviceDisconnected):
            while True:
                blocks.append(cam.read(5))
    got = _bits.unpack_frames(np.concatenate([b.packed for b in blocks]), 250, 400)
    np.testing.assert_array_equal(got, frames)
    assert emu.protocol_errors == [] and [r.idx for r in emu.requests] == list(range(1, len(emu.requests) + 1))
    assert ("detach", 0) in fake.log
    assert ("close", "CAM42", ()) in fake.log  # interfaces released before close
    assert ("ctx-close",) in fake.log


def test_libusb_transport_open_errors(monkeypatch):
    fake = make_fake_usb1()
    _patch(monkeypatch, fake)
    with pytest.raises(CameraNotFound, match="0403:601e/601f"):
        usb_mod.LibusbTransport().open()
    fake.devices = [fake.Device(EmulatedFT60x(b"", serial="A1"), access=False)]
    with pytest.raises(CameraError, match="udev rule"):
        usb_mod.LibusbTransport().open()
    fake.devices = [fake.Device(EmulatedFT60x(b"", serial="A1"))]
    with pytest.raises(CameraNotFound, match="found serials"):
        usb_mod.LibusbTransport(serial="ZZ").open()
    fake.devices = [fake.Device(EmulatedFT60x(b"", serial="B"), busy=True)]
    with pytest.raises(CameraError, match="busy"):
        usb_mod.LibusbTransport().open()
