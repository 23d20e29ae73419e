"""Lazy spatial crops: ``stream[a:b:s, r0:r1, c0:c1]`` and ``stream.crop(top, left, height, width)``."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikevision as sv
from spikevision import _source
from tests.conftest import random_spikes

# (height, width, options of sv.open) of .dat layouts; stored bytes are random, headers and head columns included
DAT_LAYOUTS = [
    (16, 24, {}),
    (16, 24, {"flip": False}),
    (10, 40, {"head_columns": 16}),
    (10, 40, {"head_columns": 16, "flip": False}),
    (12, 32, {"frame_header_bytes": 16}),
    (12, 32, {"frame_header_bytes": 16, "head_columns": 8, "flip": False}),
    (8, 24, {"head_columns": 3}),  # stored rows of 27 bits: rows start mid-byte
]


def write_random_dat(path, rng, n, h, w, head_columns=0, frame_header_bytes=0, **_):
    stride = frame_header_bytes + (h * (w + head_columns) + 7) // 8
    path.write_bytes(rng.integers(0, 256, n * stride, dtype=np.uint8).tobytes())


def open_random_dat(tmp_path, rng, h, w, opts, n=9):
    p = tmp_path / "x.dat"
    write_random_dat(p, rng, n, h, w, **opts)
    return sv.open(p, height=h, width=w, **opts)


CROPS = [(slice(None), slice(2, 7), slice(3, 21)), (slice(1, 8, 3), slice(0, 1), slice(0, 8)),
         (slice(None), slice(-4, None), slice(5, 6)), (slice(2, 3), slice(None), slice(9, None)),
         (Ellipsis, slice(1, 5), slice(0, 13))]


def check_crop(stream, full, key):
    sub = stream[key]
    want = full[key]
    assert isinstance(sub, sv.SpikeStream) and sub.shape == want.shape
    assert (sub.unpack() == want).all()
    assert (sub.packed() == np.packbits(want.reshape(len(want), -1), axis=1, bitorder="little")).all()
    blocks = list(b.copy() for b in sub.iter_blocks(2))
    assert (np.concatenate(blocks) == want).all() if blocks else len(want) == 0
    assert (np.concatenate(list(sub.iter_packed(3))) == sub.packed()).all()
    assert (sub.spike_counts() == want.sum(0)).all()
    assert np.allclose(sub.firing_rate(), want.mean(0))
    return sub


@pytest.mark.parametrize("h, w, opts", DAT_LAYOUTS)
def test_dat_crops_match_unpacked(tmp_path, rng, h, w, opts):
    s = open_random_dat(tmp_path, rng, h, w, opts)
    full = s.unpack()
    for key in CROPS:
        check_crop(s, full, key)
    for top in range(h):
        for left in (0, 1, 7, 8, w - 1):
            c = s.crop(top, left, h - top, w - left)
            assert (c.unpack() == full[:, top:, left:]).all()


def test_dat_crop_reads_only_the_rows_it_needs(tmp_path, rng, monkeypatch):
    h, w, n = 250, 400, 40
    p = tmp_path / "v.dat"
    sv.save(p, random_spikes(rng, n, h, w))
    got = []
    real = _source.PositionedFile._pread

    def counting(self, view, pos):
        got.append(len(view))
        return real(self, view, pos)

    monkeypatch.setattr(_source.PositionedFile, "_pread", counting)
    s = sv.open(p, height=h, width=w)
    full = s.unpack()
    full_bytes = sum(got)
    assert full_bytes == n * 12500
    got.clear()
    crop = s[:, 100:120, 50:90].unpack()
    assert (crop == full[:, 100:120, 50:90]).all()
    assert sum(got) == n * ((19 * 400 + 90 + 7) // 8 - 50 // 8)  # rows 100..119 only
    assert sum(got) < full_bytes / 10
    got.clear()
    assert (s[:, 10:240].unpack() == full[:, 10:240]).all()  # most of a frame: one read, still fewer bytes
    assert len(got) == 1 and sum(got) < full_bytes


@pytest.mark.parametrize("fmt", ["h5", "npz", "dat"])
def test_file_crops_match_unpacked(tmp_path, rng, fmt):
    x = random_spikes(rng, 30, 16, 24)
    p = sv.save(tmp_path / f"x.{fmt}", x)
    s = sv.open(p, **({"height": 16, "width": 24} if fmt == "dat" else {}))
    for key in CROPS:
        check_crop(s, x, key)
    check_crop(s[3:25:2], x[3:25:2], (slice(1, 9), slice(1, 14), slice(2, 23)))


def test_memory_crops_of_every_kind(rng):
    x = random_spikes(rng, 20, 13, 21)
    s = sv.from_array(x)
    for key in CROPS:
        check_crop(s, x, key)
    assert (s[4, 2:5, 3:9] == x[4, 2:5, 3:9]).all()
    assert (s[-1, ..., 3:9] == x[-1, :, 3:9]).all()
    assert (s[:, 1:12][:, 2:8, 3:5].unpack() == x[:, 1:12][:, 2:8, 3:5]).all()  # crop of a crop
    assert (s.crop(2, 3, 5, 11)[5:9].unpack() == x[5:9, 2:7, 3:14]).all()
    assert (s[:, :, :].unpack() == x).all() and s[:, :, :].shape == x.shape


def test_crop_width_not_a_multiple_of_8_packs_and_saves(tmp_path, rng):
    x = random_spikes(rng, 12, 10, 20)
    c = sv.from_array(x)[:, 1:4, 2:7]  # 3x5 = 15 bits per frame: 2 bytes, the last one padded
    assert c.packed().shape == (12, 2)
    assert (c.packed()[:, 1] >> 7 == 0).all()
    back = sv.open(sv.save(tmp_path / "c.h5", c))
    assert (back.unpack() == x[:, 1:4, 2:7]).all()
    assert back.meta.provenance["source"]["crop"] == [1, 2, 3, 5]
    assert (sv.open(sv.save(tmp_path / "c.npz", c)).unpack() == x[:, 1:4, 2:7]).all()
    with pytest.raises(sv.FormatError, match="divisible by 8"):
        sv.save(tmp_path / "c.dat", c)
    d = sv.open(sv.save(tmp_path / "d.dat", sv.from_array(x)[:, 2:6, 2:8]), height=4, width=6)
    assert (d.unpack() == x[:, 2:6, 2:8]).all()


def test_crop_metadata(rng):
    s = sv.from_array(random_spikes(rng, 10, 8, 8), fps=1000, t0=2.0, cfa="bggr", sensor="t")
    c = s[4:, 1:5, 2:5]
    assert c.shape == (6, 4, 3) and c.fps == 1000 and c.t0 == pytest.approx(2.004) and c.meta.sensor == "t"
    assert c.meta.cfa == "grbg"  # odd row: the pattern's second row comes first
    assert s.crop(0, 1, 2, 2).meta.cfa == "gbrg" and s.crop(1, 1, 2, 2).meta.cfa == "rggb"
    assert s.crop(2, 4, 2, 2).meta.cfa == "bggr"
    assert c.crop(1, 1, 2, 2).meta.provenance["crop"] == [2, 3, 2, 2]
    assert c.time_slice(2.006, 2.008).shape == (2, 4, 3)
    assert (pickle.loads(pickle.dumps(c)).unpack() == c.unpack()).all()
    assert s.crop(0, 0, 8, 8) is s


@pytest.mark.parametrize("key, err", [
    ((slice(None), 3, slice(None)), TypeError), ((slice(None), slice(None), 2), TypeError),
    ((slice(None), slice(0, 8, 2)), ValueError), ((slice(None), slice(5, 5)), ValueError),
    ((slice(None), slice(None), slice(9, 20)), ValueError), ((0, 0, 0, 0), IndexError),
    ((Ellipsis, Ellipsis), IndexError)])
def test_bad_crops_are_refused(rng, key, err):
    s = sv.from_array(random_spikes(rng, 4, 8, 8))
    with pytest.raises(err):
        s[key]


@pytest.mark.parametrize("args", [(0, 0, 0, 4), (0, 0, 9, 4), (-1, 0, 2, 2), (0, 6, 2, 3), (0, 0, 2.0, 2)])
def test_bad_crop_rectangles_say_the_frame_size(rng, args):
    s = sv.from_array(random_spikes(rng, 4, 8, 8))
    with pytest.raises((ValueError, TypeError)):
        s.crop(*args)
    if not isinstance(args[2], float):
        with pytest.raises(ValueError, match="8x8"):
            s.crop(*args)


def test_recon_on_a_cropped_stream(tmp_path, rng):
    from spikevision import recon

    x = random_spikes(rng, 81, 16, 24, p=0.4)
    p = sv.save(tmp_path / "r.dat", x)
    c = sv.open(p, height=16, width=24)[:, 3:11, 5:19]
    for method in ("tfp", "tfi", "best"):
        assert np.allclose(recon.reconstruct(c, method, at=40), recon.reconstruct(x[:, 3:11, 5:19], method, at=40))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_crops(data):
    h = data.draw(st.integers(1, 12))
    w = data.draw(st.integers(1, 20))
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = random_spikes(rng, 7, h, w)
    flip = data.draw(st.booleans())
    head = data.draw(st.sampled_from([0, 3, 8]))
    header = data.draw(st.sampled_from([0, 5]))
    r0 = data.draw(st.integers(0, h - 1))
    r1 = data.draw(st.integers(r0 + 1, h))
    c0 = data.draw(st.integers(0, w - 1))
    c1 = data.draw(st.integers(c0 + 1, w))
    t = slice(data.draw(st.integers(0, 7)), data.draw(st.integers(0, 7)), data.draw(st.integers(1, 3)))
    # stored frames with random head columns and headers, laid out like a .dat buffer
    lay = _source.StoredLayout(h, w, w + head, header, flip)
    wide = np.concatenate([x, rng.integers(0, 2, (7, h, head), dtype=np.uint8)], axis=2)
    stored = np.zeros((7, lay.stride), np.uint8)
    stored[:, :header] = rng.integers(0, 256, (7, header), dtype=np.uint8)
    stored[:, header:] = sv._bits.pack_frames(wide, flip=flip)
    for s in (sv.from_array(x), sv.SpikeStream(_source.ArraySource(stored, lay))):
        got = s[t, r0:r1, c0:c1]
        assert (got.unpack() == x[t, r0:r1, c0:c1]).all()
        assert (got.spike_counts() == x[t, r0:r1, c0:c1].sum(0)).all()


def test_positioned_reads_per_frame_and_in_one_go_agree(tmp_path, rng):
    s = open_random_dat(tmp_path, rng, 64, 64, {"head_columns": 16, "frame_header_bytes": 16}, n=12)
    full = s.unpack()
    assert (s[:, 5:7].unpack() == full[:, 5:7]).all()  # small window: one read per frame
    assert (s[:, 0:60].unpack() == full[:, 0:60]).all()  # large window: one read
    assert os.path.getsize(tmp_path / "x.dat") == 12 * (16 + 64 * 80 // 8)


def test_large_crops_use_every_decoder(tmp_path, rng):
    # above _bits.PARALLEL_MIN_PIXELS the window is decoded on worker threads, chunked by frames
    x = random_spikes(rng, 80, 250, 400, p=0.2)
    assert 80 * 200 * 392 >= sv._bits.PARALLEL_MIN_PIXELS
    s = sv.open(sv.save(tmp_path / "big.dat", x), height=250, width=400)
    for key in [(slice(None), slice(0, 200), slice(8, 400)), (slice(None), slice(1, 250), slice(3, 400)),
                (slice(3, 80, 2), slice(10, 240), slice(0, 397))]:
        assert (s[key].unpack() == x[key]).all()
        assert (sv.from_array(x)[key].unpack() == x[key]).all()
