"""Property test: any split of the input into blocks gives the offline images, for every streaming method."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from spikevision import _bits
from spikevision.recon import StreamingAdaptive, StreamingTFI, StreamingTFP, adaptive, tfi, tfp


@st.composite
def cases(draw):
    t = draw(st.integers(1, 90))
    h = draw(st.integers(1, 5))
    w = draw(st.integers(1, 70))
    p = draw(st.one_of(st.floats(0.0, 1.0), st.floats(0.0, 0.05)))   # low light: windows reach far
    seed = draw(st.integers(0, 2**16))
    spikes = (np.random.default_rng(seed).random((t, h, w)) < p).astype(np.uint8)
    cuts = sorted(draw(st.lists(st.integers(0, t), max_size=5)))
    every = draw(st.integers(1, 12))
    start = draw(st.integers(0, 10))
    method = draw(st.sampled_from(["tfp", "tfi", "adaptive"]))
    if method == "adaptive":
        kw = dict(span=draw(st.integers(1, 300)), intervals=draw(st.integers(1, 10)),
                  noise_z=draw(st.sampled_from([0.0, 3.0, 10.0])))
    else:
        kw = dict(window=draw(st.integers(1, 60)))
    return spikes, cuts, every, start, method, kw


@settings(max_examples=60, deadline=None)
@given(cases())
def test_any_block_split_matches_offline(case):
    spikes, cuts, every, start, method, kw = case
    t_len, h, w = spikes.shape
    cls, fn = {"tfp": (StreamingTFP, tfp), "tfi": (StreamingTFI, tfi),
               "adaptive": (StreamingAdaptive, adaptive)}[method]
    rec = cls(h, w, emit_every=every, start=start, **kw)
    packed = _bits.pack_frames(spikes)
    out = []
    for a, b in zip([0, *cuts], [*cuts, t_len], strict=True):
        out += rec.push_packed(packed[a:b])
    out += rec.flush()
    assert [t for t, _ in out] == list(range(start, t_len, every))
    for t, img in out:
        np.testing.assert_array_equal(img, fn(spikes, t, **kw))
