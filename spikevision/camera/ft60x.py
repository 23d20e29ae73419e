"""The FTDI FT600/FT601 (FT60x) USB 3 bridge: IDs, endpoints, session read requests, transport interface.

What is publicly known (FTDI's FT60x data sheet and D3XX behaviour as used by
open-source libusb drivers; see ``hardware/ft60x-session.md``): the chip shows
two interfaces. Interface 0 carries the *session* endpoints (bulk OUT 0x01 for
session requests, interrupt IN 0x81 for notifications); interface 1 the data
pipes (bulk OUT 0x02-0x05, bulk IN 0x82-0x85). Before bulk IN data flows on a
pipe, the host sends on 0x01 a 20-byte little-endian read request::

    u32 idx     request counter
    u8  pipe    IN pipe id (0x82 ... 0x85)
    u8  cmd     1 = read
    u8  unk1    0
    u8  unk2    0
    u32 len     bytes the host wants on that pipe
    u32 unk4    0
    u32 unk5    0

spikevision sends one request per bulk IN transfer it submits, with that
transfer's length, and never writes the chip configuration (vendor request
0xCF OUT).

A *transport* is what the USB camera talks to: the real one is
:class:`spikevision.camera.usb.LibusbTransport`; tests and demos use
:class:`spikevision.camera.emulator.EmulatedFT60x`, which implements the same
:class:`Ft60xTransport` interface and needs no libusb.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

from ._errors import CameraError

__all__ = ["FTDI_VID", "FT60X_PIDS", "SESSION_OUT_EP", "NOTIFY_IN_EP", "DATA_IN_EPS", "DATA_OUT_EPS",
           "COMM_INTERFACE", "DATA_INTERFACE", "CMD_READ", "SESSION_REQUEST", "ReadRequest", "InTransfer",
           "Ft60xTransport", "TRANSFER_STATUSES"]

FTDI_VID = 0x0403
#: product id -> chip (FT600: 16-bit FIFO bus, FT601: 32-bit)
FT60X_PIDS = {0x601E: "FT600", 0x601F: "FT601"}
COMM_INTERFACE = 0
DATA_INTERFACE = 1
SESSION_OUT_EP = 0x01
NOTIFY_IN_EP = 0x81
DATA_OUT_EPS = (0x02, 0x03, 0x04, 0x05)
DATA_IN_EPS = (0x82, 0x83, 0x84, 0x85)
CMD_READ = 0x01
#: idx, pipe, cmd, unk1, unk2, len, unk4, unk5 (little-endian, packed, 20 bytes)
SESSION_REQUEST = struct.Struct("<IBBBBIII")
assert SESSION_REQUEST.size == 20

#: statuses an IN transfer can end with (the libusb transfer statuses, lower-case)
TRANSFER_STATUSES = ("completed", "error", "timed_out", "cancelled", "stall", "no_device", "overflow")


@dataclass(frozen=True)
class ReadRequest:
    """A session read request (see the module docstring for the layout)."""

    idx: int
    pipe: int
    length: int
    cmd: int = CMD_READ

    def pack(self) -> bytes:
        """The 20 bytes sent on endpoint 0x01."""
        if self.pipe not in DATA_IN_EPS:
            raise CameraError(f"FT60x read pipe must be one of 0x82..0x85, got {self.pipe:#04x}")
        if not 0 < self.length < 1 << 32:
            raise CameraError(f"FT60x read length must be 1..2^32-1 bytes, got {self.length}")
        return SESSION_REQUEST.pack(self.idx & 0xFFFFFFFF, self.pipe, self.cmd, 0, 0, self.length, 0, 0)

    @classmethod
    def unpack(cls, data: bytes) -> ReadRequest:
        """Parse 20 request bytes (raises :class:`CameraError` on a wrong size or non-zero reserved fields)."""
        if len(data) != SESSION_REQUEST.size:
            raise CameraError(f"an FT60x session request is {SESSION_REQUEST.size} bytes, got {len(data)}")
        idx, pipe, cmd, u1, u2, length, u4, u5 = SESSION_REQUEST.unpack(bytes(data))
        if u1 or u2 or u4 or u5:
            raise CameraError(f"FT60x session request has non-zero reserved fields: {bytes(data).hex()}")
        return cls(idx, pipe, length, cmd)


@dataclass(frozen=True)
class InTransfer:
    """A finished bulk IN transfer: its bytes, status and requested length."""

    data: bytes
    status: str
    requested: int


class Ft60xTransport(Protocol):
    """The byte-level interface the USB camera uses (real libusb device or emulator).

    ``write`` and ``wait_read`` raise :class:`spikevision.errors.DeviceDisconnected`
    when the device is gone (or report status ``"no_device"``).
    """

    serial: str
    vid: int
    pid: int

    def open(self) -> None:
        """Find and claim the device (raise CameraNotFound / CameraError with the fix)."""

    def write(self, endpoint: int, data: bytes, timeout: float) -> int:
        """Bulk OUT; returns bytes written."""

    def submit_read(self, endpoint: int, size: int) -> None:
        """Queue an asynchronous bulk IN transfer of ``size`` bytes."""

    def wait_read(self, timeout: float) -> InTransfer | None:
        """The oldest submitted IN transfer once finished, or None if it is not within ``timeout`` s."""

    def cancel(self) -> None:
        """Cancel every submitted IN transfer and wait until they are finished."""

    def close(self) -> None:
        """Release the device (idempotent)."""
