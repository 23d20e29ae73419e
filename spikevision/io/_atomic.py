"""Write outputs whole or not at all: a temporary file in the target directory, renamed on success."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError

__all__ = ["atomic_path", "PendingFile", "PendingDir", "check_output_path", "check_input_path"]


def check_output_path(path: str | os.PathLike, overwrite: bool = True) -> Path:
    """Validate that ``path`` can be written; raise :class:`OutputError` naming the fix."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {p}: directory {parent} does not exist; create it first (mkdir -p {parent})")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {p}: permission denied in {parent}; choose a writable directory")
    if p.is_dir():
        raise OutputError(f"cannot write {p}: it is a directory; give a file name")
    if p.exists() and not overwrite:
        raise OutputError(f"{p} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    return p


def check_input_path(path: str | os.PathLike) -> Path:
    """Validate that ``path`` is a readable file; raise FileNotFoundError/PermissionError with the fix."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file; check the path")
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a directory; give a spike file inside it")
    if not os.access(p, os.R_OK):
        raise PermissionError(f"{p}: permission denied; make it readable (chmod u+r) or copy it")
    return p


class PendingFile:
    """A temporary file next to ``path`` that becomes ``path`` on :meth:`commit`, or vanishes on :meth:`discard`.

    For writers that stay open across calls (recorders, video writers); one-shot writes use
    :func:`atomic_path`. ``suffix`` ends the temporary name (keep the extension when a library picks
    the format from it, e.g. ``".part.mp4"``).
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = True, suffix: str = ".part"):
        self.path = check_output_path(path, overwrite)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=suffix, dir=parent)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}; choose a writable directory") from exc
        os.close(fd)
        self.tmp = Path(tmp)

    def commit(self) -> Path:
        """Move the finished temporary file onto ``path`` (with the permissions a new file would get)."""
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        """Remove the temporary file; ``path`` is left as it was."""
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


class PendingDir:
    """A temporary directory next to ``path`` that replaces ``path`` on :meth:`commit` (e.g. a PNG sequence).

    An existing directory is moved aside before the new one moves in and removed after, so ``path``
    always holds either the old or the new content.
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = True):
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"cannot write {self.path}: directory {parent} does not exist; create it first "
                              f"(mkdir -p {parent})")
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"{self.path} exists and is not a directory; choose a directory name")
        if self.path.exists() and not overwrite:
            raise OutputError(f"{self.path} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".part", dir=parent))
        except OSError as exc:
            raise OutputError(f"cannot write in {parent}: {exc.strerror or exc}; choose a writable directory") from exc

    def commit(self) -> Path:
        """Move the finished directory onto ``path``."""
        old = None
        if self.path.exists():
            old = self.path.with_name(f".{self.path.name}.old{os.getpid()}")
            os.replace(self.path, old)
        os.replace(self.tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.path

    def discard(self) -> None:
        """Remove the temporary directory; ``path`` is left as it was."""
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, overwrite: bool = True, suffix: str = ".part") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds.

    Example:
        >>> with atomic_path("out.dat") as tmp:   # doctest: +SKIP
        ...     tmp.write_bytes(data)
    """
    pending = PendingFile(path, overwrite, suffix)
    try:
        yield pending.tmp
        pending.commit()
    except BaseException:
        pending.discard()
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
