""".dat layout inference: every size collision class of the layout table, cut-off captures, noise.

Content is simulated (spikevision.sim scenes with the calibrated noise model) and written in
each known layout as a camera would (bottom-up rows, zero head columns, a 16-byte time header
of frame index and microseconds), tiled from a short clip to the size a class needs.
"""

from __future__ import annotations

import functools
import os
import warnings
from itertools import combinations
from math import lcm

import numpy as np
import pytest

import spikevision as sv
from spikevision._source import StoredLayout
from spikevision.errors import FormatError, SpikevisionWarning, TruncatedFileError
from spikevision.io import _dat_layout, dat
from spikevision.io._dat_layout import KNOWN_SIZES, candidates, choose
from spikevision.sim import NoiseModel, make_scene, simulate

BY_NAME = {k.name: k for k in KNOWN_SIZES}
#: the scene each true layout is filmed with (all five scene kinds appear)
SCENE = {"vidar": "texture_motion", "vidar-head": "moving_objects", "spikestereonet-real": "stereo",
         "spift": "rain", "sreds": "texture_motion", "sps100": "hdr"}
END_TO_END_LIMIT = 45_000_000  # classes up to this size are written whole and opened with sv.open


def collision_classes() -> list[tuple[int, list[str]]]:
    """Every file size class where several known layouts fit: the lcm of each subset of frame strides."""
    sizes = {lcm(*(k.layout.stride for k in c)) for r in range(2, len(KNOWN_SIZES) + 1)
             for c in combinations(KNOWN_SIZES, r)}
    out = []
    for s in sorted(sizes):
        fits = [k.name for k in KNOWN_SIZES if s % k.layout.stride == 0]
        if len(fits) > 1:
            out.append((s, fits))
    return out


CLASSES = collision_classes()
SMALL = [(s, fits, true) for s, fits in CLASSES if s <= END_TO_END_LIMIT for true in fits]
LARGE = [(s, fits, true) for s, fits in CLASSES if s > END_TO_END_LIMIT for true in fits]


@functools.cache
def clip(name: str, scene: str | None = None, frames: int = 0) -> np.ndarray:
    """Canonical packed frames of a simulated scene at layout ``name``'s size."""
    k = BY_NAME[name]
    frames = frames or (40 if k.height * k.width <= 100_000 else 24)
    sc = make_scene(scene or SCENE[name], height=k.height, width=k.width, frames=frames, seed=3)
    return simulate(sc, n_frames=frames, noise=NoiseModel(), seed=3).packed()


def write_capture(path, name: str, n: int, tail: int = 0, packed: np.ndarray | None = None) -> np.ndarray:
    """Write ``n`` frames (the clip looped) in layout ``name`` plus ``tail`` bytes of the next frame.

    Returns the canonical packed frames written.
    """
    k = BY_NAME[name]
    packed = clip(name) if packed is None else packed
    lay = StoredLayout(k.height, k.width, k.width + k.head_columns, k.frame_header_bytes, True)
    stored = lay.from_canonical(packed)
    idx = np.arange(n + 1) % len(packed)
    with open(path, "wb") as f:
        for i0 in range(0, n + (1 if tail else 0), 256):
            block = stored[idx[i0: min(i0 + 256, n + 1)]].copy()
            if k.frame_header_bytes:  # a time header: frame index and microseconds at 20 kHz
                i = np.arange(i0, i0 + len(block), dtype="<u8")
                block[:, :8] = i.view(np.uint8).reshape(-1, 8)
                block[:, 8:16] = (i * 50).view(np.uint8).reshape(-1, 8)
            if i0 + len(block) > n:
                f.write(block[: n - i0].tobytes())
                f.write(block[n - i0, :tail].tobytes())
            else:
                f.write(block.tobytes())
    return packed[idx[:n]]


