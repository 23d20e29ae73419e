"""Live sessions on sim:// and a camera that disconnects: rendering, recording, errors, threads."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import spikevision as sv
from spikevision import _bits, recon
from spikevision.camera import open_camera
from spikevision.viewer.live import LiveSession

from ._cameras import FlakyCamera

SIM = "sim://?height=24&width=32&fps=20000&seed=3"


def _wait(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return False


def _loop_frames(cam_info) -> np.ndarray:
    from spikevision.camera.sim import scene_frames

    return scene_frames(cam_info.height, cam_info.width, cam_info.extra["loop_frames"], cam_info.extra["seed"])


def test_sim_session_renders_records_and_stops(tmp_path):
    before = threading.active_count()
    out = tmp_path / "rec.h5"
    with LiveSession(SIM, mode="tfp", window=41) as live:
        assert _wait(lambda: live.status().state == "streaming" and live.newest() is not None)
        live.start_recording(out)
        assert _wait(lambda: (live.status().recording.frames or 0) >= 20000, timeout=30)  # ~1 s of stream
        rec = live.stop_recording()
        frame = live.newest()
        info = live.camera.info
        st = live.status()
    assert not live.alive and threading.active_count() == before
    assert st.camera.fps > 0 and st.render_fps >= 0
    # the recording: committed, no loss, bit-exact against the simulator's frames
    assert rec is not None and not rec.active and rec.error is None and rec.frames >= 20000
    assert rec.dropped_frames == 0 and rec.bytes_written == out.stat().st_size
    s = sv.open(out)
    assert len(s) == rec.frames and (s.height, s.width) == (24, 32)
    import h5py

    with h5py.File(out, "r") as f:
        first = int(f.attrs["camera_first_index"])
    loop = _loop_frames(info)
    idx = (first + np.arange(len(s))) % loop.shape[0]
    np.testing.assert_array_equal(s.packed(), loop[idx])
    # the live image is TFP of the 41 frames centred on its sensor index
    at = frame.key.index
    window = _bits.unpack_frames(loop[(at - 20 + np.arange(41)) % loop.shape[0]], 24, 32)
    np.testing.assert_array_equal(frame.image, recon.tfp(window, at=20, window=41))


def test_mode_switch_and_readout():
    with LiveSession(SIM, mode="raw") as live:
        assert _wait(lambda: live.newest() is not None)
        live.set_view("rate", 500, roi=(0, 10, 0, 10))
        assert _wait(lambda: live.newest().key.mode == "rate" and live.newest().roi_mean is not None)
        f = live.newest()
        assert f.key.window == 500 and f.image.shape == (24, 32)
        r = live.readout(5, 7, window=100, at=f.key.index, isi_span=300)
        loop = _loop_frames(live.camera.info)
    at = f.key.index
    train = _bits.unpack_frames(loop[(at - 299 + np.arange(300)) % loop.shape[0]], 24, 32)[:, 5, 7]
    times = at - 299 + np.flatnonzero(train)
    assert r.window == 100 and r.count == int(train[-100:].sum())
    assert r.last_spike == (int(times[-1]) if times.size else None)
    assert r.last_isi == (int(times[-1] - times[-2]) if times.size >= 2 else None)


def test_disconnect_is_reported_and_threads_stop():
    before = threading.active_count()
    live = LiveSession(FlakyCamera(blocks=5), mode="raw").start()
    assert _wait(lambda: live.status().state == "disconnected", timeout=10)
    st = live.status()
    assert "cable pulled" in st.error and "DeviceDisconnected" in st.error
    f = live.newest()
    assert f is not None and f.image[:, 0].sum() == 8  # the last frame before the disconnect is shown
    live.stop()
    assert threading.active_count() == before


def test_disconnect_while_recording_commits_what_arrived(tmp_path):
    live = LiveSession(FlakyCamera(blocks=30), mode="raw").start()
    assert _wait(lambda: live.status().state == "streaming")
    live.start_recording(tmp_path / "r.dat")
    assert _wait(lambda: live.status().state == "disconnected", timeout=10)
    rec = live.stop()
    assert rec is not None and not rec.active
    s = sv.open(tmp_path / "r.dat", height=8, width=8)
    assert len(s) == rec.frames > 0
    assert (s.unpack()[:, :, 0] == 1).all() and s.unpack()[:, :, 1:].sum() == 0


def test_open_failure_is_a_state_not_an_exception(tmp_path):
    live = LiveSession(f"replay://{tmp_path}/missing.dat").start()
    assert _wait(lambda: live.status().state == "error", timeout=10)
    assert "no such file" in live.status().error
    live.stop()
    assert not live.alive


def test_recording_needs_a_streaming_camera(tmp_path):
    live = LiveSession(f"replay://{tmp_path}/missing.dat")
    with pytest.raises(RuntimeError, match="connect it first"):
        live.start_recording(tmp_path / "x.h5")


def test_camera_object_is_accepted():
    cam = open_camera(SIM)
    with LiveSession(cam, mode="tfp") as live:
        assert _wait(lambda: live.newest() is not None)
    assert cam.closed


def test_slow_mode_never_holds_up_reading():
    from spikevision.viewer.modes import FunctionMode, register_mode, unregister_mode

    def slow(s, at, w):
        time.sleep(0.5)
        return s[at].astype(np.float32)

    register_mode(FunctionMode("slow", "Slow", slow, default_window=1, window_range=(1, 1)))
    try:
        # a ring of 16 blocks (~160 ms at 20 kHz) would fill during every 0.5 s render if rendering blocked
        # reading (the sim then waits: the ring's high-water mark reaches its capacity)
        with LiveSession(SIM + "&ring_blocks=16", mode="slow") as live:
            assert _wait(lambda: live.newest() is not None)
            time.sleep(1.0)
            st = live.status()
        assert st.camera.dropped_frames == 0 and st.camera.ring_high_water < st.camera.ring_capacity
        assert st.camera.frames > 10000  # read at the camera's pace, not the renderer's (2 images/s)
    finally:
        unregister_mode("slow")
