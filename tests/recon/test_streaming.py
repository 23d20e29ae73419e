import numpy as np
import pytest

import spikevision as sv
from spikevision import _bits
from spikevision.recon import (
    StreamingAdaptive,
    StreamingTFI,
    StreamingTFP,
    adaptive,
    iter_reconstruct,
    reconstruct_sequence,
    streaming_reconstructor,
    tfi,
    tfp,
)

from ._spikes import integrate_and_fire, random_spikes


def run(rec, spikes, block):
    packed = _bits.pack_frames(spikes)
    out = []
    for a in range(0, len(packed), block):
        out.extend(rec.push_packed(packed[a : a + block]))
    return out


def check(rec, spikes, offline, block, **kw):
    out = run(rec, spikes, block)
    t_len = spikes.shape[0]
    expect = [t for t in range(rec.start, t_len, rec.emit_every) if t + rec.lookahead < t_len]
    assert [t for t, _ in out] == expect
    out += rec.flush()                     # the last frames, windows clipped at the end
    assert [t for t, _ in out] == list(range(rec.start, t_len, rec.emit_every))
    assert rec.frames_seen == 0
    for t, img in out:
        assert img.dtype == np.float32 and img.shape == spikes.shape[1:]
        np.testing.assert_array_equal(img, offline(spikes, t, **kw), err_msg=f"frame {t}")


@pytest.mark.parametrize("shape", [(6, 16), (5, 7), (3, 2000)])
@pytest.mark.parametrize("window,every,start,block", [(41, 40, 0, 100), (41, 1, 3, 7), (7, 3, 0, 1),
                                                      (64, 5, 2, 33), (1, 1, 0, 13), (2, 17, 9, 250)])
def test_tfp_equals_offline(shape, window, every, start, block):
    s = random_spikes(20, 150, *shape)
    rec = StreamingTFP(*shape, window=window, emit_every=every, start=start, rate=0.8)
    assert rec.running == (2 * every < window)
    check(rec, s, tfp, block, window=window, rate=0.8)


@pytest.mark.parametrize("shape", [(6, 16), (5, 7)])
@pytest.mark.parametrize("window,every,start,block", [(41, 40, 0, 100), (41, 1, 3, 7), (3, 2, 0, 1),
                                                      (100, 9, 1, 64)])
def test_tfi_equals_offline(shape, window, every, start, block):
    s = random_spikes(21, 160, *shape, p=0.15)
    check(StreamingTFI(*shape, window=window, emit_every=every, start=start, rate=0.5), s, tfi, block,
          window=window, rate=0.5)


@pytest.mark.parametrize("shape", [(6, 16), (5, 7)])
@pytest.mark.parametrize("kw,every,start,block", [({}, 40, 0, 100), (dict(span=10, intervals=3), 1, 3, 7),
                                                  (dict(span=30, tol_rel=0.2, center=False), 7, 2, 50)])
def test_adaptive_equals_offline(shape, kw, every, start, block):
    s = random_spikes(22, 130, *shape, p=0.3)
    check(StreamingAdaptive(*shape, emit_every=every, start=start, rate=0.7, **kw), s, adaptive, block,
          rate=0.7, **kw)


def test_if_scene_and_reset():
    s = integrate_and_fire(np.full((8, 8), 0.3), 300)
    rec = StreamingTFP(8, 8, window=40, emit_every=50)
    first = run(rec, s, 64)
    rec.reset()
    assert rec.frames_seen == 0 and rec.next_frame == 0
    again = run(rec, s, 300)
    assert [t for t, _ in first] == [t for t, _ in again]
    for (_, a), (_, b) in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(first[2][1], 0.3, atol=1 / 40)


def test_iter_packed_reuses_buffer_and_push_copies():
    s = random_spikes(23, 100, 4, 8)
    rec = StreamingTFI(4, 8, window=5, emit_every=1)
    ids = {id(img.base) if img.base is not None else id(img) for _, img in rec.iter_packed(_bits.pack_frames(s))}
    assert len(ids) == 1                       # views of one stack
    rec.reset()
    out = rec.push(s)
    assert len({id(img) for _, img in out}) == len(out)


