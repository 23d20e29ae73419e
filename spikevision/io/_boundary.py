"""Reader boundary: whatever a file holds, a reader raises only spikevision errors about it.

Readers parse untrusted bytes with ``zipfile``, ``zlib``, ``struct`` and NumPy, which raise their own
exceptions (``BadZipFile``, ``zlib.error``, ``EOFError``, ``struct.error``, ``ValueError`` ...).
:func:`content_errors` turns those into a :class:`~spikevision.errors.FormatError` that names the
file, the damaged part and the fix. :func:`regular_file` refuses paths that are not regular files
(a directory, a FIFO that would block forever, a device) before anything is opened.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from ..errors import (
    FolderGivenError,
    FormatError,
    InputPathError,
    MissingFileError,
    SpikevisionError,
    UnreadableFileError,
)

__all__ = ["regular_file", "file_kind", "content_errors", "CONTENT_EXCEPTIONS"]

#: exceptions that the parsing libraries raise on damaged content (never MemoryError: sizes are checked first)
CONTENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, struct.error,
    ValueError, KeyError, IndexError, OverflowError, NotImplementedError, RuntimeError, UnicodeError,
)


def file_kind(mode: int) -> str:
    """What a ``st_mode`` is, in words: "a regular file", "a directory", "a FIFO (named pipe)", ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def regular_file(path: str | os.PathLike, what: str = "spike file") -> Path:
    """``path`` as a Path when it is a readable regular file; checked by ``stat``, never opened.

    The one classifier of input paths: every reader and command calls it before opening anything.

    Args:
        path: the input.
        what: what is read there, for the message (".dat file", "spike file" ...).

    Raises:
        MissingFileError: no such file (also a ``FileNotFoundError``).
        FolderGivenError: a directory (also an ``IsADirectoryError``).
        InputPathError: a FIFO, device or socket (reading a FIFO would block forever), or ``stat`` failed.
        UnreadableFileError: not readable (also a ``PermissionError``).
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise MissingFileError(f"{p}: no such file; check the path") from None
    except OSError as exc:
        raise InputPathError(f"{p}: cannot read it ({exc.strerror or exc}); check the path and its "
                             f"permissions") from None
    if stat.S_ISDIR(mode):
        raise FolderGivenError(f"{p} is a directory, not a {what}; give a file inside it")
    if not stat.S_ISREG(mode):
        raise InputPathError(f"{p} is {file_kind(mode)}, not a regular file: spikevision reads a {what} by size "
                             f"and position; copy the bytes to a regular file first and open that")
    if not os.access(p, os.R_OK):
        raise UnreadableFileError(f"{p}: permission denied; make it readable (chmod u+r) or copy it")
    return p


@contextlib.contextmanager
def content_errors(path: str | os.PathLike, what: str, fix: str) -> Iterator[None]:
    """Turn the parsing libraries' exceptions raised inside the block into one :class:`FormatError`.

    Args:
        path: the file being read (named in the message).
        what: the part being parsed, e.g. ``"the zip central directory"``.
        fix: what the user can do, e.g. ``"copy the file again"``.

    Example:
        >>> with content_errors(p, "the zip archive", "copy it again"):   # doctest: +SKIP
        ...     zf = zipfile.ZipFile(p)
    """
    try:
        yield
    except SpikevisionError:
        raise
    except CONTENT_EXCEPTIONS as e:
        detail = str(e) or type(e).__name__
        raise FormatError(f"{path}: {what} is damaged ({type(e).__name__}: {detail}); {fix}") from e
