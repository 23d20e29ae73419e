"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_time"]


def best_time(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall-clock seconds of ``repeat`` calls of ``fn`` (results are dropped at once)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best
