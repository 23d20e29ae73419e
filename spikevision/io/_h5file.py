"""Low-level HDF5 file access for the spikestream container: guarded writes, crash views, the seal record.

* :class:`GuardedFile` is the raw file under every HDF5 file spikevision writes (h5py's
  ``fileobj`` driver). It counts the bytes written and, after the first failed write
  (disk full, EFBIG, EIO), records it (``failed``) and drops it and every later write
  without telling libhdf5, whose state stays consistent; the writer checks ``failed``
  after each step and raises. With the default ``sec2`` driver libhdf5 sees the failed
  write, retries the flush from object destructors and the process dies with SIGSEGV at
  exit (an error raised inside libhdf5 leaves its objects half-released). On disk the
  file is left exactly as a kill at the failure point would leave it.
* :class:`CrashView` reads a file whose superblock still says "open for writing" (files
  in HDF5 format v110 keep that flag after a kill; libhdf5 then refuses to open them
  until ``h5clear`` is run). The view presents the superblock with the flag cleared and
  its checksum (Jenkins lookup3, as libhdf5 computes it) recomputed; the file on disk is
  not modified.
* The seal record lives in the 4 KiB user block at the start of the file (libhdf5 never
  reads or writes it): a magic string, the file size, the byte ranges of the metadata (every
  byte that is not raw chunk data) and their CRC32, written after libhdf5 closed the file
  cleanly. A file whose record matches holds, byte for byte, the metadata spikevision
  wrote, so libhdf5 can parse it in-process without risk of a hang or a crash.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import zlib
from pathlib import Path

__all__ = ["GuardedFile", "CrashView", "lookup3", "superblock", "write_seal", "seal_ok", "metadata_spans", "USERBLOCK",
           "SIGNATURE", "free_bytes"]

SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: bytes reserved at the start of every file spikevision writes (the HDF5 user block) for the seal record
USERBLOCK = 4096
SEAL_MAGIC = b"SPIKEVISION-SEAL\x00\x02"
_SEAL = struct.Struct("<18sQII")  # magic, file size, number of metadata ranges, CRC32 of their bytes
_SPAN = struct.Struct("<QQ")  # offset, length of one metadata range; the record ends with a CRC32 of itself
MAX_SPANS = (USERBLOCK - _SEAL.size - 4) // _SPAN.size
_M = 0xFFFFFFFF


def lookup3(data: bytes, initval: int = 0) -> int:
    """Bob Jenkins' lookup3 ``hashlittle``, the checksum of HDF5 metadata (superblock v2/v3, headers)."""

    def rot(x: int, k: int) -> int:
        return ((x << k) | (x >> (32 - k))) & _M

    n = len(data)
    a = b = c = (0xDEADBEEF + n + initval) & _M
    i = 0
    while n > 12:
        a = (a + int.from_bytes(data[i : i + 4], "little")) & _M
        b = (b + int.from_bytes(data[i + 4 : i + 8], "little")) & _M
        c = (c + int.from_bytes(data[i + 8 : i + 12], "little")) & _M
        a = (a - c) & _M; a ^= rot(c, 4); c = (c + b) & _M  # noqa: E702
        b = (b - a) & _M; b ^= rot(a, 6); a = (a + c) & _M  # noqa: E702
        c = (c - b) & _M; c ^= rot(b, 8); b = (b + a) & _M  # noqa: E702
        a = (a - c) & _M; a ^= rot(c, 16); c = (c + b) & _M  # noqa: E702
        b = (b - a) & _M; b ^= rot(a, 19); a = (a + c) & _M  # noqa: E702
        c = (c - b) & _M; c ^= rot(b, 4); b = (b + a) & _M  # noqa: E702
        n -= 12
        i += 12
    if n == 0:
        return c
    tail = bytes(data[i:]) + bytes(12 - n)
    a = (a + int.from_bytes(tail[0:4], "little")) & _M
    b = (b + int.from_bytes(tail[4:8], "little")) & _M
    c = (c + int.from_bytes(tail[8:12], "little")) & _M
    c ^= b; c = (c - rot(b, 14)) & _M  # noqa: E702
    a ^= c; a = (a - rot(c, 11)) & _M  # noqa: E702
    b ^= a; b = (b - rot(a, 25)) & _M  # noqa: E702
    c ^= b; c = (c - rot(b, 16)) & _M  # noqa: E702
    a ^= c; a = (a - rot(c, 4)) & _M  # noqa: E702
    b ^= a; b = (b - rot(a, 14)) & _M  # noqa: E702
    c ^= b; c = (c - rot(b, 24)) & _M  # noqa: E702
    return c


