"""``usb://``: a spike camera behind an FTDI FT60x USB 3 bridge, through libusb.

Needs the ``usb`` extra (``pip install "spikevision[usb]"``: libusb1, plus
libusb-package which bundles libusb itself); the module imports without it and
raises :class:`BackendUnavailable` naming that command when it is missing.

The camera keeps ``queue`` asynchronous bulk IN transfers of ``transfer``
bytes in flight on pipe ``pipe`` (0x82), sending one FT60x session read
request per transfer (:mod:`spikevision.camera.ft60x`); completed transfers go
through a framer chosen by ``layout`` (:mod:`spikevision.camera.framing`):
``"vidar"`` (250x400 frames of 416-bit rows, bottom-up, optional ``header=16``)
or ``"m1"`` (1000x1000 64-byte line packets). A failed transfer counts as a
transfer error and its bytes as lost (for ``vidar`` the framer re-aligns
assuming the transfer was full; ``m1`` tags locate the loss exactly). An
unplug ends the stream with :class:`DeviceDisconnected` at the next read.

URL: ``usb://[vid:pid]?serial=...&layout=vidar|m1&header=0|16&transfer=N&queue=16&pipe=0x82&fps=20000&dump=raw.bin``.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._base import Camera, CameraInfo, FrameRun, default_frames_per_block
from ._errors import BackendUnavailable, CameraError, CameraNotFound, DeviceDisconnected
from .framing import feed_counted, gap_counted, make_framer
from .ft60x import (
    COMM_INTERFACE,
    DATA_IN_EPS,
    DATA_INTERFACE,
    FT60X_PIDS,
    FTDI_VID,
    SESSION_OUT_EP,
    InTransfer,
    ReadRequest,
)

__all__ = ["UsbCamera", "LibusbTransport", "list_devices", "import_usb1"]

log = logging.getLogger(__name__)

PIP_HINT = 'pip install "spikevision[usb]"  (or: pip install libusb1 libusb-package)'


def import_usb1():
    """Import python-libusb1 and load a libusb (the system one, else libusb-package's bundled copy)."""
    try:
        import usb1
    except ImportError:
        raise BackendUnavailable(f"usb:// cameras need python-libusb1, which is not installed; {PIP_HINT}") from None
    if not getattr(import_usb1, "_loaded", False):
        try:
            import libusb_package

            path = libusb_package.get_library_path()
            if path:
                usb1.loadLibrary(ctypes.CDLL(str(path), use_errno=True, use_last_error=True))
        except ImportError:
            pass  # rely on the system libusb-1.0
        except OSError as exc:
            log.debug("libusb-package's library did not load (%s); trying the system libusb-1.0", exc)
        import_usb1._loaded = True
    return usb1


def _wanted(vid: int, pid: int, vid_pid: tuple[int, int] | None) -> bool:
    """The device is ``vid_pid``, or any FT60x bridge when ``vid_pid`` is None."""
    return (vid, pid) == vid_pid if vid_pid is not None else (vid == FTDI_VID and pid in FT60X_PIDS)


def list_devices(vid_pid: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """FT60x devices on the bus: vid, pid, chip, bus, address, serial (None when access is denied)."""
    usb1 = import_usb1()
    out: list[dict[str, Any]] = []
    try:
        ctx = usb1.USBContext().open()
    except (OSError, usb1.USBError) as exc:
        log.warning("libusb could not start: %s", exc)
        return out
    try:
        for dev in ctx.getDeviceIterator(skip_on_error=True):
            vid, pid = dev.getVendorID(), dev.getProductID()
            if _wanted(vid, pid, vid_pid):
                try:
                    serial = dev.getSerialNumber()
                except usb1.USBError:
                    serial = None
                out.append({"vid": vid, "pid": pid, "chip": FT60X_PIDS.get(pid, "?"), "bus": dev.getBusNumber(),
                            "address": dev.getDeviceAddress(), "serial": serial})
    finally:
        ctx.close()
    return out


_STATUS = {}  # libusb transfer status -> InTransfer status name, filled on first use


class LibusbTransport:
    """The real FT60x transport: libusb asynchronous bulk transfers through python-libusb1.

    Events are handled in the calling (producer) thread inside :meth:`wait_read`,
    so no extra thread exists.
    """

    def __init__(self, vid_pid: tuple[int, int] | None = None, serial: str | None = None,
                 interfaces: tuple[int, ...] = (COMM_INTERFACE, DATA_INTERFACE)):
        self.vid_pid, self.want_serial, self.interfaces = vid_pid, serial, interfaces
        self.serial, self.vid, self.pid = "", 0, 0
        self._ctx = self._handle = None
        self._claimed: list[int] = []
        self._pending: collections.deque = collections.deque()
        self._free: list = []
        self._usb1 = None

    def _map_status(self, st: int) -> str:
        u = self._usb1
        if not _STATUS:
            _STATUS.update({u.TRANSFER_COMPLETED: "completed", u.TRANSFER_ERROR: "error",
                            u.TRANSFER_TIMED_OUT: "timed_out", u.TRANSFER_CANCELLED: "cancelled",
                            u.TRANSFER_STALL: "stall", u.TRANSFER_NO_DEVICE: "no_device",
                            u.TRANSFER_OVERFLOW: "overflow"})
        return _STATUS.get(st, "error")

    def open(self) -> None:
        u = self._usb1 = import_usb1()
        ctx = u.USBContext()
        try:
            ctx.open()
        except (OSError, u.USBError) as exc:
            raise CameraNotFound(f"libusb could not start ({exc}); no USB bus is visible here (in a container, "
                                 f"pass the host's /dev/bus/usb) or libusb is missing ({PIP_HINT})") from None
        self._ctx = ctx
        found, denied = [], []
        for dev in ctx.getDeviceIterator(skip_on_error=True):
            vid, pid = dev.getVendorID(), dev.getProductID()
            if not _wanted(vid, pid, self.vid_pid):
                continue
            try:
                handle = dev.open()
            except u.USBErrorAccess:
                denied.append(f"{vid:04x}:{pid:04x} bus {dev.getBusNumber()} address {dev.getDeviceAddress()}")
                continue
            try:
                serial = handle.getSerialNumber() or ""
            except u.USBError:
                serial = ""
            if self.want_serial is not None and serial != self.want_serial:
                found.append(serial)
                handle.close()
                continue
            self._handle, self.serial, self.vid, self.pid = handle, serial, vid, pid
            break
        if self._handle is None:
            ctx.close()
            self._ctx = None
            ids = f"{self.vid_pid[0]:04x}:{self.vid_pid[1]:04x}" if self.vid_pid else "0403:601e/601f"
            if denied:
                raise CameraError(f"permission denied opening {', '.join(denied)}; install the udev rule "
                                  f"(hardware/99-spikevision-ft60x.rules, see hardware/README.md) and re-plug")
            if found:
                raise CameraNotFound(f"no FT60x device with serial {self.want_serial!r}; found serials {found}")
            raise CameraNotFound(f"no USB device {ids} found; check the cable and power, and `lsusb`")
        try:
            for i in self.interfaces:
                try:
                    if self._handle.kernelDriverActive(i):
                        self._handle.detachKernelDriver(i)
                except (u.USBErrorNotSupported, u.USBErrorNotFound):
                    pass
                self._handle.claimInterface(i)
                self._claimed.append(i)
        except u.USBErrorBusy:
            self.close()
            raise CameraError(f"FT60x {self.serial} is busy (another program has claimed it); close it and "
                              f"retry") from None

    def write(self, endpoint: int, data: bytes, timeout: float) -> int:
        u = self._usb1
        try:
            return self._handle.bulkWrite(endpoint, data, int(timeout * 1000))
        except u.USBErrorNoDevice:
            raise DeviceDisconnected(f"FT60x {self.serial} was unplugged") from None

    def submit_read(self, endpoint: int, size: int) -> None:
        u = self._usb1
        tr = self._free.pop() if self._free else self._handle.getTransfer()
        tr.setBulk(endpoint, size, timeout=0)
        try:
            tr.submit()
        except u.USBErrorNoDevice:
            raise DeviceDisconnected(f"FT60x {self.serial} was unplugged") from None
        self._pending.append((tr, size))

    def wait_read(self, timeout: float) -> InTransfer | None:
        u = self._usb1
        if not self._pending:
            raise CameraError("wait_read with no IN transfer submitted")
        tr, size = self._pending[0]
        deadline = time.monotonic() + timeout
        while tr.isSubmitted():
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self._ctx.handleEventsTimeout(tv=min(left, 0.1))
            except u.USBErrorNoDevice:
                raise DeviceDisconnected(f"FT60x {self.serial} was unplugged") from None
            except u.USBErrorInterrupted:
                continue
        self._pending.popleft()
        status = self._map_status(tr.getStatus())
        data = bytes(tr.getBuffer()[: tr.getActualLength()]) if status == "completed" else b""
        self._free.append(tr)
        return InTransfer(data, status, size)

    def cancel(self) -> None:
        u = self._usb1
        if u is None:
            return
        for tr, _ in self._pending:
            try:
                tr.cancel()
            except u.USBError:
                pass
        deadline = time.monotonic() + 2.0
        while any(tr.isSubmitted() for tr, _ in self._pending) and time.monotonic() < deadline:
            try:
                self._ctx.handleEventsTimeout(tv=0.05)
            except u.USBError:
                break
        self._free.extend(tr for tr, _ in self._pending)
        self._pending.clear()

    def close(self) -> None:
        if self._handle is not None:
            self.cancel()
            for i in self._claimed:
                try:
                    self._handle.releaseInterface(i)
                except Exception:
                    pass
            self._claimed.clear()
            self._free.clear()
            self._handle.close()
            self._handle = None
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None


class UsbCamera(Camera):
    """A camera on an FT60x bridge (see the module docstring).

    Args:
        vid_pid: (vid, pid) to match (default: any 0403:601e / 0403:601f).
        serial: match this serial number.
        layout: wire layout, ``"vidar"`` or ``"m1"``.
        header: bytes of time header before every vidar frame (0 or 16).
        height, width: vidar frame size (default 250 x 400).
        fps: nominal readout rate (not on the wire; default 20000).
        transfer: bytes per bulk IN transfer (default: about 1 MiB, a whole number of frames).
        queue: transfers kept in flight.
        pipe: IN pipe (0x82 .. 0x85).
        frames: stop after this many frames (None: until closed).
        dump: also write every received wire byte, unframed, to this file (a golden raw capture); an
            existing file or symlink there is replaced by a new file, never written through.
        transport: an :class:`~spikevision.camera.ft60x.Ft60xTransport` to use instead of libusb
            (e.g. :class:`~spikevision.camera.emulator.EmulatedFT60x`).
    """

    backend = "usb"
    default_policy = "drop_oldest"

    def __init__(self, vid_pid: tuple[int, int] | None = None, serial: str | None = None, *, layout: str = "vidar",
                 header: int = 0, height: int | None = None, width: int | None = None, fps: float = 20000.0,
                 transfer: int | None = None, queue: int = 16, pipe: int = 0x82, frames: int | None = None,
                 dump: str | None = None, transport: Any = None, **kw):
        super().__init__(**kw)
        if pipe not in DATA_IN_EPS:
            raise CameraError(f"pipe must be an FT60x IN pipe 0x82..0x85, got {pipe:#x}")
        if queue < 1:
            raise CameraError(f"queue must be >= 1 transfer in flight, got {queue}")
        self._framer = make_framer(layout, height=height, width=width, header_bytes=header)
        stride = self._framer.wire_frame_bytes
        self.transfer = int(transfer or stride * max(1, (1 << 20) // stride))
        if self.transfer < 1:
            raise CameraError(f"transfer must be >= 1 byte, got {transfer}")
        self.layout, self.queue, self.pipe, self.fps = layout, int(queue), int(pipe), float(fps)
        self.total = frames
        self.dump = dump
        self._dump_f = None
        self.transport = transport if transport is not None else LibusbTransport(vid_pid, serial)
        self._idx = 0
        self._lock_t = threading.Lock()

    def _open(self) -> CameraInfo:
        if self.dump:
            from ..io._exclusive import create_new

            self._dump_f = create_new(self.dump, overwrite=True)  # a symlink there is replaced, not followed
        try:
            self.transport.open()
        except BaseException:
            self._close_dump()
            raise
        fr = self._framer
        fpb = default_frames_per_block(fr.height, fr.width, self.fps)
        t = self.transport
        extra = {"layout": self.layout, "vid_pid": f"{t.vid:04x}:{t.pid:04x}", "transfer": self.transfer,
                 "queue": self.queue, "pipe": self.pipe, "chip": FT60X_PIDS.get(t.pid, "?"),
                 "sensor": "m1" if self.layout == "m1" else "vidar"}
        return CameraInfo(fr.height, fr.width, self.fps, fpb, "usb", t.serial, self.url, extra)

    def _close_dump(self) -> None:
        if self._dump_f is not None:
            self._dump_f.close()
            self._dump_f = None

    def _close(self) -> None:
        try:
            self.transport.close()
        finally:
            self._close_dump()

    def _request(self) -> None:
        self._idx += 1
        req = ReadRequest(self._idx, self.pipe, self.transfer)
        self.transport.write(SESSION_OUT_EP, req.pack(), 1.0)
        self.transport.submit_read(self.pipe, self.transfer)

    def _runs(self, stop: threading.Event) -> Iterator[FrameRun]:
        t, fr = self.transport, self._framer
        empty = np.empty((0, self.info.frame_nbytes), np.uint8)
        done = 0
        try:
            for _ in range(self.queue):
                self._request()
            while not stop.is_set():
                if self.total is not None and done >= self.total:
                    return
                tr = t.wait_read(0.1)
                if tr is None:
                    yield FrameRun(empty)
                    continue
                if tr.status == "no_device":
                    raise DeviceDisconnected(f"USB camera {t.serial or ''} ({t.vid:04x}:{t.pid:04x}) was "
                                             f"disconnected; {done} frames were delivered. Re-plug it and "
                                             f"open the camera again")
                if tr.status == "completed":
                    self._bytes += len(tr.data)
                    if self._dump_f is not None:
                        self._dump_f.write(tr.data)
                    out, lost, resync = feed_counted(fr, tr.data)
                else:
                    self._transfer_errors += 1
                    self._last_error = f"IN transfer ended with status {tr.status}"
                    out, lost, resync = empty, gap_counted(fr, tr.requested), True
                if self.total is not None and done + out.shape[0] > self.total:
                    out = out[: self.total - done]
                done += out.shape[0]
                if not stop.is_set():
                    self._request()
                yield FrameRun(out, lost, resync)
        finally:
            try:
                t.cancel()
            except Exception as exc:
                log.debug("cancelling transfers: %s", exc)
