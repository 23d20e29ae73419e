"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_time", "best_times"]


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall-clock seconds of ``repeat`` calls of ``fn`` (results are dropped at once)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def best_times(fns: list[Callable[[], object]], repeat: int = 3) -> list[float]:
    """Best seconds of each function, run in turn within every round, so that machine
    load drifting during the measurement affects all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best
