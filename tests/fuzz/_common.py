"""Shared pieces of the fuzz modules: damaged-copy checks, sample sizes, the pytest assertion.

Contract of a fuzz module ``tests/fuzz/test_<format>.py``: ``FUZZ = {"<target>": make_cases}`` where
``make_cases(rng, n, workdir) -> (cases, check)``; ``cases`` are small picklable values (a damage
spec, a file name) and ``check(case) -> (outcome, detail)`` runs in a forked child (see
:mod:`tests.fuzz._harness`). ``python -m tests.fuzz`` runs every target at scale.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._harness import BAD, classify, failures, mutate, run_cases, tally

MakeCases = Callable[[np.random.Generator, int, pathlib.Path], tuple[list, Callable[[Any], tuple[str, str]]]]

#: frames meaning "no read may succeed": any returned frame is "wrong"
MUST_FAIL = np.zeros((0, 1, 1), dtype=np.uint8)


def sample_size(default: int) -> int:
    """Cases per target in the pytest sample: ``SPIKEVISION_FUZZ_CASES`` or ``default``."""
    return int(os.environ.get("SPIKEVISION_FUZZ_CASES", default))


def damage_check(base: bytes, workdir: pathlib.Path, name: str, read: Callable[[pathlib.Path], np.ndarray],
                 expected: np.ndarray | Callable[[tuple, bytes], np.ndarray], gaps: bool = False,
                 prepare: Callable[[pathlib.Path, tuple, bytes], pathlib.Path] | None = None,
                 apply: Callable[[bytes, tuple], bytes] = mutate) -> Callable[[tuple], tuple[str, str]]:
    """A check that writes ``base`` damaged by the case's spec to ``workdir/name`` and classifies ``read(path)``.

    ``expected`` is the recorded frames, or a function of (spec, damaged bytes) giving the frames the
    damaged file must decode to (formats without a checksum over pixel data). ``prepare`` replaces
    the plain write (for example to damage a sidecar instead of the data file); ``apply`` damages the
    bytes (default: :func:`~tests.fuzz._harness.mutate`, for specs from ``mutation_specs``).
    """

    def check(spec: tuple) -> tuple[str, str]:
        damaged = apply(base, spec)
        path = workdir / f"{os.getpid()}-{name}"
        if prepare is not None:
            path = prepare(path, spec, damaged)
        else:
            path.write_bytes(damaged)
        want = expected(spec, damaged) if callable(expected) else expected
        return classify(lambda: read(path), want, gaps=gaps)

    return check


def hostile_check(table: dict[str, tuple[bytes | str, np.ndarray]], workdir: pathlib.Path, suffix: str,
                  read: Callable[[pathlib.Path], np.ndarray], gaps: bool = False
                  ) -> tuple[list[str], Callable[[str], tuple[str, str]]]:
    """Write each hand-made hostile file of ``table`` (name -> (bytes, or "dir" / "fifo"), expected frames) to
    ``workdir/NAME.SUFFIX``; return the case names and a check that classifies ``read`` of one."""
    for name, (content, _) in table.items():
        path = workdir / f"{name}{suffix}"
        if content == "dir":
            path.mkdir()
        elif content == "fifo":
            os.mkfifo(path)
        else:
            path.write_bytes(content)

    def check(name: str) -> tuple[str, str]:
        return classify(lambda: read(workdir / f"{name}{suffix}"), table[name][1], gaps=gaps)

    return sorted(table), check


def run_target(fuzz: dict[str, MakeCases], target: str, n: int, workdir: pathlib.Path,
               seed: int = 0) -> tuple[list, list[tuple[str, str]]]:
    """Make ``n`` cases of ``target`` and run them in forked children."""
    rng = np.random.default_rng([seed, *target.encode()])
    cases, check = fuzz[target](rng, n, workdir)
    return cases, run_cases(cases, check)


def assert_no_bad(target: str, cases: Sequence[Any], results: Sequence[tuple[str, str]]) -> None:
    """Fail with the first failures and the tally when any outcome is BAD."""
    counts = tally(results)
    if any(k in BAD for k in counts):
        raise AssertionError(f"{target}: {counts}\n{failures(cases, results)}")
