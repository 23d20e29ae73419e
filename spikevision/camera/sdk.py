"""``sdk://``: the vendor's SpikeLink input library through ctypes.

The library (``spikelinkapi.dll`` / ``libspikelinkapi.so``) is loaded from the
URL's path or from ``$SPIKEVISION_SDK_LIB``; a missing or foreign library is a
:class:`BackendUnavailable` error naming what to do. The ABI is the C entry
points of the public ``spikelinkapi.h`` (see ``hardware/sdk-abi.md``): an opaque
64-bit handle from ``CreateSpikeLinkInputPython``, ``Init`` with a
``SpikeLinkInitParams`` (whose ``opaque`` points at the per-interface params),
``SetCallbackPython``, ``Open/Start/Stop/Close/Fini`` and ``ReleaseFrame``.
Every argtype and restype is declared (the vendor's Python example leaves the
restype as ``int``, which truncates the handle on 64-bit systems), struct sizes
are checked against the x86-64 layout, and the callback object is kept alive
until ``Fini`` has joined the SDK's thread.

Frames arrive on the SDK's thread: the callback copies ``data[0][:size]``,
returns the frame to the SDK pool with ``ReleaseFrame`` at once (exactly once
per frame), and queues the bytes for the camera's producer thread. Frames lost
by the SDK (a gap in ``pts``) or by a full hand-off queue are counted and told
to the framer as lost bytes.

URL: ``sdk://path/to/libspikelinkapi.so?type=usb|pcie|file&file=rec.bin&dev=libhda100.so&layout=packed&height=1000&width=1000&fps=20000``.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from ._base import Camera, CameraInfo, FrameRun, default_frames_per_block
from ._errors import BackendUnavailable, CameraError
from .framing import feed_counted, gap_counted, make_framer

__all__ = ["SdkCamera", "SVRational", "SVPicture", "SpikeLinkInitParams", "SpikeLinkQSFPInitParams",
           "SpikeLinkDummyInitParams", "SpikeLinkVideoFrame", "InputCallBack", "SIGNATURES", "STRUCT_SIZES",
           "DEVICE_TYPES", "FORMAT_1BIT_GRAY", "ENV_VAR", "load_library", "display_mode"]

log = logging.getLogger(__name__)

ENV_VAR = "SPIKEVISION_SDK_LIB"
NUM_DATA_POINTERS = 3
#: SVDeviceInterface codes
DEVICE_TYPES = {"pcie": 0x20, "usb": 0x21, "thunderbolt": 0x22, "ethernet": 0x23, "file": 0x24}
#: SVPixelFormat svFormat1BitGray
FORMAT_1BIT_GRAY = 0x00010000


def display_mode(height: int, width: int, fps: float) -> int:
    """SVDisplayMode for a sensor size and rate (K10 400x250, M1 1000x1000, M2 2000x1000; 20 or 40 kHz)."""
    base = {(250, 400): 0x1000, (1000, 1000): 0x2000, (1000, 2000): 0x3000}.get((height, width))
    if base is None:
        return 0x8000  # svModeUnknown
    return base + (1 if fps >= 30000 else 0)


class SVRational(ctypes.Structure):
    _fields_ = [("num", ctypes.c_int64), ("den", ctypes.c_int64)]


class SVPicture(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int32), ("height", ctypes.c_int32), ("format", ctypes.c_uint32),
                ("fps", SVRational), ("time_base", SVRational)]


class SpikeLinkInitParams(ctypes.Structure):
    _fields_ = [("opaque", ctypes.c_void_p), ("type", ctypes.c_uint32), ("mode", ctypes.c_uint32),
                ("format", ctypes.c_uint32), ("buff_size", ctypes.c_int32), ("picture", SVPicture)]


class SpikeLinkQSFPInitParams(ctypes.Structure):
    _fields_ = [("devName", ctypes.c_char * 256), ("channels", ctypes.c_int32), ("channelMode", ctypes.c_int32)]


class SpikeLinkDummyInitParams(ctypes.Structure):
    _fields_ = [("fileName", ctypes.c_char * 256), ("fps", SVRational), ("duration", ctypes.c_int64),
                ("skip", ctypes.c_int32), ("start", ctypes.c_int32), ("end", ctypes.c_int32),
                ("repeat", ctypes.c_bool)]


class SpikeLinkVideoFrame(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8) * NUM_DATA_POINTERS),
                ("linesize", ctypes.c_int32 * NUM_DATA_POINTERS), ("format", ctypes.c_int32),
                ("size", ctypes.c_int32), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
                ("pts", ctypes.c_int64), ("dts", ctypes.c_int64), ("duration", ctypes.c_int64),
                ("time_base", SVRational), ("opaque", ctypes.c_void_p)]


#: sizes on LP64 (x86-64 / aarch64 Linux, and Win64 where long is not used)
STRUCT_SIZES = {SVRational: 16, SVPicture: 48, SpikeLinkInitParams: 72, SpikeLinkQSFPInitParams: 264,
                SpikeLinkDummyInitParams: 296, SpikeLinkVideoFrame: 104}
if ctypes.sizeof(ctypes.c_void_p) == 8:
    for _t, _n in STRUCT_SIZES.items():
        assert ctypes.sizeof(_t) == _n, f"{_t.__name__} is {ctypes.sizeof(_t)} bytes, the SDK ABI says {_n}"

#: void (*InputCallBack)(void *frame)
InputCallBack = ctypes.CFUNCTYPE(None, ctypes.c_void_p)

_h = ctypes.c_void_p
#: every C entry point: name -> (argtypes, restype)
SIGNATURES: dict[str, tuple[list, Any]] = {
    "CreateSpikeLinkInputPython": ([], ctypes.c_void_p),
    "Init": ([_h, ctypes.POINTER(SpikeLinkInitParams)], ctypes.c_int32),
    "SetCallbackPython": ([_h, InputCallBack], None),
    "IsOpen": ([_h], ctypes.c_bool),
    "Open": ([_h], ctypes.c_int32),
    "Close": ([_h], ctypes.c_int32),
    "Start": ([_h], ctypes.c_int32),
    "Stop": ([_h], ctypes.c_int32),
    "GetState": ([_h], ctypes.c_int32),
    "Fini": ([_h], None),
    "ReleaseFrame": ([_h, ctypes.c_void_p], None),
}


def load_library(path: str | os.PathLike | None = None) -> ctypes.CDLL:
    """Load the SDK from ``path`` or ``$SPIKEVISION_SDK_LIB`` and declare every entry point."""
    path = os.fspath(path) if path else os.environ.get(ENV_VAR)
    if not path:
        raise BackendUnavailable(f"sdk:// needs the vendor SpikeLink library: give its path "
                                 f"(sdk:///opt/spike/libspikelinkapi.so) or set {ENV_VAR}")
    if not os.path.exists(path):
        raise BackendUnavailable(f"SDK library {path} does not exist; check the path (or {ENV_VAR})")
    try:
        lib = ctypes.CDLL(path)
    except OSError as exc:
        raise BackendUnavailable(f"cannot load SDK library {path}: {exc}; it must be a shared library for "
                                 f"this platform (.so on Linux), with its dependencies on LD_LIBRARY_PATH") from None
    missing = [n for n in SIGNATURES if not hasattr(lib, n)]
    if missing:
        raise BackendUnavailable(f"{path} is not a SpikeLink SDK library: missing {', '.join(missing)}")
    for name, (argtypes, restype) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = restype
    return lib


class SdkCamera(Camera):
    """A camera driven by the vendor SDK (see the module docstring).

    Args:
        library: path of the SDK shared library (default ``$SPIKEVISION_SDK_LIB``).
        type: ``"usb"``, ``"pcie"`` or ``"file"`` (the SDK's dummy input replaying ``file``).
        file: the raw file for ``type=file``.
        dev: the device driver library / device name for ``pcie`` and ``usb`` (``devName``).
        layout: what an SDK frame holds: ``"packed"`` (canonical frames), ``"vidar"`` or ``"m1"``.
        height, width, fps: sensor size and rate (default 1000 x 1000 at 20 kHz).
        buffers: frames in the SDK's pool (``buff_size``).
        mode: SVDisplayMode override.
        channels: QSFP channel (pcie).
        repeat: loop the file (``type=file``).
        queue: SDK frames buffered between the callback and the producer thread.
    """

    backend = "sdk"
    default_policy = "drop_oldest"

    def __init__(self, library: str | os.PathLike | None = None, *, type: str = "usb", file: str | None = None,
                 dev: str | None = None, layout: str = "packed", height: int = 1000, width: int = 1000,
                 fps: float = 20000.0, buffers: int = 64, mode: int | None = None, channels: int = 0,
                 repeat: bool = False, queue: int = 256, **kw):
        super().__init__(**kw)
        if type not in ("usb", "pcie", "file"):
            raise CameraError(f"sdk:// type must be usb, pcie or file, got {type!r}")
        if type == "file" and not file:
            raise CameraError("sdk:// type=file needs file=PATH (the raw recording the SDK replays)")
        self.library, self.kind, self.file, self.dev = library, type, file, dev
        self.layout = layout
        if layout == "m1":
            height, width = 1000, 1000
        self._framer = make_framer(layout, height=height, width=width,
                                   head_columns=0 if layout == "packed" else None)
        self.height, self.width, self.fps = self._framer.height, self._framer.width, float(fps)
        self.buffers, self.mode, self.channels, self.repeat = int(buffers), mode, int(channels), bool(repeat)
        self._qcap = int(queue)
        self._lib = None
        self._handle = None
        self._cb = None
        self._params = self._opaque = None
        self._cond = threading.Condition()
        self._items: list = []
        self._accepting = False
        self._lost_pending = 0
        self._last_pts: int | None = None
        self._last_size = 0
        self.sdk_frames = 0
        self.sdk_released = 0
        self.sdk_dropped = 0
        self.queue_dropped = 0
        self.callback_errors = 0

    # --- SDK calls ----------------------------------------------------------
    def _call(self, name: str, *args) -> int:
        rc = getattr(self._lib, name)(self._handle, *args)
        if rc not in (0, 1):  # 1 = "already in that state" in the SDK
            raise CameraError(f"SDK {name} failed with code {rc}; check the device ({self.kind}) and the driver")
        return rc

    def _open(self) -> CameraInfo:
        self._lib = load_library(self.library)
        handle = self._lib.CreateSpikeLinkInputPython()
        if not handle:
            raise CameraError("SDK CreateSpikeLinkInputPython returned NULL; the SDK could not allocate an input")
        self._handle = ctypes.c_void_p(handle)
        fps_i = int(round(self.fps))
        if self.kind == "file":
            op = SpikeLinkDummyInitParams()
            op.fileName = os.fsencode(self.file)[:255]
            op.fps = SVRational(fps_i, 1)
            op.repeat = self.repeat
        else:
            op = SpikeLinkQSFPInitParams()
            op.devName = os.fsencode(self.dev or "")[:255]
            op.channels = self.channels
            op.channelMode = 0  # read only
        pic = SVPicture(self.width, self.height, FORMAT_1BIT_GRAY, SVRational(fps_i, 1), SVRational(1, fps_i))
        params = SpikeLinkInitParams(ctypes.cast(ctypes.pointer(op), ctypes.c_void_p), DEVICE_TYPES[self.kind],
                                     self.mode if self.mode is not None else
                                     display_mode(self.height, self.width, self.fps),
                                     FORMAT_1BIT_GRAY, self.buffers, pic)
        self._opaque, self._params = op, params  # alive as long as the SDK may read them
        try:
            self._call("Init", ctypes.byref(params))
            self._cb = InputCallBack(self._on_frame)
            self._lib.SetCallbackPython(self._handle, self._cb)
            self._call("Open")
        except BaseException:
            self._fini()
            raise
        fpb = default_frames_per_block(self.height, self.width, self.fps)
        where = self.file if self.kind == "file" else (self.dev or self.kind)
        extra = {"library": str(self.library or os.environ.get(ENV_VAR)), "type": self.kind, "layout": self.layout,
                 "sensor": "m1" if (self.height, self.width) == (1000, 1000) else "vidar"}
        return CameraInfo(self.height, self.width, self.fps, fpb, "sdk", str(where), self.url, extra)

    def _on_frame(self, ptr) -> None:
        """The SDK's callback (on its thread): copy, release at once, hand over."""
        try:
            fr = ctypes.cast(ptr, ctypes.POINTER(SpikeLinkVideoFrame)).contents
            size, pts = int(fr.size), int(fr.pts)
            data = ctypes.string_at(fr.data[0], size) if size > 0 and fr.data[0] else b""
        except Exception:  # an exception must never cross into C
            self.callback_errors += 1
            data, pts, size = None, None, 0
        finally:
            self._lib.ReleaseFrame(self._handle, ptr)
        with self._cond:
            self.sdk_frames += 1
            self.sdk_released += 1
            if data is None or not self._accepting:
                return
            if self._last_pts is not None and pts is not None and pts > self._last_pts + 1:
                lost = pts - self._last_pts - 1
                self.sdk_dropped += lost
                self._lost_pending += lost * (self._last_size or size)
            self._last_pts, self._last_size = pts, size
            if len(self._items) >= self._qcap:
                self.queue_dropped += 1
                self._lost_pending += size
                return
            self._items.append((data, self._lost_pending))
            self._lost_pending = 0
            self._cond.notify()

    def _runs(self, stop: threading.Event) -> Iterator[FrameRun]:
        fr = self._framer
        empty = np.empty((0, self.info.frame_nbytes), np.uint8)
        with self._cond:
            self._accepting = True
        self._call("Start")
        try:
            while not stop.is_set():
                with self._cond:
                    if not self._items:
                        self._cond.wait(0.1)
                    items, self._items = self._items, []
                if not items:
                    yield FrameRun(empty)
                    continue
                for data, lost_bytes in items:
                    lost = gap_counted(fr, lost_bytes) if lost_bytes else 0
                    self._bytes += len(data)
                    out, lost2, resync = feed_counted(fr, data)
                    yield FrameRun(out, lost + lost2, bool(lost_bytes) or resync)
        finally:
            with self._cond:
                self._accepting = False
            try:
                self._lib.Stop(self._handle)
            except Exception as exc:
                log.warning("SDK Stop: %s", exc)

    def _fini(self) -> None:
        if self._handle is not None and self._lib is not None:
            self._lib.Fini(self._handle)  # joins the SDK thread: no callback after this
            self._handle = None
        self._cb = None

    def _close(self) -> None:
        if self._handle is not None:
            try:
                self._lib.Close(self._handle)
            finally:
                self._fini()
