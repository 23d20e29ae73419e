"""Write outputs whole or not at all: a temporary file in the target directory, renamed on success.

- :class:`PendingFile`: an exclusive temporary file (``mkstemp``) next to the target, renamed onto it on
  :meth:`~PendingFile.commit`. No writer opens the target path itself, so a symlink at the target is
  replaced, never written through, and an interrupted write leaves the old file as it was.
- :class:`PendingDir`: the same for a folder of files (a PNG sequence). A new folder is renamed into
  place whole. An existing folder (``overwrite=True`` only) keeps every file spikevision did not write:
  a manifest in the folder (:data:`MANIFEST`) lists the files it wrote, and only those are replaced.
- New files and folders get the permissions any program's would (``0666``/``0777`` less the umask), not
  the ``0600``/``0700`` of ``mkstemp``/``mkdtemp``.
- Every uncommitted temporary is registered, so a front end can remove them all when it fails
  (:func:`discard_all`) and say how many bytes had been written (:func:`discarded_bytes`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError
from ._boundary import file_kind
from ._boundary import regular_file as check_input_path  # inputs and outputs are checked from one place

__all__ = ["atomic_path", "PendingFile", "PendingDir", "check_output_path", "check_input_path", "same_file",
           "file_kind", "discard_all", "discarded_bytes", "MANIFEST"]

#: Name of the file listing what spikevision wrote in an output folder.
MANIFEST = ".spikevision-manifest.json"

_lock = threading.Lock()
_live: dict[int, PendingFile | PendingDir] = {}  # uncommitted outputs of this process
_discarded: dict[str, int] = {}  # target path -> bytes its temporary held when it was discarded


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same file (hard links, symlinks and other spellings included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: compare the resolved names
        return os.path.realpath(a) == os.path.realpath(b)


def check_output_path(path: str | os.PathLike, overwrite: bool = True) -> Path:
    """Validate that ``path`` can be written; raise :class:`OutputError` naming the fix."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {p}: directory {parent} does not exist; create it first (mkdir -p {parent})")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {p}: permission denied in {parent}; choose a writable directory")
    try:
        st = os.stat(p)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {p}: it is a directory; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(f"cannot write {p}: it is {file_kind(st.st_mode)}; give the name of a regular file")
    if (st is not None or p.is_symlink()) and not overwrite:
        raise OutputError(f"{p} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    return p


def _umask() -> int:
    with _lock:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def _register(obj: PendingFile | PendingDir) -> None:
    with _lock:
        _live[id(obj)] = obj


def _unregister(obj: PendingFile | PendingDir, written: int | None = None) -> None:
    with _lock:
        was_live = _live.pop(id(obj), None) is not None
        if written is not None and was_live:  # the first discard knows what was written
            _discarded[str(obj.path)] = written


def _size(p: Path) -> int:
    try:
        if p.is_dir():
            return sum(f.stat().st_size for f in p.iterdir() if f.is_file())
        return p.stat().st_size
    except OSError:
        return 0


def discard_all() -> list[tuple[Path, int]]:
    """Discard every uncommitted temporary of this process; return ``(target, bytes written)`` of each."""
    with _lock:
        live = list(_live.values())
    out = []
    for obj in live:
        n = _size(obj.tmp)
        obj.discard()
        out.append((obj.path, n))
    return out


def discarded_bytes(path: str | os.PathLike) -> int | None:
    """Bytes the temporary of ``path`` held when it was last discarded (None if it never was)."""
    with _lock:
        return _discarded.get(str(Path(path)))


class PendingFile:
    """A temporary file next to ``path`` that becomes ``path`` on :meth:`commit`, or vanishes on :meth:`discard`.

    For writers that stay open across calls (recorders, video writers); one-shot writes use
    :func:`atomic_path`. ``suffix`` ends the temporary name (keep the extension when a library picks
    the format from it, e.g. ``".part.mp4"``). The temporary is created exclusively (``mkstemp``), so a
    writer opening it never follows a link planted at the target.
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
        _register(self)

    @property
    def bytes_written(self) -> int:
        """Current size of the temporary file."""
        return _size(self.tmp)

    def commit(self) -> Path:
        """Move the finished temporary file onto ``path`` (with the permissions a new file would get)."""
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)
        _unregister(self)
        return self.path

    def discard(self) -> None:
        """Remove the temporary file; ``path`` is left as it was."""
        n = _size(self.tmp)
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()
        _unregister(self, n)


def _manifest_names(folder: Path) -> set[str]:
    """Plain file names listed in ``folder``'s manifest (none when it has none or it is unreadable)."""
    try:
        data = json.loads((folder / MANIFEST).read_text())
        names = data.get("files", []) if isinstance(data, dict) else []
    except (OSError, ValueError):
        return set()
    return {n for n in names if isinstance(n, str) and n and "/" not in n and n not in (".", "..", MANIFEST)}


def _write_manifest(folder: Path, names: list[str]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{MANIFEST}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump({"written_by": "spikevision", "files": sorted(names)}, f, indent=0)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class PendingDir:
    """A temporary folder next to ``path`` whose files move into ``path`` on :meth:`commit` (e.g. a PNG sequence).

    A new ``path`` is created by renaming the finished temporary folder. An existing folder is refused
    unless ``overwrite``; with it, only the files spikevision wrote there before (listed in its
    :data:`MANIFEST`) are replaced or removed, and a new file whose name is taken by a file spikevision
    did not write is refused, so nothing it did not write is ever lost.
    """

    def __init__(self, path: str | os.PathLike, overwrite: bool = True):
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise OutputError(f"cannot write {self.path}: directory {parent} does not exist; create it first "
                              f"(mkdir -p {parent})")
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"{self.path} exists and is not a directory; choose a directory name")
        if self.path.is_symlink() and not overwrite:
            raise OutputError(f"{self.path} already exists (a link); pass overwrite=True (CLI: --overwrite)")
        if self.path.exists() and not overwrite:
            raise OutputError(f"{self.path} already exists; pass overwrite=True (CLI: --overwrite) to replace the "
                              f"files spikevision wrote there (other files are kept)")
        try:
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".part", dir=parent))
        except OSError as exc:
            raise OutputError(f"cannot write in {parent}: {exc.strerror or exc}; choose a writable directory") from exc
        _register(self)

    @property
    def bytes_written(self) -> int:
        """Bytes in the temporary folder so far."""
        return _size(self.tmp)

    def commit(self) -> Path:
        """Move the finished files into ``path`` (see the class); the temporary folder is removed."""
        names = sorted(f.name for f in self.tmp.iterdir() if f.name != MANIFEST)
        try:
            if not self.path.exists() and not self.path.is_symlink():
                _write_manifest(self.tmp, names)
                os.chmod(self.tmp, 0o777 & ~_umask())
                os.rename(self.tmp, self.path)
                _unregister(self)
                return self.path
            ours = _manifest_names(self.path)
            foreign = [n for n in names if n not in ours and os.path.lexists(self.path / n)]
            if foreign:
                shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
                raise OutputError(f"{self.path} holds {shown}, which spikevision did not write; move them away or "
                                  f"choose another folder (nothing was changed)")
            for n in sorted(ours - set(names)):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path / n)
            _write_manifest(self.path, names)  # first: an interruption leaves every file it wrote listed
            for n in names:
                os.replace(self.tmp / n, self.path / n)
        except BaseException:
            self.discard()
            raise
        shutil.rmtree(self.tmp, ignore_errors=True)
        _unregister(self)
        return self.path

    def discard(self) -> None:
        """Remove the temporary folder; ``path`` is left as it was."""
        n = _size(self.tmp)
        shutil.rmtree(self.tmp, ignore_errors=True)
        _unregister(self, n)


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
