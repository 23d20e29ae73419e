"""Run reader checks in forked children so that a hang or a crash is a test outcome, not a stalled CI.

A worker child runs the cases one after another and reports each outcome through a pipe; when
it hangs past the timeout or dies (SIGSEGV, abort), the parent records that case as ``"hang"`` or
``"crash"`` and starts a fresh child at the next case. ``check(case)`` runs in the child, so it
may be any callable (nothing is pickled but the outcome).

Outcomes (the property every reader must keep):
- ``"exact"``: the read returned exactly the recorded frames;
- ``"prefix"``: a prefix of the recorded frames, with a warning;
- ``"error"``: a spikevision error was raised;
- ``"skipped"``: only where the format documents skipping damaged frames (raw line packets,
  ``classify(..., gaps=True)``): recorded frames in order with some left out, with a warning;
- anything else is a failure: ``"foreign"`` (another exception), ``"wrong"`` (frames that differ
  from the recording, or a shorter read without a warning), ``"hang"``, ``"crash"``.
"""

from __future__ import annotations

import collections
import os
import pickle
import select
import signal
import struct
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

GOOD = ("exact", "prefix", "skipped", "error")
BAD = ("foreign", "wrong", "hang", "crash")


def classify(read: Callable[[], np.ndarray], expected: np.ndarray, gaps: bool = False) -> tuple[str, str]:
    """Outcome of one read (in the child): compare what ``read()`` returns with the ``expected`` frames.

    With ``gaps=True`` an in-order subset of the recorded frames, with a warning, is ``"skipped"``
    (for formats that document skipping torn frames).
    """
    from spikevision.errors import SpikevisionError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = np.asarray(read())
        except SpikevisionError as e:
            return "error", f"{type(e).__name__}: {e}"
        except BaseException as e:  # noqa: BLE001 - the point is to see every foreign exception
            return "foreign", "".join(traceback.format_exception_only(type(e), e)).strip()
    warned = [str(w.message) for w in caught]
    n = len(got)
    if got.shape[1:] != expected.shape[1:] or n > len(expected):
        return "wrong", f"shape {got.shape} for a recording of {expected.shape}"
    if gaps and n < len(expected) and not np.array_equal(got, expected[:n]):
        return _subset(got, expected, warned)
    if not np.array_equal(got, expected[:n]):
        bad = int(np.flatnonzero((got != expected[:n]).reshape(n, -1).any(axis=1))[0])
        return "wrong", f"frame {bad} differs from the recording"
    if n == len(expected):
        return "exact", ""
    if not warned:
        return "wrong", f"{n} of {len(expected)} frames returned without a warning"
    return "prefix", warned[0]


def _subset(got: np.ndarray, expected: np.ndarray, warned: list[str]) -> tuple[str, str]:
    j = 0
    for i in range(len(got)):
        while j < len(expected) and not np.array_equal(got[i], expected[j]):
            j += 1
        if j == len(expected):
            return "wrong", f"frame {i} is not one of the recorded frames (in order)"
        j += 1
    if not warned:
        return "wrong", f"{len(got)} of {len(expected)} frames returned without a warning"
    return "skipped", warned[0]


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj)
    os.write(fd, struct.pack("<I", len(data)) + data)


def _recv(fd: int, deadline: float) -> Any:
    """One message, or None at EOF (the child died) or past the deadline (raises TimeoutError)."""
    buf = b""
    need = 4
    size = None
    while len(buf) < need:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            raise TimeoutError
        chunk = os.read(fd, need - len(buf))
        if not chunk:
            return None
        buf += chunk
        if size is None and len(buf) == 4:
            size = struct.unpack("<I", buf)[0]
            buf, need = b"", size
    return pickle.loads(buf)


def _worker(cases: Sequence[Any], first: int, check: Callable[[Any], tuple[str, str]], fd: int) -> None:
    for i in range(first, len(cases)):
        _send(fd, ("start", i))
        try:
            outcome = check(cases[i])
        except BaseException as e:  # noqa: BLE001
            outcome = ("foreign", f"check raised {type(e).__name__}: {e}")
        _send(fd, ("done", i, outcome))


