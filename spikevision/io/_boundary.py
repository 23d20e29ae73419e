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

from ..errors import FormatError, SpikevisionError

__all__ = ["regular_file", "content_errors", "CONTENT_EXCEPTIONS"]

#: exceptions that the parsing libraries raise on damaged content (never MemoryError: sizes are checked first)
CONTENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, struct.error,
    ValueError, KeyError, IndexError, OverflowError, NotImplementedError, RuntimeError, UnicodeError,
)


def regular_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path when it is a readable regular file.

    Raises:
        FileNotFoundError: no such file.
        PermissionError: not readable.
        FormatError: a directory, a FIFO, a device or a socket (reading a FIFO would block forever).
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{p}: no such file; check the path") from None
    if stat.S_ISDIR(mode):
        raise FormatError(f"{p} is a directory, not a spike file; give a file inside it")
    if not stat.S_ISREG(mode):
        raise FormatError(f"{p} is not a regular file (a FIFO, device or socket); spikevision reads files by "
                          f"size and position: save the data to a file first")
    if not os.access(p, os.R_OK):
        raise PermissionError(f"{p}: permission denied; make it readable (chmod u+r) or copy it")
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