def assert_same_frames(stream, expected: np.ndarray) -> None:
    n = len(expected)
    for i in sorted({0, 1, n // 3, n // 2, n - 2, n - 1}):
        np.testing.assert_array_equal(stream[i: i + 1].packed(), expected[i: i + 1])


def test_collision_classes_follow_from_the_table():
    """The classes are what the strides say; the small ones include the notorious ones."""
    sizes = {s: fits for s, fits in CLASSES}
    assert sizes[50_000] == ["vidar", "spift"] and sizes[125_000] == ["vidar", "sps100"]
    assert sizes[250_000] == ["vidar", "spift", "sps100"]
    assert sizes[325_000] == ["vidar", "vidar-head"]
    assert sizes[21_151_000] == ["vidar-head", "spikestereonet-real"]
    assert sizes[14_400_000] == ["vidar", "spift", "sreds"]
    for s, fits in CLASSES:
        exact, _ = candidates(s)
        assert [k.name for k in exact] == fits
    assert len(SMALL) == 28 and len(CLASSES) == 27


@pytest.mark.parametrize("size,fits,true", SMALL, ids=[f"{s}-{t}" for s, _, t in SMALL])
def test_every_small_collision_class_opens_right_by_content(tmp_path, size, fits, true):
    """A file of each ambiguous size, in each of its layouts, opens as what it is, without a warning."""
    k = BY_NAME[true]
    n = size // k.layout.stride
    p = tmp_path / "clip.dat"
    expected = write_capture(p, true, n)
    assert p.stat().st_size == size
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sv.open(p)
    assert s.shape == (n, k.height, k.width) and s.meta.sensor == true
    assert s.meta.provenance["layout_from"] == "content"
    assert s.meta.provenance["head_columns"] == k.head_columns
    assert s.meta.provenance["frame_header_bytes"] == k.frame_header_bytes
    assert_same_frames(s, expected)
    p.unlink()


@pytest.fixture(scope="module")
def captures(tmp_path_factory):
    """One realistic capture per layout, at least 8 frames of the largest layout long."""
    d = tmp_path_factory.mktemp("captures")
    out = {}
    for k in KNOWN_SIZES:
        n = -(-8 * 125_000 // k.layout.stride) + 3
        path = d / f"{k.name}.dat"
        write_capture(path, k.name, n)
        out[k.name] = path
    return out


@pytest.mark.parametrize("size,fits,true", LARGE, ids=[f"{s}-{t}" for s, _, t in LARGE])
def test_every_large_collision_class_is_told_apart_by_content(captures, size, fits, true):
    """Classes too large to write in a test: the same decision, on a capture of the true layout."""
    cands = [BY_NAME[f] for f in fits]
    assert [k.name for k in candidates(size)[0]] == fits
    path = captures[true]
    fd = os.open(path, os.O_RDONLY)
    try:
        inf = choose(fd, path.stat().st_size, cands, True)
    finally:
        os.close(fd)
    assert inf.known.name == true and inf.how == "content", inf.scores


@pytest.mark.parametrize("scene", ["texture_motion", "moving_objects", "rain", "hdr", "stereo"])
def test_every_scene_kind_as_vidar_in_the_four_way_class(tmp_path, scene):
    """3,250,000 bytes fit 250x400, 250x416, 500x800 and 1000x1000: a vidar capture of any scene wins."""
    p = tmp_path / "v.dat"
    expected = write_capture(p, "vidar", 260, packed=clip("vidar", scene, 40))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sv.open(p)
    assert s.shape == (260, 250, 400) and s.meta.provenance["layout_from"] == "content"
    assert_same_frames(s, expected)


@pytest.mark.parametrize("true", [k.name for k in KNOWN_SIZES])
def test_cut_off_capture_of_every_layout(tmp_path, true):
    """Whole frames plus part of the next one: the layout is found by content, the tail is reported."""
    k = BY_NAME[true]
    n = 12
    tail = k.layout.stride // 3 + 5
    p = tmp_path / "cut.dat"
    expected = write_capture(p, true, n, tail=tail)
    size = n * k.layout.stride + tail
    assert p.stat().st_size == size and not candidates(size)[0]  # fits no layout exactly
    with pytest.warns(SpikevisionWarning, match=rf"not a whole number of frames.*{tail:,} trailing bytes"):
        s = sv.open(p)
    assert s.shape == (n, k.height, k.width) and s.meta.sensor == true
    assert s.meta.provenance["trailing_bytes"] == tail and s.meta.provenance["layout_from"] == "content"
    assert_same_frames(s, expected)
    with pytest.raises(TruncatedFileError, match=rf"{tail:,} trailing bytes.*strict=False"):
        sv.open(p, strict=True)


@pytest.mark.parametrize("density", [0.5, 0.05, 0.0])
def test_noise_is_read_as_vidar_with_a_warning_naming_the_options(tmp_path, rng, density):
    """No spatial structure: 250x400 (the most common camera) is taken, with a warning saying how to choose."""
    p = tmp_path / "noise.dat"
    bits = (rng.random(250_000 * 8) < density).astype(np.uint8)
    p.write_bytes(np.packbits(bits, bitorder="little").tobytes())
    with pytest.warns(SpikevisionWarning) as rec:
        s = sv.open(p)
    msg = str(rec[0].message)
    assert "250x400: 20 frames; 500x800: 5 frames; 1000x1000: 2 frames" in msg
    assert "height=H, width=W" in msg and "--height H --width W" in msg
    assert s.shape == (20, 250, 400) and s.meta.provenance["layout_from"] == "default"
    assert (s.unpack() == np.unpackbits(np.frombuffer(p.read_bytes(), np.uint8), bitorder="little")
            .reshape(20, 250, 400)[:, ::-1]).all()


def test_cut_off_noise_warns_with_the_byte_count(tmp_path, rng):
    p = tmp_path / "noise.dat"
    p.write_bytes(rng.integers(0, 256, 7 * 12500 + 999, dtype=np.uint8).tobytes())
    with pytest.warns(SpikevisionWarning, match=r"999 trailing bytes.*height=H, width=W"):
        s = sv.open(p)
    assert s.shape == (7, 250, 400)


def test_options_restrict_the_candidates(tmp_path):
    """head_columns=0 on a 250x416 capture: only head-less layouts are candidates (a cut-off 250x400 here)."""
    p = tmp_path / "h.dat"
    expected = write_capture(p, "vidar-head", 26)  # 338,000 bytes: 26 frames of 250x416, 27.04 of 250x400
    assert sv.open(p).shape == (26, 250, 400)
    with pytest.warns(SpikevisionWarning, match="with head_columns=0.*trailing bytes"):
        assert sv.open(p, head_columns=0).shape == (27, 250, 400)
    s = sv.open(p, head_columns=16)
    assert s.shape == (26, 250, 400) and s.meta.provenance["layout_from"] == "size"
    assert_same_frames(s, expected)


def test_unique_size_reads_nothing(tmp_path, monkeypatch):
    """A size that fits one layout is decided by the size alone: no content is read on open."""
    p = tmp_path / "one.dat"
    write_capture(p, "vidar", 41)
    monkeypatch.setattr(_dat_layout, "coherence", lambda *a, **k: pytest.fail("read content"))
    s = sv.open(p)
    assert s.shape == (41, 250, 400) and s.meta.provenance["layout_from"] == "size"


def test_files_smaller_than_any_frame(tmp_path):
    p = tmp_path / "tiny.dat"
    p.write_bytes(bytes(12345))
    with pytest.raises(FormatError, match=r"smaller than one frame of every known layout.*--height H --width W"):
        sv.open(p)


def test_infer_layout_is_public_and_warns_without_a_path():
    assert dat.infer_layout(41 * 12500).name == "vidar"
    with pytest.warns(SpikevisionWarning, match="give the path"):
        assert dat.infer_layout(50_000).name == "vidar"
    with pytest.raises(FormatError, match="not a whole number"):
        dat.infer_layout(12345)
