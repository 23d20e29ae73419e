"""The playback clock: lattice positions, skipping when late, ends, loops, reverse."""

from __future__ import annotations

import pytest

from spikevision.viewer.clock import PlaybackClock


def test_lattice_positions_follow_wall_time():
    c = PlaybackClock(10_000, spike_rate=20_000.0, display_rate=60.0)  # real time at 60 fps
    assert c.step == 333
    c.restart(100, now=10.0)
    assert c.tick(10.0).index == 100
    t = c.tick(10.0 + 1 / 60 + 1e-9, ahead=3)
    assert t.index == 433 and t.ahead == (766, 1099, 1432)
    # a late tick skips frames on the same lattice: never slows down, never leaves the lattice
    late = c.tick(10.0 + 0.25, ahead=1)
    assert (late.index - 100) % 333 == 0 and late.index == 100 + 333 * int(0.25 * 20_000 / 333)


def test_slow_motion_advances_one_frame_at_a_time():
    c = PlaybackClock(100, spike_rate=10.0, display_rate=60.0)
    assert c.step == 1
    c.restart(5, now=0.0)
    assert [c.tick(t).index for t in (0.0, 0.05, 0.1, 0.35, 1.0)] == [5, 5, 6, 8, 15]


def test_end_stops_and_reverse_start_stops():
    c = PlaybackClock(50, spike_rate=1000.0, display_rate=100.0)
    c.restart(45, now=0.0)
    t = c.tick(1.0, ahead=3)
    assert t.ended and t.index == 49 and t.ahead == ()
    c.reverse = True
    c.restart(3, now=0.0)
    t = c.tick(1.0)
    assert t.ended and t.index == 0


def test_loop_wraps_both_ways():
    c = PlaybackClock(50, spike_rate=1000.0, display_rate=100.0)
    c.loop = True
    c.restart(45, now=0.0)
    t = c.tick(0.01, ahead=2)  # one step of 10
    assert t.index == 5 and t.wrapped and not t.ended
    assert c.tick(0.01, ahead=2).ahead == (15, 25)  # the lattice restarts at the wrapped frame
    c.reverse = True
    c.restart(3, now=0.0)
    t = c.tick(0.01, ahead=1)
    assert t.index == 43 and t.wrapped


def test_prefetch_crosses_the_loop_point():
    c = PlaybackClock(50, spike_rate=1000.0, display_rate=100.0)
    c.loop = True
    c.restart(30, now=0.0)
    assert c.tick(0.0, ahead=3).ahead == (40, 0, 10)
    c.loop = False
    assert c.tick(0.0, ahead=3).ahead == (40,)


def test_needs_frames():
    with pytest.raises(ValueError, match="at least one frame"):
        PlaybackClock(0)
