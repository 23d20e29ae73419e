"""Outputs created as new files, never written through a link at the output path.

A symlink (or a hard link) at the output path is replaced, never followed: new files are
created with ``O_CREAT | O_EXCL`` (which refuses any existing name, dangling symlinks
included) and small files are replaced by renaming a new temporary file onto them.
New files get the permissions of the umask (``0o666 & ~umask``), like ``open(path, "w")``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from ..errors import OutputError
from ._atomic import check_output_path

__all__ = ["create_new", "replace_bytes", "remove_output"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def remove_output(path: str | os.PathLike) -> None:
    """Remove the file or symlink at ``path`` (not what a symlink points to); nothing if absent."""
    p = Path(path)
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        raise OutputError(f"cannot replace {p}: it is a directory; remove it or choose another name") from None
    except OSError as exc:
        raise OutputError(f"cannot replace {p}: {exc.strerror or exc}; remove it or choose another name") from None


def create_new(path: str | os.PathLike, overwrite: bool = True) -> BinaryIO:
    """Open ``path`` for writing as a brand-new file (an existing file or symlink is removed first).

    Raises :class:`OutputError` when ``path`` exists (a symlink counts, even a dangling one)
    and ``overwrite`` is False, or when it cannot be created.
    """
    p = check_output_path(path, overwrite=overwrite)
    if os.path.lexists(p):
        if not overwrite:
            raise OutputError(f"{p} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
        remove_output(p)
    try:
        fd = os.open(p, _FLAGS, 0o666)
    except FileExistsError:
        raise OutputError(f"cannot write {p}: another process created it meanwhile; "
                          f"choose another name or stop the other writer") from None
    except OSError as exc:
        raise OutputError(f"cannot write {p}: {exc.strerror or exc}; choose a writable directory") from None
    return os.fdopen(fd, "wb")


def _new_temporary(p: Path) -> tuple[int, Path]:
    parent = p.parent if str(p.parent) else Path(".")
    for _ in range(100):
        tmp = parent / f".{p.name}.{secrets.token_hex(4)}.part"
        try:
            return os.open(tmp, _FLAGS, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write {p}: {exc.strerror or exc}; choose a writable directory") from None
    raise OutputError(f"cannot write {p}: no free temporary name in {parent}; clean up .{p.name}.*.part files")


def replace_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to a new temporary file and rename it onto ``path`` (readers see old or new, whole)."""
    p = Path(path)
    fd, tmp = _new_temporary(p)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write {p}: {exc.strerror or exc}; check the disk and the directory") from None
        raise