def superblock(head: bytes) -> tuple[int, int, int, bool] | None:
    """(offset, version, consistency flags, checksum ok) of the HDF5 superblock in ``head``, or None.

    The signature is searched at 0, 512, 1024, 2048, 4096 (the user-block sizes the format allows
    within ``head``); checksum and flags are those of superblock versions 2 and 3 with 8-byte
    offsets (48 bytes); older versions report flags 0 and checksum ok (they have none).
    """
    for off in (0, 512, 1024, 2048, 4096):
        if head[off : off + 8] != SIGNATURE:
            continue
        if len(head) < off + 9:
            return None
        version = head[off + 8]
        if version < 2:
            return off, version, 0, True
        if len(head) < off + 48 or head[off + 9] != 8:
            return off, version, 0, False
        sb = head[off : off + 48]
        ok = lookup3(sb[:44]) == int.from_bytes(sb[44:48], "little")
        return off, version, sb[11], ok
    return None


class _FileIO(io.RawIOBase):
    """A raw, seekable file object over ``self._f`` (an unbuffered file) for h5py's file-like driver."""

    _f: io.RawIOBase

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def tell(self) -> int:
        return self._f.tell()

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()


class GuardedFile(_FileIO):
    """A raw read/write file that stops writing after the first failed write (see the module notes)."""

    def __init__(self, path: str | os.PathLike, mode: str = "w+b"):
        super().__init__()
        self.path = Path(path)
        self._f = open(path, mode, buffering=0)  # noqa: SIM115 - closed by close()
        self.failed: OSError | None = None
        self.written = 0

    def writable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        return self._f.readinto(b)

    def write(self, b) -> int:
        mv = memoryview(b).cast("B")
        n = len(mv)
        if self.failed is None:
            try:
                done = 0
                while done < n:
                    k = self._f.write(mv[done:])
                    if not k:
                        raise OSError(28, "No space left on device")
                    done += k
                    self.written += k
                return n
            except OSError as e:
                self._fail(e)
        self._f.seek(n, 1)  # dropped: libhdf5 carries on as if it was written (see the module notes)
        return n

    def _fail(self, e: OSError) -> None:
        self.failed = OSError(e.errno, e.strerror or str(e), str(self.path))

    def truncate(self, size: int | None = None) -> int:
        if self.failed is None:
            try:
                return self._f.truncate(size)
            except OSError as e:
                self._fail(e)
        return self.tell() if size is None else size

    def flush(self) -> None:
        pass


class CrashView(_FileIO):
    """Read-only view of a file with its v2/v3 superblock's consistency flags cleared (see the module notes)."""

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self._f = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        head = self._f.read(4096 + 48)
        sb = superblock(head)
        self._patch = b""
        self._at = 0
        if sb is not None and sb[1] >= 2 and sb[2] and sb[3]:
            off = sb[0]
            block = bytearray(head[off : off + 48])
            block[11] = 0
            block[44:48] = lookup3(bytes(block[:44])).to_bytes(4, "little")
            self._patch, self._at = bytes(block), off
        self._f.seek(0)

    def readinto(self, b) -> int:
        pos = self._f.tell()
        n = self._f.readinto(b)
        if self._patch and n and pos < self._at + 48 and pos + n > self._at:
            mv = memoryview(b).cast("B")
            lo, hi = max(pos, self._at), min(pos + n, self._at + 48)
            mv[lo - pos : hi - pos] = self._patch[lo - self._at : hi - self._at]
        return n


