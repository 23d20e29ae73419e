"""Helpers shared by CLI subcommands: output checks, the one-line report, progress bars, compile notice.

Every command that writes calls :func:`guard_output` for each output before it reads anything long, and
:func:`report` once when done. Reading options live in :mod:`spikevision.io.options` (shared with the
viewer) and are re-exported here.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..io._atomic import discarded_bytes, file_kind, same_file
from ..io.options import (
    add_read_options,
    finite_float,
    integer,
    nonneg_float,
    nonneg_int,
    positive_float,
    positive_int,
    read_options,
)

__all__ = ["add_read_options", "read_options", "progress", "integer", "positive_int", "nonneg_int", "positive_float",
           "nonneg_float", "finite_float", "guard_output", "input_paths", "check_input_file", "report",
           "add_output_options", "CompileWatch", "compile_watch", "disk_error_message", "is_disk_error",
           "OUTPUTS", "human_bytes"]

#: Outputs the running command writes, in order (for error messages).
OUTPUTS: list[Path] = []
#: Set by ``--quiet``: no success line, no progress bar, no compile notice.
QUIET = False


def progress(total: int, desc: str, unit: str = "frame", disable: bool | None = None):
    """A tqdm progress bar on stderr, hidden when stderr is not a terminal (or SPIKEVISION_PROGRESS=0, --quiet)."""
    from tqdm import tqdm

    if disable is None:
        env = os.environ.get("SPIKEVISION_PROGRESS")
        disable = QUIET or ((env == "0") if env is not None else not sys.stderr.isatty())
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=True, disable=disable, leave=False, file=sys.stderr)


def add_output_options(p: argparse.ArgumentParser, json_summary: bool = True) -> None:
    """``--overwrite`` and (where the command has a summary) ``--json``."""
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing output (a folder: only the files spikevision wrote there)")
    if json_summary:
        p.add_argument("--json", action="store_true", help="print the summary as JSON instead of one line")


def input_paths(source: str) -> list[str]:
    """The files a source reads: the path itself, or the file inside a ``replay://``/``sdk://`` URL."""
    if "://" not in source:
        return [source]
    from ..camera._url import parse_url

    try:
        scheme, loc, opts = parse_url(source)
    except Exception:  # the camera layer reports a bad URL itself
        return []
    if scheme == "replay":
        return [loc] if loc else []
    if scheme == "sdk" and opts.get("file"):
        return [str(opts["file"])]
    return []


def check_input_file(path: str | os.PathLike) -> Path:
    """A regular file that exists, checked with ``stat`` (never opened: a FIFO would block)."""
    from ..io._atomic import check_input_path

    return check_input_path(path)


def guard_output(out: str | os.PathLike, inputs: list[str] | tuple[str, ...] = (), *, overwrite: bool = False,
                 folder: bool = False) -> Path:
    """Refuse an output that would destroy an input or replace a file without ``--overwrite``.

    Args:
        out: the output path.
        inputs: the input paths or URLs (``replay://`` and ``sdk://...?file=`` URLs name their file).
        overwrite: whether ``--overwrite`` was given.
        folder: the output is a folder (a PNG sequence) rather than a file.
    """
    p = Path(out)
    for src in inputs:
        for path in input_paths(str(src)):
            if os.path.lexists(p) and os.path.exists(path) and same_file(p, path):
                raise OutputError(f"{p} is the same file as the input {path}; writing it would destroy the input: "
                                  f"choose another output path")
    for q in OUTPUTS:
        if same_file(p, q):
            raise OutputError(f"{p} is given as two outputs; choose different paths")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {p}: directory {parent} does not exist; create it first (mkdir -p {parent})")
    try:
        st = os.stat(p)
    except OSError:
        st = None
    if st is not None:
        if folder and not stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{p} exists and is {file_kind(st.st_mode)}, not a folder; choose a folder name")
        if not folder and not stat.S_ISREG(st.st_mode):
            raise OutputError(f"cannot write {p}: it is {file_kind(st.st_mode)}; give the name of a regular file")
    if (st is not None or os.path.islink(p)) and not overwrite:
        what = "folder" if folder else "file"
        extra = " (only the files spikevision wrote there are replaced)" if folder else ""
        raise OutputError(f"{p} already exists; pass --overwrite to replace it{extra} or choose another {what} "
                          f"name")
    OUTPUTS.append(p)
    return p


def report(args: argparse.Namespace, line: str, summary: dict[str, Any] | None = None) -> None:
    """Print the success line (or, with ``--json``, the summary) on stdout; ``--quiet`` silences the line."""
    if summary is not None and getattr(args, "json", False):
        print(json.dumps(summary, indent=2, default=str))
    elif not (QUIET or getattr(args, "quiet", False)):
        print(line)


