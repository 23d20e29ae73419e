"""StreamingStereo equals the offline functions on the same frames."""

import numpy as np
import pytest

import spikevision.stereo as st
from spikevision import _bits

from ._pairs import random_pair, shifted_texture_pair


@pytest.mark.parametrize("block,every,start", [(7, 5, 0), (64, 13, 20), (1, 9, 3)])
def test_spike_streaming_equals_offline(block, every, start):
    left, right = random_pair(t=90, h=12, w=24)
    s = st.StreamingStereo(12, 24, emit_every=every, max_disparity=6, start=start, return_confidence=True,
                           window=40)
    pl, pr = _bits.pack_frames(left), _bits.pack_frames(right)
    got = []
    for a in range(0, 90, block):
        got += s.push_packed(pl[a:a + block], pr[a:a + block])
    assert [g[0] for g in got] == list(range(start, 90, every))
    for t, d, c in got:
        d2, c2 = st.disparity(left, right, t, max_disparity=6, return_confidence=True, window=40)
        np.testing.assert_array_equal(d, d2)
        np.testing.assert_array_equal(c, c2)
    assert s.flush() == [] and s.frames_seen == 0


def test_sgbm_streaming_equals_offline():
    left, right = shifted_texture_pair(3, h=24, w=48, frames=140)
    s = st.StreamingStereo(24, 48, emit_every=30, max_disparity=8, method="sgbm", recon="tfp", window=41)
    got = []
    for lb, rb in zip(left.iter_packed(50), right.iter_packed(50)):
        got += s.push_packed(lb, rb)
    got += s.flush()
    assert [t for t, _ in got] == [0, 30, 60, 90, 120]
    for t, d in got:
        np.testing.assert_array_equal(d, st.disparity(left, right, t, method="sgbm", max_disparity=8, recon="tfp",
                                                      window=41))


def test_streaming_bad_input():
    s = st.StreamingStereo(8, 16, emit_every=4, max_disparity=4)
    with pytest.raises(st.StereoInputError, match="same number of frames"):
        s.push_packed(np.zeros((3, 16), np.uint8), np.zeros((2, 16), np.uint8))
    with pytest.raises(st.StereoInputError, match="packed frames"):
        s.push_packed(np.zeros((3, 15), np.uint8), np.zeros((3, 15), np.uint8))
    with pytest.raises(st.StereoInputError, match="emit_every"):
        st.StreamingStereo(8, 16, emit_every=0)
    with pytest.raises(st.StereoInputError, match="width"):
        st.StreamingStereo(8, 16, max_disparity=16)
    assert len(s.push(np.zeros((8, 8, 16), np.uint8), np.zeros((8, 8, 16), np.uint8))) == 2
