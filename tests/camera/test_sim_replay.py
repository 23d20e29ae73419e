"""sim:// and replay://: bit-exact frames, indices and times, pacing modes, loop, URL handling, lifecycle."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import spikevision as sv
from spikevision import _bits
from spikevision.camera import CameraNotFound, CameraURLError, SpikeBlock, open_camera, parse_url
from spikevision.camera.sim import scene_frames

pytestmark = pytest.mark.timeout(60)


def _all(cam):
    blocks = list(cam)
    return blocks, np.concatenate([b.packed for b in blocks])


def test_sim_frames_match_the_scene_and_indices_are_contiguous(no_thread_leak):
    with open_camera("sim://?height=20&width=32&frames=250&speed=max&frames_per_block=40&seed=4") as cam:
        blocks, packed = _all(cam)
        info = cam.info
    assert (info.height, info.width, info.fps, info.frames_per_block, info.backend) == (20, 32, 20000, 40, "sim")
    ref = scene_frames(20, 32, 250, seed=4)
    np.testing.assert_array_equal(packed, ref)
    assert [b.index for b in blocks] == list(range(0, 250, 40))
    assert blocks[-1].partial and not any(b.partial for b in blocks[:-1])
    assert blocks[1].time == pytest.approx(40 / 20000)
    np.testing.assert_allclose(blocks[2].times(), (80 + np.arange(40)) / 20000)


def test_sim_loops_its_scene_and_keeps_counting():
    with open_camera("sim://?height=8&width=16&frames=25&loop_frames=10&speed=max&frames_per_block=7") as cam:
        blocks, packed = _all(cam)
    ref = scene_frames(8, 16, 10)
    np.testing.assert_array_equal(packed, ref[np.arange(25) % 10])
    assert blocks[-1].stop_index == 25


@pytest.mark.parametrize("wire", ["vidar"])
def test_sim_through_the_wire_framing_path(wire, no_thread_leak):
    with open_camera(f"sim://?frames=30&speed=max&wire={wire}&transfer=7777&frames_per_block=8") as cam:
        _, packed = _all(cam)
        s = cam.stats()
    np.testing.assert_array_equal(packed, scene_frames(250, 400, 30))
    assert s.bytes == 30 * 13000 and s.dropped_frames == 0


def test_sim_m1_wire_through_the_line_packet_parser(no_thread_leak):
    pytest.importorskip("spikevision.io.raw")
    url = "sim://?height=1000&width=1000&frames=5&loop_frames=3&speed=max&wire=m1&transfer=100000"
    with open_camera(url) as cam:
        _, packed = _all(cam)
        s = cam.stats()
    np.testing.assert_array_equal(packed, scene_frames(1000, 1000, 3)[[0, 1, 2, 0, 1]])
    assert s.bytes == 5 * 128_000 and s.dropped_frames == 0 and s.tag_errors == 0
    with pytest.raises(ValueError, match="height=1000"):
        open_camera("sim://?wire=m1")


def test_sim_real_time_pacing_delivers_everything(no_thread_leak):
    # 400 frames at 20 kHz = 20 ms of stream; only completeness is checked (no timing asserts)
    with open_camera("sim://?height=16&width=16&frames=400&speed=1") as cam:
        blocks, packed = _all(cam)
    assert packed.shape[0] == 400 and sum(b.dropped_before for b in blocks) == 0


def test_block_unpack_and_stream_conversion():
    with open_camera("sim://?height=6&width=10&frames=5&speed=max") as cam:
        b = cam.read(5)
    assert isinstance(b, SpikeBlock) and b.flags == frozenset({"partial"})
    frames = b.unpack()
    assert frames.shape == (5, 6, 10) and set(np.unique(frames)) <= {0, 1}
    np.testing.assert_array_equal(_bits.pack_frames(frames), b.packed)
    s = b.to_stream()
    assert s.shape == (5, 6, 10) and s.t0 == 0.0 and s.fps == 20000
    np.testing.assert_array_equal(s.unpack(), frames)
    with pytest.raises(ValueError):
        b.packed[0, 0] = 1  # blocks are immutable


def test_replay_dat_bit_exact_with_memmap(tmp_path, rng, no_thread_leak):
    frames = (rng.random((91, 250, 400)) < 0.3).astype(np.uint8)  # 90 would also fit 1000x1000
    path = tmp_path / "rec.dat"
    sv.save(path, frames)
    with open_camera(f"replay://{path}?speed=max&frames_per_block=32") as cam:
        blocks, packed = _all(cam)
        assert cam.info.extra["mode"] == "memmap"
        assert cam.info.serial == str(path)
    np.testing.assert_array_equal(_bits.unpack_frames(packed, 250, 400), frames)
    assert [b.index for b in blocks] == [0, 32, 64]


def test_replay_loop_and_frame_limit(tmp_path, rng):
    frames = (rng.random((10, 8, 16)) < 0.5).astype(np.uint8)
    path = tmp_path / "small.dat"
    sv.save(path, frames)
    with open_camera(f"replay://{path}?speed=max&loop=1&frames=35&height=8&width=16&frames_per_block=4") as cam:
        blocks, packed = _all(cam)
    np.testing.assert_array_equal(_bits.unpack_frames(packed, 8, 16), frames[np.arange(35) % 10])
    assert blocks[-1].stop_index == 35


def test_replay_h5_uses_the_reader(tmp_path, rng):
    pytest.importorskip("spikevision.io.h5")
    frames = (rng.random((20, 12, 16)) < 0.5).astype(np.uint8)
    path = tmp_path / "rec.h5"
    sv.save(path, frames)
    with open_camera(f"replay://{path}?speed=max") as cam:
        _, packed = _all(cam)
    np.testing.assert_array_equal(_bits.unpack_frames(packed, 12, 16), frames)


def test_replay_missing_file():
    cam = open_camera("replay:///no/such/file.dat")
    with pytest.raises(CameraNotFound, match="no such file"):
        cam.open()
    cam.close()


def test_url_parsing_and_errors():
    assert parse_url("sim://scene?fps=40000&noise=1&frames=none") == (
        "sim", "scene", {"fps": 40000.0, "noise": True, "frames": None})
    assert parse_url("replay:///abs/x.dat?loop=1")[1] == "/abs/x.dat"
    assert parse_url("usb://0403:601f?serial=AB12&pipe=0x83") == (
        "usb", "0403:601f", {"serial": "AB12", "pipe": 0x83})
    with pytest.raises(CameraURLError, match="no scheme"):
        parse_url("rec.dat")
    with pytest.raises(CameraURLError, match="unknown camera backend"):
        parse_url("rtsp://host")
    with pytest.raises(CameraURLError, match="accepts"):
        parse_url("sim://?colour=1")
    with pytest.raises(CameraURLError, match="invalid"):
        parse_url("sim://?fps=fast")
    with pytest.raises(CameraURLError, match="needs a file"):
        open_camera("replay://")


def test_lifecycle_close_is_idempotent_and_threads_return(no_thread_leak):
    base = set(threading.enumerate())
    cam = open_camera("sim://?height=8&width=8&speed=1")  # endless, real time
    cam.start()
    assert cam.read(5).n_frames >= 1
    assert len(set(threading.enumerate()) - base) == 1
    cam.stop()
    assert set(threading.enumerate()) == base
    while cam.read(1) is not None:  # queued blocks stay readable after stop, then the stream ends
        pass
    with pytest.raises(Exception, match="does not restart"):
        cam.start()
    cam.close()
    cam.close()
    assert set(threading.enumerate()) == base
    with pytest.raises(Exception, match="closed"):
        cam.open()


def test_policies_on_a_fast_producer(no_thread_leak):
    # speed=max producer, consumer never reads until the end: the ring holds at most ring_blocks blocks
    with open_camera("sim://?height=8&width=8&frames=500&speed=max&frames_per_block=10&ring_blocks=3"
                     "&policy=drop_newest") as cam:
        cam._thread.join(10)  # producer finished (drop_newest never blocks)
        s = cam.stats()
        blocks, packed = _all(cam)
    assert s.ring_high_water == 3 and s.ring_dropped_blocks == 47 and s.ring_dropped_frames == 470
    assert [b.index for b in blocks] == [0, 10, 20]
    with open_camera("sim://?height=8&width=8&frames=500&speed=max&frames_per_block=10&ring_blocks=3"
                     "&policy=block") as cam:
        blocks, packed = _all(cam)
        s = cam.stats()
    assert packed.shape[0] == 500 and s.ring_dropped_frames == 0 and s.ring_high_water <= 3


def test_replay_options_are_one_list_and_all_reach_the_reader(tmp_path, rng):
    from spikevision.camera._url import OPTIONS
    from spikevision.camera.replay import ReplayCamera
    from spikevision.io import COMMON_READ_OPTIONS

    assert set(ReplayCamera._reader_keys) == set(OPTIONS["replay"]) - {"speed", "loop", "frames"}
    assert set(ReplayCamera._reader_keys) == set(COMMON_READ_OPTIONS) | {"format"}
    frames = (rng.random((3, 8, 16)) < 0.5).astype(np.uint8)
    path = tmp_path / "tiny.dat"
    sv.save(path, frames, flip=False, head_columns=8, frame_header_bytes=16, sidecar=False)
    url = (f"replay://{path}?speed=max&height=8&width=16&flip=0&head_columns=8&frame_header_bytes=16"
           f"&fps=1000&strict=1&format=dat")
    with open_camera(url) as cam:
        assert cam.info.fps == 1000
        _, packed = _all(cam)
    np.testing.assert_array_equal(_bits.unpack_frames(packed, 8, 16), frames)


def test_replay_errors_and_warnings_name_the_url_options(tmp_path, rng):
    import warnings

    from spikevision.errors import FormatError, SpikevisionWarning

    tiny = tmp_path / "tiny.dat"
    tiny.write_bytes(bytes(1000))  # smaller than any known frame
    cam = open_camera(f"replay://{tiny}?speed=max")
    with pytest.raises(FormatError) as ei:
        cam.open()
    cam.close()
    msg = str(ei.value)
    assert f"replay://{tiny}?height=H&width=W" in msg and "--height" not in msg and "CLI" not in msg
    cam = open_camera(f"replay://{tiny}?speed=max&height=250")
    with pytest.raises(FormatError, match="give both height and width"):
        cam.open()
    cam.close()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(bytes(3 * 12500 + 77))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open_camera(f"replay://{cut}?speed=max&loop=1&frames=5") as cam:
            _all(cam)
    texts = [str(w.message) for w in caught if issubclass(w.category, SpikevisionWarning)]
    assert texts and all("77 trailing bytes" in t and f"replay://{cut}?height=H&width=W" in t
                         and "--height" not in t for t in texts), texts
    cam = open_camera(f"replay://{cut}?speed=max&height=250&width=400&strict=1")
    with pytest.raises(FormatError) as ei:
        cam.open()
    cam.close()
    assert f"replay://{cut}?height=250&width=400&strict=0" in str(ei.value) and "--strict" not in str(ei.value)


@pytest.mark.timeout(30)
def test_replay_of_a_fifo_is_refused_at_once(tmp_path):
    import os

    from spikevision.errors import FormatError

    fifo = tmp_path / "live.dat"
    os.mkfifo(fifo)
    cam = open_camera(f"replay://{fifo}")
    with pytest.raises(FormatError, match="FIFO"):
        cam.open()
    cam.close()
