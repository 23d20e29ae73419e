"""StreamingDerain equals the offline function on the same frames; remove_rain gives rain-free spikes."""

import numpy as np
import pytest

from spikevision import _bits
from spikevision.derain import StreamingDerain, derain, rain_mask, remove_rain
from spikevision.io import h5, open_stream
from spikevision.metrics import psnr
from spikevision.recon import tfp
from spikevision.stream import SpikeStream, from_array

from ._scenes import drop_spikes, rain_case, truth


@pytest.mark.parametrize("method,block,step,start", [("temporal", 40, 40, 0), ("temporal", 20, 40, 130),
                                                     ("rpca", 40, 80, 40), ("motion", 20, 40, 0),
                                                     ("temporal", 20, 400, 300)])  # last: the ring grows
def test_streaming_equals_offline(method, block, step, start):
    s, _ = drop_spikes(t=520)
    sd = StreamingDerain(12, 16, method=method, emit_every=step, start=start, block=block)
    packed = _bits.pack_frames(s)
    got, masks = [], []
    for a in range(0, len(s), 77):  # blocks of any size
        for t, img in sd.iter_packed(packed[a: a + 77]):
            got.append((t, img))
            masks.append(sd.mask)
    for t, img in sd.iter_flush():
        got.append((t, img))
        masks.append(sd.mask)
    assert [t for t, _ in got] == list(range(start, 520, step))
    for (t, img), m in zip(got, masks):
        np.testing.assert_array_equal(img, derain(s, t, method=method, block=block))
        np.testing.assert_array_equal(m, rain_mask(s, t, method=method, block=block))


def test_streaming_checks():
    with pytest.raises(ValueError, match="multiple of block"):
        StreamingDerain(8, 8, method="temporal", emit_every=30)
    sd = StreamingDerain(8, 8, method="temporal")
    with pytest.raises(ValueError, match="packed frames"):
        sd.push_packed(np.zeros((3, 5), np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        sd.push(np.zeros((3, 4, 4), np.uint8))


def test_remove_rain_replaces_only_rain():
    s, where = drop_spikes()
    clean = remove_rain(s)
    assert isinstance(clean, SpikeStream) and clean.shape == s.shape
    out = clean.unpack()
    np.testing.assert_array_equal(out[:, ~where], s[:, ~where])          # rain-free pixels: bit for bit
    np.testing.assert_array_equal(out[:200], s[:200])                     # blocks without rain: untouched
    assert out[200:240][:, where].sum(axis=0).tolist() == [10] * where.sum()   # rate 0.25 in the drop's block
    assert clean.meta.provenance["derain"]["method"] == "temporal"
    np.testing.assert_array_equal(clean[37:251].unpack(), out[37:251])    # random access = sequential


def test_remove_rain_improves_reconstruction(tmp_path):
    s, sc = rain_case("bright")
    clean = remove_rain(from_array(s))
    path = tmp_path / "rainfree.h5"
    h5.write(path, clean)                                                 # a real file, read back
    back = open_stream(path)
    rainy = np.mean([psnr(tfp(s, a, 41), truth(sc, a)) for a in (300, 400, 500)])
    free = np.mean([psnr(tfp(back, a, 41), truth(sc, a)) for a in (300, 400, 500)])
    assert free >= rainy + 2.0, (free, rainy)