def test_bad_input():
    rec = StreamingTFP(4, 8)
    with pytest.raises(ValueError, match="packed"):
        rec.push_packed(np.zeros((2, 5), np.uint8))
    with pytest.raises(ValueError, match="height"):
        rec.push(np.zeros((2, 5, 8), np.uint8))
    with pytest.raises(ValueError, match="emit_every"):
        StreamingTFP(4, 8, emit_every=0)
    with pytest.raises(ValueError, match="method"):
        streaming_reconstructor("nope", 4, 8)


@pytest.mark.parametrize("method,kw", [("tfp", {}), ("tfi", dict(window=9)), ("best", {}), ("tfp", dict(window=3))])
def test_sequence_engines_agree(method, kw):
    s = random_spikes(24, 120, 5, 9)
    idx = [t for t, _ in iter_reconstruct(s, method, step=3, start=2, stop=110, **kw)]
    assert idx == list(range(2, 110, 3))
    fast = reconstruct_sequence(s, method, step=3, start=2, stop=110, **kw)
    ref = reconstruct_sequence(s, method, step=3, start=2, stop=110, engine="reference", **kw)
    assert fast.shape == (len(idx), 5, 9)
    np.testing.assert_array_equal(fast, ref)
    from_stream = reconstruct_sequence(sv.from_array(s), method, step=3, start=2, stop=110, **kw)
    np.testing.assert_array_equal(from_stream, ref)


def test_sequence_other_conventions_and_tfstp():
    s = random_spikes(25, 90, 4, 4)
    imgs = reconstruct_sequence(s, "tfp", step=10, start=20, stop=70, convention="spikecv")
    assert imgs.shape == (5, 4, 4)
    np.testing.assert_array_equal(imgs[1], tfp(s, 30, convention="spikecv"))
    imgs = reconstruct_sequence(s, "tfstp", step=20)
    from spikevision.recon import tfstp

    np.testing.assert_array_equal(imgs[2], tfstp(s, 40))
    with pytest.raises(ValueError, match="engine"):
        list(iter_reconstruct(s, "tfp", engine="numba", convention="spikecv"))
    with pytest.raises(ValueError, match="start"):
        reconstruct_sequence(s, "tfp", start=50, stop=10)


@pytest.mark.parametrize("method", ["tfp", "tfi", "best"])
def test_sequence_mid_stream_start(method):
    s = random_spikes(26, 300, 6, 10)
    a = reconstruct_sequence(sv.from_array(s), method, step=7, start=150, stop=290)
    b = reconstruct_sequence(s, method, step=7, start=150, stop=290, engine="reference")
    assert a.shape == (len(range(150, 290, 7)), 6, 10)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ["tfp", "tfi", "best"])
def test_sequence_to_the_end(method):
    s = random_spikes(27, 120, 5, 11)
    a = reconstruct_sequence(s, method, step=3)
    b = reconstruct_sequence(s, method, step=3, engine="reference")
    assert a.shape == (40, 5, 11)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method,kw", [("tfp", {}), ("tfi", dict(window=13)), ("best", {}), ("best", dict(span=5))])
@pytest.mark.parametrize("at", [0, 1, 40, 78, 79])
def test_reconstruct_engines_agree(method, kw, at):
    from spikevision.recon import reconstruct

    s = random_spikes(28, 80, 7, 9)
    np.testing.assert_array_equal(reconstruct(s, method, at=at, **kw),
                                  reconstruct(s, method, at=at, engine="reference", **kw))
    np.testing.assert_array_equal(reconstruct(sv.from_array(s), method, at=at, engine="numba", **kw),
                                  reconstruct(s, method, at=at, engine="reference", **kw))
    with pytest.raises(ValueError, match="engine"):
        reconstruct(s, "tfi", at=at, engine="numba", convention="spikecv")
    with pytest.raises(ValueError, match="engine"):
        reconstruct(s, "tfp", at=at, engine="cuda")
    np.testing.assert_array_equal(reconstruct(s, "tfstp", at=at, engine="numba"),
                                  reconstruct(s, "tfstp", at=at, engine="reference"))
