"""Errors raised by spikevision.

Every error says what is wrong and what to do about it, in one line, so the
CLI can print it as is.
"""

from __future__ import annotations

__all__ = [
    "SpikevisionError",
    "FormatError",
    "UnknownFormatError",
    "TruncatedFileError",
    "OutputError",
    "InputPathError",
    "MissingFileError",
    "FolderGivenError",
    "UnreadableFileError",
    "BackendUnavailable",
    "DeviceDisconnected",
    "SpikevisionWarning",
]


class SpikevisionError(Exception):
    """Base class of every error spikevision raises on purpose."""


class FormatError(SpikevisionError, ValueError):
    """A file or byte stream does not follow the format it claims."""


class UnknownFormatError(FormatError):
    """The format of a path cannot be determined."""


class TruncatedFileError(FormatError):
    """A file ends in the middle of a frame or a committed block."""


class InputPathError(FormatError, OSError):
    """An input path is not a readable regular file (a FIFO, a device or a socket, which would block or never end)."""


class MissingFileError(InputPathError, FileNotFoundError):
    """An input path does not exist."""


class FolderGivenError(InputPathError, IsADirectoryError):
    """A folder was given where a file is read."""


class UnreadableFileError(InputPathError, PermissionError):
    """An input file exists but cannot be read (permissions)."""


class OutputError(SpikevisionError, OSError):
    """An output cannot be written (missing directory, permission, ...)."""


class BackendUnavailable(SpikevisionError, RuntimeError):
    """An optional backend (CuPy, torch, a camera SDK, libusb) is not usable here."""


class DeviceDisconnected(SpikevisionError, RuntimeError):
    """A camera went away while it was streaming."""


class SpikevisionWarning(UserWarning):
    """Something was guessed or skipped while reading (e.g. a .dat layout, a partial frame); the data is usable."""
