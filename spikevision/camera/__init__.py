"""Live spike cameras: one :class:`Camera` interface over simulated, replay, USB and vendor-SDK backends.

Example:
    >>> from spikevision.camera import open_camera
    >>> with open_camera("sim://?frames=1000&speed=max") as cam:     # doctest: +SKIP
    ...     for block in cam:
    ...         frames = block.unpack()        # (n, 250, 400) uint8

Backends: ``sim://`` (:mod:`.sim`), ``replay://`` (:mod:`.replay`), ``usb://``
(:mod:`.usb`, FT60x bridge via libusb, the ``usb`` extra), ``sdk://``
(:mod:`.sdk`, the vendor library through ctypes). Recording: :func:`record`.
Hardware notes: ``hardware/README.md`` in the source tree.
"""

from __future__ import annotations

from ._base import Camera, CameraInfo, CameraStats, FrameRun
from ._block import SpikeBlock
from ._errors import BackendUnavailable, CameraError, CameraNotFound, CameraURLError, DeviceDisconnected
from ._ring import POLICIES, RingBuffer, RingStats
from ._url import open_camera, parse_url
from .recording import Recorder, RecordResult, record

__all__ = [
    "open_camera", "parse_url", "Camera", "CameraInfo", "CameraStats", "FrameRun", "SpikeBlock",
    "RingBuffer", "RingStats", "POLICIES", "record", "Recorder", "RecordResult",
    "CameraError", "CameraNotFound", "CameraURLError", "BackendUnavailable", "DeviceDisconnected",
]
