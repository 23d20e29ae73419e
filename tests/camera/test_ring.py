"""Bounded ring buffer: policies, exact counters, bounded size, blocking and wake-up."""

from __future__ import annotations

import threading
import time

import pytest

from spikevision.camera import RingBuffer
from spikevision.camera._ring import RingClosed


@pytest.mark.timeout(10)
@pytest.mark.parametrize("policy", ["drop_oldest", "drop_newest"])
def test_drop_policies_keep_the_right_items_and_count_exactly(policy):
    ring = RingBuffer(4, policy)
    for i in range(10):
        ring.put(i, n_frames=i + 1)
    s = ring.stats()
    assert s.fill == 4 and s.high_water == 4
    assert s.dropped_blocks == 6
    kept = [ring.get(0.1) for _ in range(4)]
    if policy == "drop_oldest":
        assert kept == [6, 7, 8, 9]
        assert s.dropped_frames == sum(range(1, 7))
    else:
        assert kept == [0, 1, 2, 3]
        assert s.dropped_frames == sum(range(5, 11))
    s = ring.stats()
    assert s.put_blocks == 10 and s.got_blocks == 4
    assert s.fill == 0 and s.put_frames == s.got_frames + s.dropped_frames


@pytest.mark.timeout(10)
def test_block_policy_waits_for_room_and_abort_wakes_it(no_thread_leak):
    ring = RingBuffer(2, "block")
    ring.put("a")
    ring.put("b")
    result = {}

    def producer():
        result["ok"] = ring.put("c", timeout=5)

    t = threading.Thread(target=producer)
    t.start()
    time.sleep(0.05)
    assert t.is_alive()  # waiting for room
    assert ring.get(1) == "a"
    t.join(5)
    assert result["ok"] is True
    assert [ring.get(1), ring.get(1)] == ["b", "c"]
    ring.put("d")
    ring.put("e")
    t = threading.Thread(target=producer)
    t.start()
    time.sleep(0.05)
    ring.abort()
    t.join(5)
    assert result["ok"] is False
    assert ring.stats().dropped_blocks == 1


@pytest.mark.timeout(10)
def test_block_policy_timeout_drops_and_counts():
    ring = RingBuffer(1, "block")
    ring.put(1, 3)
    assert ring.put(2, 5, timeout=0.01) is False
    s = ring.stats()
    assert (s.dropped_blocks, s.dropped_frames, s.fill) == (1, 5, 1)


@pytest.mark.timeout(10)
def test_get_timeout_close_and_drain():
    ring = RingBuffer(3)
    with pytest.raises(TimeoutError):
        ring.get(0.01)
    ring.put("x")
    ring.close()
    assert ring.get(0.1) == "x"
    with pytest.raises(RingClosed):
        ring.get(0.1)
    with pytest.raises(RingClosed):
        ring.put("y")


@pytest.mark.timeout(20)
def test_slow_consumer_never_grows_the_ring(no_thread_leak):
    ring = RingBuffer(5, "drop_oldest")
    n_items = 2000

    def producer():
        for i in range(n_items):
            ring.put(i, 2)
        ring.close()

    t = threading.Thread(target=producer)
    t.start()
    got = []
    while True:
        try:
            got.append(ring.get(5))
        except RingClosed:
            break
        time.sleep(0.0005)
        assert len(ring) <= 5
    t.join()
    s = ring.stats()
    assert s.high_water <= 5
    assert s.got_blocks == len(got) and s.dropped_blocks == n_items - len(got)
    assert s.dropped_frames == 2 * (n_items - len(got))
    assert got == sorted(got) and got[-1] == n_items - 1


def test_bad_arguments():
    with pytest.raises(ValueError, match="capacity"):
        RingBuffer(0)
    with pytest.raises(ValueError, match="drop_oldest"):
        RingBuffer(2, "lossy")