def _merge(spans: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """At most ``limit`` ranges covering ``spans`` (the smallest gaps between neighbours are filled first)."""
    spans = sorted(spans)
    while len(spans) > limit:
        gaps = [spans[i + 1][0] - spans[i][1] for i in range(len(spans) - 1)]
        i = gaps.index(min(gaps))
        spans[i : i + 2] = [(spans[i][0], spans[i + 1][1])]
    return spans


def metadata_spans(size: int, data: list[tuple[int, int]], start: int = USERBLOCK) -> list[tuple[int, int]]:
    """The byte ranges of [start, size) not covered by the ``data`` ranges (raw chunk storage)."""
    out, at = [], start
    for a, b in sorted(data):
        if a > at:
            out.append((at, min(a, size)))
        at = max(at, b)
    if size > at:
        out.append((at, size))
    return [(a, b) for a, b in out if b > a]


def _crc_ranges(f, spans: list[tuple[int, int]]) -> int:
    crc = 0
    for a, b in spans:
        f.seek(a)
        left = b - a
        while left > 0:
            block = f.read(min(left, 1 << 20))
            if not block:
                return -1
            crc = zlib.crc32(block, crc)
            left -= len(block)
    return crc


def write_seal(path: str | os.PathLike, data: list[tuple[int, int]]) -> bool:
    """Write the seal record of a file that libhdf5 closed cleanly; ``data``: byte ranges of raw chunk storage.

    The record holds the file size and a CRC32 of every byte outside ``data`` (superblock,
    object headers, chunk index, heaps: all the metadata libhdf5 parses). Returns False
    (and leaves the file unsealed: readers then probe it) when the file cannot be sealed.
    """
    with open(path, "r+b", buffering=0) as f:
        head = f.read(USERBLOCK + 48)
        sb = superblock(head)
        if sb is None or sb[0] != USERBLOCK or not sb[3] or sb[2]:
            return False
        size = os.fstat(f.fileno()).st_size
        spans = _merge(metadata_spans(size, data), MAX_SPANS)
        crc = _crc_ranges(f, spans)
        body = _SEAL.pack(SEAL_MAGIC, size, len(spans), crc) + b"".join(_SPAN.pack(a, b - a) for a, b in spans)
        f.seek(0)
        f.write(body + struct.pack("<I", zlib.crc32(body)))
    return True


def seal_ok(path: str | os.PathLike) -> bool:
    """True when ``path`` carries a valid seal record: same size, same metadata bytes as when it was sealed."""
    try:
        with open(path, "rb") as f:
            head = f.read(USERBLOCK + 48)
            size = os.fstat(f.fileno()).st_size
            sb = superblock(head)
            if sb is None or sb[0] != USERBLOCK or sb[1] < 3 or sb[2] or not sb[3] or not head.startswith(SEAL_MAGIC):
                return False
            magic, stored, n, crc = _SEAL.unpack_from(head)
            end = _SEAL.size + n * _SPAN.size
            if stored != size or n > MAX_SPANS or end + 4 > USERBLOCK:
                return False
            if struct.unpack_from("<I", head, end)[0] != zlib.crc32(head[:end]):
                return False
            spans = [(a, a + k) for a, k in _SPAN.iter_unpack(head[_SEAL.size : end])]
            if any(a < USERBLOCK or a + k > size for a, k in ((a, b - a) for a, b in spans)):
                return False
            return _crc_ranges(f, spans) == crc
    except OSError:
        return False


def free_bytes(path: str | os.PathLike) -> int | None:
    """Free space in the directory of ``path``, or None when unknown."""
    try:
        return shutil.disk_usage(Path(path).parent if str(Path(path).parent) else ".").free
    except OSError:
        return None
