"""SpikeStream: slicing, time, blocks, rates, metadata."""

import numpy as np
import pytest

import spikevision as sv
from spikevision.stream import StreamMeta
from tests.conftest import random_spikes


@pytest.fixture
def spikes(rng):
    return random_spikes(rng, 50, 6, 10)


def test_from_array_round_trip(spikes):
    s = sv.from_array(spikes, fps=40000, t0=1.5, sensor="test")
    assert s.shape == spikes.shape and len(s) == 50
    assert s.fps == 40000 and s.t0 == 1.5 and s.duration == pytest.approx(50 / 40000)
    assert (s.unpack() == spikes).all()
    assert (s.packed() == np.packbits(spikes.reshape(50, -1), axis=1, bitorder="little")).all()


@pytest.mark.parametrize("key", [slice(3, 17), slice(None, None, 3), slice(5, 40, 7), slice(-10, None),
                                 slice(45, 100), slice(30, 10)])
def test_slices_are_lazy_views(spikes, key):
    s = sv.from_array(spikes)
    sub = s[key]
    assert isinstance(sub, sv.SpikeStream)
    assert (sub.unpack() == spikes[key]).all()
    assert sub.shape == spikes[key].shape
    assert (sub.packed() == sv.from_array(spikes[key]).packed()).all()


def test_nested_slices_and_times(spikes):
    s = sv.from_array(spikes, fps=1000, t0=2.0)
    sub = s[10:40:2][3:9]
    assert (sub.unpack() == spikes[10:40:2][3:9]).all()
    assert sub.fps == 500
    assert sub.t0 == pytest.approx(2.0 + 16 / 1000)
    assert np.allclose(sub.times(), 2.0 + np.arange(16, 28, 2) / 1000)


def test_integer_index(spikes):
    s = sv.from_array(spikes)
    assert (s[0] == spikes[0]).all() and (s[-1] == spikes[-1]).all()
    with pytest.raises(IndexError):
        s[50]
    with pytest.raises(TypeError):
        s["a"]


def test_time_slice(spikes):
    s = sv.from_array(spikes, fps=1000, t0=1.0)
    sub = s.time_slice(1.010, 1.020)
    assert (sub.unpack() == spikes[10:20]).all()
    assert len(s.time_slice(1.0105, 1.0125)) == 2  # frames 11 and 12
    assert len(s.time_slice(None, 0.5)) == 0
    assert (s.time_slice(1.045).unpack() == spikes[45:]).all()


def test_iter_blocks_reuses_buffer(spikes):
    s = sv.from_array(spikes)
    blocks = []
    ids = set()
    for b in s.iter_blocks(16):
        ids.add(b.__array_interface__["data"][0])
        blocks.append(b.copy())
    assert len(ids) == 1
    assert [len(b) for b in blocks] == [16, 16, 16, 2]
    assert (np.concatenate(blocks) == spikes).all()
    assert (np.concatenate([p for p in s[::3].iter_packed(4)]) == s[::3].packed()).all()


def test_firing_rate_and_counts(spikes):
    s = sv.from_array(spikes)
    assert np.allclose(s.firing_rate(block=7), spikes.mean(0))
    assert (s[5:20:2].spike_counts() == spikes[5:20:2].sum(0)).all()


def test_unpack_into_out(spikes):
    s = sv.from_array(spikes)
    out = np.empty(spikes.shape, np.uint8)
    assert s.unpack(out=out) is out and (out == spikes).all()
    with pytest.raises(ValueError):
        s.unpack(out=np.empty((1, 6, 10), np.uint8))


def test_odd_sizes_pad_inside_the_last_byte(rng):
    spikes = random_spikes(rng, 5, 7, 9)
    s = sv.from_array(spikes)
    assert s.frame_nbytes == 8
    assert (s.unpack() == spikes).all() and (s[1:4].unpack() == spikes[1:4]).all()


def test_meta_validation_and_with_meta(spikes):
    with pytest.raises(ValueError, match="fps"):
        StreamMeta(fps=0)
    with pytest.raises(ValueError, match="cfa"):
        StreamMeta(cfa="xyzw")
    s = sv.from_array(spikes).with_meta(cfa="bggr", fps=40000)
    assert s.meta.cfa == "bggr" and s.fps == 40000 and (s.unpack() == spikes).all()


def test_to_numpy_and_missing_backends(spikes):
    from spikevision import backend

    s = sv.from_array(spikes)
    assert (s.to("numpy") == spikes).all()
    if not backend.cupy_available():
        with pytest.raises(sv.errors.BackendUnavailable, match="CuPy"):
            s.to("cupy")
    with pytest.raises(ValueError, match="unknown backend"):
        s.to("jax")


def test_from_array_rejects_bad_shapes():
    with pytest.raises(ValueError):
        sv.from_array(np.zeros((2, 3, 4, 5)))
    with pytest.raises(ValueError):
        sv.from_array(np.zeros((2, 0, 4)))


def test_source_frames_names_the_source_indices(spikes):
    s = sv.from_array(spikes)
    assert s.source_frames == range(0, 50)
    assert list(s[5:40:7][1:].source_frames) == [12, 19, 26, 33]
    assert len(s[30:10].source_frames) == 0


@pytest.mark.parametrize("values, dtype", [([0, 2], np.uint8), ([0, 3], np.int64), ([-1, 0], np.int16),
                                           ([0, 0.5], np.float32), ([0, 256], ">i2"), ([0, 1.5], np.float64)])
def test_from_array_refuses_non_binary_values(values, dtype):
    x = np.array(values, dtype=dtype).reshape(1, 1, 2)
    with pytest.raises(ValueError, match=r"threshold=.*!= 0"):
        sv.from_array(x)
    with pytest.raises(ValueError, match="threshold="):
        sv.save("never-written.h5", x)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int8, np.int32, ">i4", np.uint64, np.float32, np.float64])
def test_from_array_keeps_binary_input_of_every_dtype(spikes, dtype):
    assert (sv.from_array(spikes.astype(dtype)).unpack() == spikes).all()


def test_from_array_threshold(rng):
    counts = rng.poisson(0.7, (20, 5, 7))
    assert (sv.from_array(counts, threshold=1).unpack() == (counts >= 1)).all()
    assert (sv.from_array(counts, threshold=2).unpack() == (counts >= 2)).all()
    p = rng.random((20, 5, 7)).astype(np.float32)
    assert (sv.from_array(p, threshold=0.5).unpack() == (p >= 0.5)).all()
    assert (sv.from_array(counts != 0).unpack() == (counts != 0)).all()
    with pytest.raises(ValueError, match="threshold"):
        sv.from_array(counts, threshold="1")