def run_cases(cases: Sequence[Any], check: Callable[[Any], tuple[str, str]],
              timeout: float = 10.0) -> list[tuple[str, str]]:
    """Outcome ``(kind, detail)`` of ``check(case)`` for every case, each run in a forked child."""
    results: list[tuple[str, str] | None] = [None] * len(cases)
    nxt = 0
    while nxt < len(cases):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            code = 0
            try:
                _worker(cases, nxt, check, w)
            except BaseException:  # noqa: BLE001
                code = 1
            finally:
                os._exit(code)
        os.close(w)
        current = None
        try:
            while True:
                msg = _recv(r, time.monotonic() + timeout)
                if msg is None:  # the child died
                    if current is not None:
                        results[current] = ("crash", "child died while reading")
                        nxt = current + 1
                    break
                if msg[0] == "start":
                    current = msg[1]
                else:
                    results[msg[1]] = msg[2]
                    current = None
                    nxt = msg[1] + 1
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)
            if current is not None:
                results[current] = ("hang", f"no answer within {timeout} s")
                nxt = current + 1
        finally:
            os.close(r)
            _, status = os.waitpid(pid, 0)
        if current is not None and results[current] is None:  # died between messages
            results[current] = ("crash", f"child exit status {status}")
            nxt = current + 1
    return [r if r is not None else ("crash", "no result") for r in results]


def tally(results: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Count of each outcome kind."""
    return dict(collections.Counter(kind for kind, _ in results))


def failures(cases: Sequence[Any], results: Sequence[tuple[str, str]], limit: int = 10) -> str:
    """The first failing cases, one line each, for an assertion message."""
    lines = [f"{c!r}: {k}: {d}" for c, (k, d) in zip(cases, results) if k in BAD]
    return "\n".join(lines[:limit]) + (f"\n... {len(lines) - limit} more" if len(lines) > limit else "")


def mutations(data: bytes, rng: np.random.Generator, n: int, region: tuple[int, int] | None = None) -> list[bytes]:
    """``n`` damaged copies of ``data``: truncations, byte flips, zeroed 8-byte windows, random bytes.

    ``region`` = (start, stop) restricts flips, zeroed windows and random bytes to that byte range
    (for example a file's metadata); truncations are anywhere.
    """
    lo, hi = region if region is not None else (0, len(data))
    hi = min(hi, len(data))
    out = []
    for _ in range(n):
        kind = int(rng.integers(4))
        b = bytearray(data)
        if kind == 0 or hi <= lo:
            out.append(bytes(b[: int(rng.integers(0, len(data)))]))
            continue
        pos = int(rng.integers(lo, hi))
        if kind == 1:
            b[pos] ^= 1 << int(rng.integers(8))
        elif kind == 2:
            b[pos: pos + 8] = bytes(len(b[pos: pos + 8]))
        else:
            k = int(rng.integers(1, 17))
            b[pos: pos + k] = rng.integers(0, 256, len(b[pos: pos + k]), dtype=np.uint8).tobytes()
        out.append(bytes(b))
    return out


def mutation_specs(size: int, rng: np.random.Generator, n: int,
                   regions: Sequence[tuple[int, int]] | None = None) -> list[tuple]:
    """``n`` damages of a ``size``-byte file, as small picklable tuples for :func:`mutate`.

    Like :func:`mutations` without holding ``n`` copies: ``("truncate", k)``, ``("flip", pos, bit)``,
    ``("zero", pos)`` (8 bytes), ``("random", pos, bytes)`` (1..16 bytes). ``regions`` is a list of
    (start, stop) byte ranges (metadata) that hold every flip, zeroed window and random write
    (the start is drawn with probability proportional to each range's length); truncations are anywhere.
    """
    spans = [(max(0, a), min(b, size)) for a, b in (regions if regions is not None else [(0, size)])]
    spans = [(a, b) for a, b in spans if b > a]
    weights = np.array([b - a for a, b in spans], dtype=float)
    out: list[tuple] = []
    for _ in range(n):
        kind = int(rng.integers(4))
        if kind == 0 or not spans:
            out.append(("truncate", int(rng.integers(0, max(1, size)))))
            continue
        a, b = spans[int(rng.choice(len(spans), p=weights / weights.sum()))]
        pos = int(rng.integers(a, b))
        if kind == 1:
            out.append(("flip", pos, int(rng.integers(8))))
        elif kind == 2:
            out.append(("zero", pos))
        else:
            out.append(("random", pos, rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()))
    return out


def mutate(data: bytes, spec: tuple) -> bytes:
    """``data`` damaged as ``spec`` (from :func:`mutation_specs`) says."""
    kind = spec[0]
    if kind == "truncate":
        return data[: spec[1]]
    b = bytearray(data)
    pos = spec[1]
    if kind == "flip":
        b[pos] ^= 1 << spec[2]
    elif kind == "zero":
        b[pos: pos + 8] = bytes(len(b[pos: pos + 8]))
    elif kind == "random":
        b[pos: pos + len(spec[2])] = spec[2][: len(b[pos: pos + len(spec[2])])]
    else:
        raise ValueError(f"unknown mutation {spec!r}")
    return bytes(b)
