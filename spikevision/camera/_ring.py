"""A bounded ring buffer between a camera's producer thread and its consumer.

Capacity is counted in blocks, so memory is bounded by ``capacity`` blocks
however slow the consumer is. When the ring is full, the policy decides:

- ``"block"``: the producer waits for room (lossless here; a live device then
  overflows its own FIFO, which the framer detects and counts);
- ``"drop_oldest"``: the oldest queued block is discarded (the consumer sees
  the freshest data, like a viewer);
- ``"drop_newest"``: the incoming block is discarded (the consumer sees an
  unbroken prefix, then a gap).

Every discarded block and frame is counted exactly.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["RingBuffer", "RingStats", "POLICIES", "RingClosed"]

POLICIES = ("block", "drop_oldest", "drop_newest")


class RingClosed(Exception):
    """Raised by :meth:`RingBuffer.get` when the producer closed the ring and it is empty."""


@dataclass(frozen=True)
class RingStats:
    """Counters of a :class:`RingBuffer` (blocks and the frames they held)."""

    capacity: int
    fill: int
    high_water: int
    put_blocks: int
    put_frames: int
    got_blocks: int
    got_frames: int
    dropped_blocks: int
    dropped_frames: int
    blocked_seconds: float


class RingBuffer:
    """Bounded FIFO of items with a sizing in frames, a full-ring policy and exact counters.

    Args:
        capacity: maximum number of queued items (>= 1).
        policy: ``"block"``, ``"drop_oldest"`` or ``"drop_newest"``.
    """

    def __init__(self, capacity: int = 64, policy: str = "block"):
        if int(capacity) < 1:
            raise ValueError(f"ring capacity must be >= 1 block, got {capacity}")
        if policy not in POLICIES:
            raise ValueError(f"unknown ring policy {policy!r}; choose one of {', '.join(POLICIES)}")
        self.capacity = int(capacity)
        self.policy = policy
        self._q: collections.deque[tuple[Any, int]] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._aborted = False
        self._high = 0
        self._put = [0, 0]
        self._got = [0, 0]
        self._dropped = [0, 0]
        self._blocked = 0.0

    def put(self, item: Any, n_frames: int = 1, timeout: float | None = None) -> bool:
        """Queue ``item`` (holding ``n_frames`` frames); return False if it was dropped.

        With the ``"block"`` policy this waits for room (up to ``timeout`` seconds,
        then the item is dropped and counted) or until :meth:`abort`.
        """
        with self._cond:
            if self._closed or self._aborted:
                raise RingClosed("cannot put into a closed ring")
            self._put[0] += 1
            self._put[1] += n_frames
            if len(self._q) >= self.capacity:
                if self.policy == "drop_newest":
                    self._drop(n_frames)
                    return False
                if self.policy == "drop_oldest":
                    _, old_n = self._q.popleft()
                    self._drop(old_n)
                else:
                    t0 = time.monotonic()
                    deadline = None if timeout is None else t0 + timeout
                    while len(self._q) >= self.capacity and not self._aborted:
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            break
                        self._cond.wait(left)
                    self._blocked += time.monotonic() - t0
                    if self._aborted or len(self._q) >= self.capacity:
                        self._drop(n_frames)
                        return False
            self._q.append((item, n_frames))
            self._high = max(self._high, len(self._q))
            self._cond.notify_all()
            return True

    def _drop(self, n_frames: int) -> None:
        self._dropped[0] += 1
        self._dropped[1] += n_frames

    def get(self, timeout: float | None = None) -> Any:
        """Oldest item; raises ``TimeoutError`` after ``timeout`` s, :class:`RingClosed` at the end."""
        with self._cond:
            deadline = None if timeout is None else time.monotonic() + timeout
            while not self._q:
                if self._closed or self._aborted:
                    raise RingClosed("the producer finished and the ring is empty")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"no block within {timeout:g} s")
                self._cond.wait(left)
            item, n = self._q.popleft()
            self._got[0] += 1
            self._got[1] += n
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """The producer is done: consumers drain what is queued, then get :class:`RingClosed`."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def abort(self) -> None:
        """Wake everyone now: a blocked producer stops waiting (its item is dropped and counted)."""
        with self._cond:
            self._aborted = True
            self._cond.notify_all()

    def clear(self) -> int:
        """Discard every queued item (counted as dropped); return how many."""
        with self._cond:
            n = len(self._q)
            for _, f in self._q:
                self._drop(f)
            self._q.clear()
            self._cond.notify_all()
            return n

    def __len__(self) -> int:
        with self._cond:
            return len(self._q)

    def stats(self) -> RingStats:
        """A consistent snapshot of the counters."""
        with self._cond:
            return RingStats(self.capacity, len(self._q), self._high, self._put[0], self._put[1], self._got[0],
                             self._got[1], self._dropped[0], self._dropped[1], self._blocked)
