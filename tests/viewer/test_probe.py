"""Pixel readout against brute force over unpacked frames."""

from __future__ import annotations

import numpy as np
import pytest

import spikevision as sv
from spikevision.viewer.probe import pixel_train, pixel_train_packed, readout


def test_pixel_train_equals_unpacked_column(rng):
    s = (rng.random((50, 7, 13)) < 0.3).astype(np.uint8)  # 91 pixels: not a multiple of 8
    stream = sv.from_array(s)
    for r, c in ((0, 0), (3, 7), (6, 12)):
        np.testing.assert_array_equal(pixel_train(stream, r, c, 5, 40), s[5:40, r, c])
        np.testing.assert_array_equal(pixel_train_packed(stream.packed(), 13, r, c), s[:, r, c])
    assert pixel_train(stream, 0, 0, 60, 70).size == 0


@pytest.mark.parametrize("at,window", [(49, 10), (20, 5), (3, 255), (0, 1)])
def test_readout_matches_brute_force(rng, at, window):
    s = (rng.random((50, 4, 5)) < 0.25).astype(np.uint8)
    stream = sv.from_array(s)
    for r in range(4):
        for c in range(5):
            got = readout(stream, at, r, c, window, isi_span=12)
            train = s[: at + 1, r, c]
            times = [t for t in range(at + 1) if train[t] and t >= at + 1 - max(window, 12)]
            assert got.count == int(train[max(0, at + 1 - window):].sum())
            assert got.window == min(window, at + 1)
            assert got.last_spike == (times[-1] if times else None)
            assert got.last_isi == (times[-1] - times[-2] if len(times) >= 2 else None)


def test_readout_outside_frame_raises():
    stream = sv.from_array(np.zeros((3, 2, 2), np.uint8))
    with pytest.raises(IndexError, match="outside the 2x2 frame"):
        readout(stream, 0, 2, 0)
