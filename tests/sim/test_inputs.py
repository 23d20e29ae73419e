"""Inputs: arrays, images, videos, callables, color filters, sRGB conversion, errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spikevision.sim import SceneInputError, Simulator, expected_rate, mosaic, simulate, srgb_to_linear
from spikevision.sim.photometry import linear_to_srgb


def test_srgb_round_trip_and_known_values():
    codes = np.arange(256, dtype=np.uint8)
    lin = srgb_to_linear(codes)
    assert lin[0] == 0 and lin[255] == pytest.approx(1.0)
    assert lin[128] == pytest.approx(0.21586, abs=1e-4)  # IEC 61966-2-1
    assert lin[10] == pytest.approx(10 / 255 / 12.92, rel=1e-6)  # linear toe
    np.testing.assert_allclose(np.round(linear_to_srgb(lin) * 255), codes)
    assert srgb_to_linear(codes, exposure=4.0)[128] == pytest.approx(4 * 0.21586, abs=4e-4)


def test_image_file_input(tmp_path):
    img = np.tile(np.array([0, 64, 128, 255], np.uint8), (8, 4))  # 8 x 16
    p = tmp_path / "img.png"
    cv2.imwrite(str(p), img)
    s = simulate(str(p), n_frames=4000, init="zero", exposure=1.5)
    np.testing.assert_allclose(s.firing_rate(), expected_rate(srgb_to_linear(img, 1.5), 2.0), atol=1.01 / 4000)
    assert s.meta.provenance["input"]["kind"] == "array"


def test_video_file_input(tmp_path):
    p = tmp_path / "v.avi"
    vw = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), 100.0, (32, 16))
    for k in range(5):
        vw.write(np.full((16, 32, 3), 40 * k + 20, np.uint8))
    vw.release()
    sim = Simulator(str(p), fps=20000)
    assert (sim.height, sim.width, sim.n_frames) == (16, 32, 1000)  # 5 frames at 100 fps = 50 ms
    s = sim.run()
    first = s[:50].firing_rate().mean()
    last = s[950:].firing_rate().mean()
    assert last > first  # brightness ramps up; interpolation between video frames
    assert s.meta.provenance["input"]["kind"] == "video"


def test_bayer_color_filter():
    rgb = np.zeros((4, 6, 3), np.float32)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 0.2, 0.6, 1.0
    m = mosaic(rgb, "bggr")
    np.testing.assert_array_equal(m[0::2, 0::2], 1.0)  # B
    np.testing.assert_array_equal(m[1::2, 1::2], np.float32(0.2))  # R
    np.testing.assert_array_equal(m[0::2, 1::2], np.float32(0.6))
    s = simulate(rgb, cfa="bggr", n_frames=1000, init="zero")
    assert s.meta.cfa == "bggr"
    np.testing.assert_allclose(s.firing_rate(), expected_rate(m, 2.0), atol=1.01 / 1000)
    with pytest.raises(SceneInputError, match="RGB"):
        simulate(np.ones((4, 6), np.float32), cfa="rggb", n_frames=5)
    # a mono sensor sees RGB input as Rec.709 luminance
    mono = simulate(rgb[None], n_frames=1000, init="zero")
    lum = 0.2126 * 0.2 + 0.7152 * 0.6 + 0.0722 * 1.0
    np.testing.assert_allclose(mono.firing_rate(), lum / 2.0, atol=1.01 / 1000)


def test_blocks_equal_whole_stream_and_reuse_buffer():
    arr = (np.random.default_rng(0).random((3, 10, 16)) * 1.5).astype(np.float32)
    whole = simulate(arr, input_fps=200, n_frames=300, seed=3).packed()
    from spikevision.sim import simulate_blocks

    blocks = [b.copy() for b in simulate_blocks(arr, block=64, input_fps=200, n_frames=300, seed=3)]
    np.testing.assert_array_equal(np.concatenate(blocks), whole)
    frames = np.concatenate([b.copy() for b in simulate_blocks(arr, block=100, packed=False, input_fps=200,
                                                               n_frames=300, seed=3)])
    assert frames.shape == (300, 10, 16)
    np.testing.assert_array_equal(np.packbits(frames.reshape(300, -1), axis=1, bitorder="little"), whole)


@pytest.mark.parametrize("bad, match", [
    (np.full((4, 8), -1.0, np.float32), "negative"),
    (np.full((4, 8), np.nan, np.float32), "NaN"),
    (np.zeros((4, 8), np.uint8), "sRGB"),
    (np.zeros((2, 3, 4, 5)), "RGB"),
    (np.zeros((0, 4, 8)), "shape"),
])
def test_bad_radiance_raises_with_fix(bad, match):
    with pytest.raises(SceneInputError, match=match):
        simulate(bad, n_frames=3)


def test_missing_files_and_bad_callables(tmp_path):
    with pytest.raises(FileNotFoundError):
        simulate(str(tmp_path / "none.png"), n_frames=3)
    with pytest.raises(FileNotFoundError):
        simulate(str(tmp_path / "none.mp4"), n_frames=3)
    with pytest.raises(SceneInputError, match="n_frames"):
        simulate(lambda t: np.ones((4, 8), np.float32))
    with pytest.raises(SceneInputError, match="still image needs n_frames"):
        simulate(np.ones((4, 8), np.float32))
    with pytest.raises(SceneInputError, match="shape"):
        simulate(lambda t: np.ones((4, 8, 2), np.float32), n_frames=3)
    from spikevision.errors import FormatError

    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    with pytest.raises(FormatError):
        simulate(str(tmp_path / "junk.mp4"), n_frames=3)


def test_long_streams_run_in_constant_memory(tmp_path):
    import tracemalloc

    from spikevision.sim import TextureMotion
    from spikevision.sim.simulator import Simulator
    from spikevision.sim.writer import write_blocks

    scene = TextureMotion(64, 64, frames=40000, seed=1, velocity=(0.01, 0.0), texture_size=128)
    sim = Simulator(scene, seed=1)
    next(iter(sim.blocks(64)))  # compile and allocate the first buffers outside the measurement
    tracemalloc.start()
    digest = write_blocks(sim, tmp_path / "long.dat", block=2048)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    total = 40000 * 64 * 64 // 8  # 20 MB of packed spikes
    assert (tmp_path / "long.dat").stat().st_size == total - 64 * 64 * 64 // 8
    assert peak < total / 8, peak
    assert len(digest) == 64


def test_dat_output_keeps_fps_and_cfa_in_its_sidecar(tmp_path):
    import spikevision as sv
    from spikevision.sim import TextureMotion
    from spikevision.sim.writer import write_blocks

    sim = Simulator(TextureMotion(16, 24, frames=30, seed=1, color=True), seed=1, fps=40000, cfa="RGGB")
    write_blocks(sim, tmp_path / "s.dat")
    back = sv.open(tmp_path / "s.dat")
    assert back.fps == 40000 and back.meta.cfa == "rggb" and back.shape == (30, 16, 24)