def human_bytes(n: float) -> str:
    """``1234567`` -> ``"1.2 MB"``."""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n} TB"  # pragma: no cover


_DISK_ERRNOS = {errno.ENOSPC: "no space left on the device", errno.EFBIG: "file too large (file-size limit)",
                errno.EIO: "input/output error", errno.EDQUOT: "disk quota exceeded"}
_DISK_TEXTS = {"no space left": errno.ENOSPC, "file too large": errno.EFBIG, "errno = 27": errno.EFBIG,
               "errno = 28": errno.ENOSPC, "input/output error": errno.EIO, "errno = 5,": errno.EIO,
               "quota exceeded": errno.EDQUOT, "check free disk space": errno.ENOSPC}


def is_disk_error(exc: BaseException) -> int | None:
    """The errno (ENOSPC, EFBIG, EIO, EDQUOT) if ``exc`` or its cause is a failed write, else None."""
    seen = 0
    e: BaseException | None = exc
    while e is not None and seen < 8:
        if isinstance(e, OSError) and e.errno in _DISK_ERRNOS:
            return e.errno
        text = str(e).lower()
        for key, code in _DISK_TEXTS.items():
            if key in text:
                return code
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def disk_error_message(exc: BaseException, code: int, in_place: bool = False) -> str:
    """One line: which file, the bytes written, the free space, and what to do."""
    target = OUTPUTS[-1] if OUTPUTS else None
    name = getattr(exc, "filename", None)
    for q in OUTPUTS:  # the output whose write failed, when the error says
        if name and Path(name).name.startswith(f".{q.name}."):
            target = q
    if target is None:
        return f"a write failed: {_DISK_ERRNOS[code]}; free some space and run again"
    written = discarded_bytes(target)
    if written is None and os.path.lexists(target) and in_place:
        written = os.path.getsize(target) if os.path.isfile(target) else None
    parent = target.parent if str(target.parent) else Path(".")
    try:
        free = human_bytes(shutil.disk_usage(parent).free)
    except OSError:
        free = "unknown"
    wrote = f" after {written:,} bytes" if written is not None else ""
    fix = "raise the file-size limit (ulimit -f) or free space" if code == errno.EFBIG else "free some space"
    kept = (f"; the frames committed before are kept in {target}" if in_place
            else "; the temporary file was removed and nothing was written")
    return f"cannot write {target}: {_DISK_ERRNOS[code]}{wrote} ({free} free on {parent}){kept}; {fix} and run again"


class CompileWatch:
    """Numba compile-event listener: a one-time stderr notice after 1 s of compiling, and the compile time.

    Registered for the ``numba:compile`` event (a real compilation, not a cache load). The notice appears
    only on a terminal; :attr:`total` is the wall time spent compiling, so reported speeds can leave it out.
    """

    def __init__(self, after: float = 1.0, enabled: bool = True, stream=None):
        self.after = after
        self.enabled = enabled
        self.stream = stream
        self.total = 0.0
        self.shown = False
        self._depth = 0
        self._t0 = 0.0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def _notice(self) -> None:
        with self._lock:
            if self.shown or self._depth == 0:
                return
            self.shown = True
        out = self.stream or sys.stderr
        print("compiling kernels (first run only)", file=out, flush=True)

    def on_start(self, event=None) -> None:
        with self._lock:
            self._depth += 1
            if self._depth > 1:
                return
            self._t0 = time.perf_counter()
            if self.enabled and not self.shown:
                self._timer = threading.Timer(max(0.0, self.after - self.total), self._notice)
                self._timer.daemon = True
                self._timer.start()

    def on_end(self, event=None) -> None:
        with self._lock:
            self._depth = max(0, self._depth - 1)
            if self._depth:
                return
            self.total += time.perf_counter() - self._t0
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


#: The process's watch (None until :func:`compile_watch` installs it).
WATCH: CompileWatch | None = None


def compile_watch(enabled: bool | None = None) -> CompileWatch:
    """Install (once) and return the compile watch; the notice shows when stderr is a terminal."""
    global WATCH
    if WATCH is not None:
        return WATCH
    if enabled is None:
        enabled = sys.stderr.isatty() and not QUIET
    WATCH = CompileWatch(enabled=enabled)
    try:
        from numba.core import event

        class _Listener(event.Listener):
            def on_start(self, ev):
                WATCH.on_start(ev)

            def on_end(self, ev):
                WATCH.on_end(ev)

        event.register("numba:compile", _Listener())
    except Exception:  # numba without the event API: no notice, speeds as measured
        pass
    return WATCH


def compile_seconds() -> float:
    """Seconds this process has spent compiling kernels so far."""
    return WATCH.total if WATCH is not None else 0.0
