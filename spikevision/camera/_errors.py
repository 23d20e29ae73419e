"""Errors specific to live cameras (the generic ones live in :mod:`spikevision.errors`)."""

from __future__ import annotations

from ..errors import BackendUnavailable, DeviceDisconnected, SpikevisionError

__all__ = ["CameraError", "CameraNotFound", "CameraURLError", "BackendUnavailable", "DeviceDisconnected"]


class CameraError(SpikevisionError, RuntimeError):
    """A camera could not be opened, started or read (other than a disconnect)."""


class CameraNotFound(CameraError):
    """No device matches the requested VID:PID / serial / path."""


class CameraURLError(SpikevisionError, ValueError):
    """A camera URL is malformed or names an unknown backend or option."""
