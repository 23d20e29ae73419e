"""StreamingFlow gives the offline fields on the same frames, whatever the block size."""

import numpy as np
import pytest

from spikevision import _bits, flow

from ._scenes import scene_spikes


@pytest.mark.parametrize("method,kw", [("dis", {}), ("best", {}), ("farneback", {}), ("spike", {"span": 30})])
@pytest.mark.parametrize("block", [7, 64, 1000])
def test_streaming_equals_offline(method, kw, block):
    s, _ = scene_spikes("translate")
    s = s[:200]
    sf = flow.StreamingFlow(48, 64, 20, emit_every=40, method=method, start=5, **kw)
    packed = _bits.pack_frames(s)
    got = []
    for a in range(0, len(packed), block):
        got.extend(sf.iter_packed(packed[a : a + block]))
    n_live = len(got)
    got.extend(sf.flush())
    ts = [t for t, _ in got]
    assert ts == list(range(5, 200 - 20, 40))
    assert n_live < len(ts)   # the last fields wait for their lookahead until flush
    for t, f in got:
        np.testing.assert_array_equal(f, flow.estimate(s, t, 20, method=method, **kw))


def test_latency_and_reset():
    s, _ = scene_spikes("translate")
    sf = flow.StreamingFlow(48, 64, 10, emit_every=80, method="dis")
    assert (sf.lookback, sf.lookahead) == (20, 20)
    assert sf.push(s[:30]) == []   # field 0 needs frames up to 10 + 20
    out = sf.push(s[30:31])
    assert [t for t, _ in out] == [0] and sf.frames_seen == 31 and sf.next_frame == 80
    sf.reset()
    assert sf.frames_seen == 0 and sf.next_frame == 0


def test_streaming_bad_input():
    sf = flow.StreamingFlow(8, 16, 10, emit_every=10, method="dis")
    with pytest.raises(flow.FlowInputError, match="do not match"):
        sf.push(np.zeros((5, 8, 8), np.uint8))
    with pytest.raises(flow.FlowInputError, match="packed frames"):
        list(sf.iter_packed(np.zeros((5, 3), np.uint8)))
    with pytest.raises(flow.FlowInputError, match="dt must be"):
        flow.StreamingFlow(8, 16, 0)
    with pytest.raises(flow.FlowInputError, match="emit_every"):
        flow.StreamingFlow(8, 16, 10, emit_every=0)


def test_workers_do_not_change_the_fields():
    s, _ = scene_spikes("rotate_zoom")
    packed = _bits.pack_frames(s[:220])
    outs = []
    for workers in (1, 3):
        sf = flow.StreamingFlow(48, 64, 10, emit_every=15, method="spike", span=40, workers=workers)
        outs.append(sf.push_packed(packed) + sf.flush())
        sf.close()
    assert len(outs[0]) == len(outs[1]) > 8
    for (t0, f0), (t1, f1) in zip(*outs, strict=True):
        assert t0 == t1
        np.testing.assert_array_equal(f0, f1)
