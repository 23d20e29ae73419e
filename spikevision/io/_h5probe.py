"""Run a libhdf5 call in a child process with a timeout, so a hang or a crash on damaged metadata is an error.

libhdf5 can loop forever or crash (SIGSEGV) when it parses damaged metadata, and no
Python code can catch either. :func:`contained` runs ``fn(*args)`` in a forked child
(a fresh interpreter when this process runs other Python threads, where forking is not
safe) and returns its result, re-raises the spikevision error it raised, or raises
:class:`FormatError` when the child hangs past ``timeout`` seconds or dies.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from ..errors import FormatError, SpikevisionError

__all__ = ["contained", "probe_timeout"]

#: seconds a probe may take (env SPIKEVISION_H5_PROBE_TIMEOUT overrides)
DEFAULT_TIMEOUT = 30.0


def probe_timeout() -> float:
    """The probe timeout in seconds (env ``SPIKEVISION_H5_PROBE_TIMEOUT``, default 30)."""
    try:
        return max(0.1, float(os.environ.get("SPIKEVISION_H5_PROBE_TIMEOUT", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT


def _outcome(fn: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except SpikevisionError as e:
        return "error", e
    except BaseException as e:  # noqa: BLE001 - reported to the parent as text
        return "foreign", f"{type(e).__name__}: {e}"


def _read_all(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until EOF, or None past the deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        b = os.read(fd, 1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def _fork(fn, args, timeout: float) -> tuple[bytes | None, int]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no cleanup handlers, no flushing of the parent's buffers
        code = 0
        try:
            os.close(r)
            data = pickle.dumps(_outcome(fn, args))
            view = memoryview(struct.pack("<Q", len(data)) + data)
            while view:
                view = view[os.write(w, view):]
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    try:
        data = _read_all(r, time.monotonic() + timeout)
        if data is None:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    return data, os.waitstatus_to_exitcode(status)


_CHILD = ("import pickle, struct, sys; from spikevision.io._h5probe import _outcome; "
          "fn, args = pickle.load(sys.stdin.buffer); d = pickle.dumps(_outcome(fn, args)); "
          "sys.stdout.buffer.write(struct.pack('<Q', len(d)) + d)")


def _spawn(fn, args, timeout: float) -> tuple[bytes | None, int]:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD], input=pickle.dumps((fn, args)), capture_output=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, 0
    return r.stdout, r.returncode


def contained(fn: Callable[..., Any], args: tuple, path: Any, what: str, timeout: float | None = None) -> Any:
    """``fn(*args)`` run in a child process; ``path`` and ``what`` name the file and the step in errors."""
    timeout = probe_timeout() if timeout is None else timeout
    forkable = hasattr(os, "fork") and threading.active_count() == 1
    data, status = (_fork if forkable else _spawn)(fn, args, timeout)
    if data is None:
        raise FormatError(f"{path}: libhdf5 did not finish {what} within {timeout:g} s (its metadata is damaged "
                          f"and makes libhdf5 loop); run 'spikevision salvage' on a copy or copy the file again")
    if len(data) < 8 or len(data) != 8 + struct.unpack("<Q", data[:8])[0]:
        how = f"died with signal {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"
        raise FormatError(f"{path}: libhdf5 {how} while {what} (its metadata is damaged); the file cannot be "
                          f"read safely; run 'spikevision salvage' on a copy or copy the file again")
    kind, value = pickle.loads(data[8:])
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    raise FormatError(f"{path}: {what} failed ({value}); the file is damaged; copy it again")
