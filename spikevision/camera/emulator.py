"""An emulated FT60x device: the USB camera's transport, fed real wire bytes, with fault injection.

:class:`EmulatedFT60x` implements :class:`~spikevision.camera.ft60x.Ft60xTransport`
without libusb. It checks the session read requests it receives (size,
command, pipe, consecutive idx, reserved fields, that every IN transfer was
requested), and serves the wire bytes in transfers of arbitrary lengths (short
transfers like a FIFO that is not full) after a latency. Faults: dropped
transfers (their bytes are lost and the transfer ends in ``"error"``), an
unplug after N bytes or N transfers, open failures.

Example:
    >>> from spikevision.camera.usb import UsbCamera          # doctest: +SKIP
    >>> dev = EmulatedFT60x(wire_bytes, short_reads=True, end="unplug")
    >>> with UsbCamera(transport=dev, layout="m1") as cam:
    ...     for block in cam: ...
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Iterable, Iterator

import numpy as np

from ._errors import CameraError, CameraNotFound, DeviceDisconnected
from .ft60x import DATA_IN_EPS, FT60X_PIDS, FTDI_VID, SESSION_OUT_EP, InTransfer, ReadRequest

__all__ = ["EmulatedFT60x"]


class EmulatedFT60x:
    """A fake FT60x bridge serving ``data`` on an IN pipe.

    Args:
        data: wire bytes (bytes / uint8 array) or an iterable of byte chunks (endless streams).
        serial: the serial number it reports.
        short_reads: serve random lengths in [1, requested] instead of full transfers.
        latency: seconds each transfer takes to complete.
        drop_transfers: 0-based numbers of IN transfers whose bytes are lost (status "error").
        unplug_after_bytes / unplug_after_transfers: the device disappears after that much.
        end: what happens when the data runs out: ``"idle"`` (no more transfers complete)
            or ``"unplug"``.
        open_error: ``"not_found"`` or ``"access"`` makes :meth:`open` fail like a real device.
        seed: random seed of the short-read lengths.
    """

    def __init__(self, data: bytes | np.ndarray | Iterable[bytes], *, serial: str = "EMU00001",
                 vid: int = FTDI_VID, pid: int = 0x601F, short_reads: bool = False, latency: float = 0.0,
                 drop_transfers: Iterable[int] = (), unplug_after_bytes: int | None = None,
                 unplug_after_transfers: int | None = None, end: str = "idle", open_error: str | None = None,
                 seed: int = 0):
        if end not in ("idle", "unplug"):
            raise ValueError("end must be 'idle' or 'unplug'")
        if isinstance(data, (bytes, bytearray, memoryview, np.ndarray)):
            self._chunks: Iterator[bytes] = iter([bytes(np.asarray(data, dtype=np.uint8).reshape(-1).data)
                                                  if isinstance(data, np.ndarray) else bytes(data)])
        else:
            self._chunks = iter(data)
        self.serial, self.vid, self.pid = serial, vid, pid
        self.short_reads, self.latency = short_reads, float(latency)
        self.drop_transfers = set(drop_transfers)
        self.unplug_after_bytes, self.unplug_after_transfers = unplug_after_bytes, unplug_after_transfers
        self.end, self.open_error = end, open_error
        self._rng = np.random.default_rng(seed)
        self._buf = bytearray()
        self._exhausted = False
        self._lock = threading.Lock()
        self.requests: list[ReadRequest] = []
        self.protocol_errors: list[str] = []
        self._credit = collections.Counter()
        self._pending: collections.deque[tuple[int, int]] = collections.deque()
        self.opened = self.closed = self.unplugged = False
        self.transfers = 0
        self.served_bytes = 0
        self.lost_bytes = 0
        self.cancelled = 0

    # --- helpers ----------------------------------------------------------
    def unplug(self) -> None:
        """Pull the cable now."""
        self.unplugged = True

    def _check_unplug(self) -> None:
        if (self.unplug_after_bytes is not None and self.served_bytes + self.lost_bytes >= self.unplug_after_bytes) \
                or (self.unplug_after_transfers is not None and self.transfers >= self.unplug_after_transfers):
            self.unplugged = True

    def _fill(self, n: int) -> None:
        """Buffer at least ``n`` bytes from the source, or all it has left."""
        while len(self._buf) < n and not self._exhausted:
            try:
                self._buf += bytes(next(self._chunks))
            except StopIteration:
                self._exhausted = True

    def _take(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def _available(self) -> bool:
        self._fill(1)
        return bool(self._buf)

    # --- transport interface ----------------------------------------------
    def open(self) -> None:
        if self.open_error == "not_found":
            raise CameraNotFound(f"no FT60x device {self.vid:04x}:{self.pid:04x} found (emulated); "
                                 f"check the cable and `lsusb`")
        if self.open_error == "access":
            raise CameraError(f"permission denied opening {self.vid:04x}:{self.pid:04x} (emulated); "
                              f"install the udev rule from hardware/ and re-plug")
        if self.pid not in FT60X_PIDS:
            raise CameraNotFound(f"{self.vid:04x}:{self.pid:04x} is not an FT60x bridge")
        self.opened = True

    def write(self, endpoint: int, data: bytes, timeout: float) -> int:
        if self.unplugged:
            raise DeviceDisconnected("emulated FT60x: no device (unplugged)")
        if endpoint != SESSION_OUT_EP:
            self.protocol_errors.append(f"bulk OUT on {endpoint:#04x}; the camera should only write 0x01")
            return len(data)
        try:
            req = ReadRequest.unpack(data)
        except CameraError as exc:
            self.protocol_errors.append(str(exc))
            return len(data)
        if req.cmd != 1:
            self.protocol_errors.append(f"session command {req.cmd} is not a read (1)")
        if req.pipe not in DATA_IN_EPS:
            self.protocol_errors.append(f"read request for pipe {req.pipe:#04x}, not an IN pipe")
        if self.requests and req.idx != (self.requests[-1].idx + 1) & 0xFFFFFFFF:
            self.protocol_errors.append(f"request idx {req.idx} after {self.requests[-1].idx}")
        self.requests.append(req)
        self._credit[req.pipe] += req.length
        return len(data)

    def submit_read(self, endpoint: int, size: int) -> None:
        if self.unplugged:
            raise DeviceDisconnected("emulated FT60x: no device (unplugged)")
        if self._credit[endpoint] < size:
            self.protocol_errors.append(f"IN transfer of {size} bytes on {endpoint:#04x} without a read request")
        else:
            self._credit[endpoint] -= size
        self._pending.append((endpoint, size))

    def wait_read(self, timeout: float) -> InTransfer | None:
        if not self._pending:
            raise CameraError("wait_read with no IN transfer submitted")
        if self.latency:
            time.sleep(min(self.latency, timeout))
        self._check_unplug()
        if self.unplugged:
            _, size = self._pending.popleft()
            return InTransfer(b"", "no_device", size)
        if not self._available():
            if self.end == "unplug":
                self.unplugged = True
                _, size = self._pending.popleft()
                return InTransfer(b"", "no_device", size)
            time.sleep(timeout)
            return None
        _, size = self._pending.popleft()
        n = size if not self.short_reads else int(self._rng.integers(1, size + 1))
        data = self._take(n)
        k = self.transfers
        self.transfers += 1
        if k in self.drop_transfers:
            self.lost_bytes += len(data)
            return InTransfer(b"", "error", size)
        self.served_bytes += len(data)
        return InTransfer(data, "completed", size)

    def cancel(self) -> None:
        self.cancelled += len(self._pending)
        self._pending.clear()

    def close(self) -> None:
        self._pending.clear()
        self.closed = True
