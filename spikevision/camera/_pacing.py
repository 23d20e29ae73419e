"""Pacing frames against a monotonic clock (``speed`` x real time, or as fast as possible)."""

from __future__ import annotations

import math
import threading
import time

__all__ = ["Pacer", "parse_speed"]


def parse_speed(value) -> float:
    """``"max"``/``"inf"`` -> inf; a positive number -> float (1 = real time)."""
    if isinstance(value, str) and value.strip().lower() in ("max", "inf", "fast", "0"):
        return math.inf
    v = float(value)
    if v == 0:
        return math.inf
    if not v > 0:
        raise ValueError(f"speed must be a positive number or 'max', got {value!r}")
    return v


class Pacer:
    """Releases frame ``k`` no earlier than ``t0 + k / (fps * speed)`` on ``time.monotonic()``.

    Deadlines are absolute, so sleeping late never accumulates drift.
    """

    def __init__(self, fps: float, speed: float = 1.0):
        self.rate = fps * speed
        self.t0: float | None = None

    def wait(self, k: int, stop: threading.Event) -> bool:
        """Sleep until frame ``k`` is due; return False if ``stop`` was set meanwhile."""
        if self.t0 is None:
            self.t0 = time.monotonic()
        if math.isinf(self.rate):
            return not stop.is_set()
        due = self.t0 + k / self.rate
        while True:
            left = due - time.monotonic()
            if left <= 0:
                return not stop.is_set()
            if stop.wait(min(left, 0.1)):
                return False
