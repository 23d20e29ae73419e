"""Recording while streaming: .h5 and .dat, frame/duration limits, kill -9, emulated unplug, CLI."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import spikevision as sv
from spikevision.camera import DeviceDisconnected, record
from spikevision.camera.emulator import EmulatedFT60x
from spikevision.camera.framing import encode_rows
from spikevision.camera.sim import scene_frames
from spikevision.camera.usb import UsbCamera
from spikevision.cli import main

from ._wire import vidar_frames

pytestmark = pytest.mark.timeout(120)

SIM = "sim://?height=20&width=40&speed=max&frames_per_block=16&seed=2"


@pytest.mark.parametrize("ext", [".h5", ".dat"])
def test_record_sim_frames_bit_exact(tmp_path, ext, no_thread_leak):
    out = tmp_path / f"rec{ext}"
    res = record(SIM, out, frames=100)
    assert (res.frames, res.stopped_by, res.dropped_frames, res.first_index) == (100, "frames", 0, 0)
    s = sv.open(out)  # a 20x40 .dat opens without options: its sidecar has the layout
    assert s.shape == (100, 20, 40) and s.fps == 20000
    np.testing.assert_array_equal(s.packed(), scene_frames(20, 40, 100, seed=2))
    if ext == ".dat":
        meta = json.loads(out.with_name("rec.dat.json").read_text())
        assert (meta["height"], meta["width"], meta["frames"], meta["complete"], meta["fps"]) == (
            20, 40, 100, True, 20000.0)
        assert meta["camera"]["url"] == SIM and meta["camera"]["first_index"] == 0
        assert meta["camera"]["gaps"] == [] and meta["sensor"] == "sim" and meta["start_time"]
        assert s.meta.sensor == "sim"


def test_record_duration_in_stream_time(tmp_path):
    res = record(SIM, tmp_path / "d.h5", duration=0.004)  # 80 frames at 20 kHz
    assert res.frames == 80 and res.stopped_by == "duration"


def test_record_refuses_to_overwrite_and_unknown_extension(tmp_path):
    out = tmp_path / "x.h5"
    record(SIM, out, frames=4)
    with pytest.raises(Exception, match="exists"):
        record(SIM, out, frames=4)
    record(SIM, out, frames=8, overwrite=True)
    assert len(sv.open(out)) == 8
    with pytest.raises(Exception, match=r"\.h5"):
        record(SIM, tmp_path / "x.mp4", frames=4)


def test_record_survives_an_emulated_unplug(tmp_path, rng, no_thread_leak):
    frames = vidar_frames(rng, 10)
    dev = EmulatedFT60x(itertools.repeat(encode_rows(frames).tobytes()), unplug_after_bytes=13000 * 37)
    cam = UsbCamera(transport=dev, transfer=13000, queue=3, frames_per_block=5)
    out = tmp_path / "unplug.h5"
    with pytest.raises(DeviceDisconnected) as ei:
        record(cam, out)
    cam.close()
    res = ei.value.result
    assert res.frames == 37 and res.stopped_by == "error"
    s = sv.open(out)
    assert len(s) == 37
    np.testing.assert_array_equal(s.unpack(), frames[np.arange(37) % 10])


def test_record_lists_gaps(tmp_path, rng, no_thread_leak):
    frames = vidar_frames(rng, 30)
    dev = EmulatedFT60x(encode_rows(frames).tobytes(), drop_transfers=[2], end="unplug")
    cam = UsbCamera(transport=dev, transfer=13000 * 3, queue=2, frames_per_block=3)
    out = tmp_path / "gaps.h5"
    with pytest.raises(DeviceDisconnected) as ei:
        record(cam, out)
    cam.close()
    res = ei.value.result
    assert res.frames == 27 and res.gaps == [(6, 3)] and res.dropped_frames == 3
    import h5py

    with h5py.File(out, "r") as f:
        assert json.loads(f.attrs["camera_gaps"]) == [[6, 3]]
        assert int(f.attrs["camera_dropped_frames"]) == 3


CHILD = textwrap.dedent("""
    import sys, time
    from spikevision.camera import Recorder, open_camera
    with open_camera(sys.argv[1]) as cam:
        rec = Recorder(sys.argv[2], cam.info)
        told = False
        for block in cam:
            rec.write(block)
            if not told and rec.frames >= 200:  # committed (written and flushed) by the writer thread
                print("committed", rec.frames, flush=True)
                told = True
""")


@pytest.mark.parametrize("ext", [".h5", ".dat"])
def test_record_survives_kill_9(tmp_path, ext):
    out = tmp_path / f"killed{ext}"
    url = "sim://?height=20&width=40&speed=50&frames_per_block=40&seed=2&loop_frames=500"
    p = subprocess.Popen([sys.executable, "-c", CHILD, url, str(out)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().split()
        assert line and line[0] == "committed", p.stderr.read()
        committed = int(line[1])
        time.sleep(0.05)  # let it append more, then kill it mid-recording
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == -signal.SIGKILL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a torn last frame is reported; not the point here
        s = sv.open(out)  # no options: a killed 20x40 .dat opens through its sidecar
    n = len(s)
    assert n >= committed >= 200 and s.shape[1:] == (20, 40)
    if ext == ".dat":
        meta = json.loads(out.with_name("killed.dat.json").read_text())
        assert meta["complete"] is False and committed <= meta["frames"] <= n
    ref = scene_frames(20, 40, 500, seed=2)
    np.testing.assert_array_equal(s.packed(), ref[np.arange(n) % 500])


def test_cli_capture(tmp_path, capsys):
    out = tmp_path / "cli.h5"
    assert main(["capture", SIM, str(out), "--frames", "50"]) == 0
    msg = capsys.readouterr().out
    assert "50 frames" in msg and "stopped by frames" in msg
    assert len(sv.open(out)) == 50
    assert main(["capture", SIM, str(out), "--frames", "5"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["capture", "bogus://x", str(tmp_path / "b.h5"), "--frames", "5"]) == 1
    assert "unknown camera backend" in capsys.readouterr().err
    assert not (tmp_path / "b.h5").exists()


def test_cli_capture_stops_cleanly_on_ctrl_c(tmp_path):
    out = tmp_path / "int.h5"
    url = "sim://?height=20&width=40&speed=1&frames_per_block=100&seed=2&loop_frames=500"
    p = subprocess.Popen([sys.executable, "-m", "spikevision.cli", "capture", url, str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 0):
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, stderr
    assert "stopped by interrupt" in stdout
    s = sv.open(out)
    assert len(s) > 0
    np.testing.assert_array_equal(s.packed(), scene_frames(20, 40, 500, seed=2)[np.arange(len(s)) % 500])


def test_record_dat_replaces_a_symlink_and_records_gaps_in_the_sidecar(tmp_path, rng, no_thread_leak):
    target = tmp_path / "elsewhere.bin"
    target.write_bytes(b"not yours")
    out = tmp_path / "gaps.dat"
    out.symlink_to(target)
    frames = vidar_frames(rng, 30)
    dev = EmulatedFT60x(encode_rows(frames).tobytes(), drop_transfers=[2], end="unplug")
    cam = UsbCamera(transport=dev, transfer=13000 * 3, queue=2, frames_per_block=3)
    with pytest.raises(DeviceDisconnected) as ei:
        record(cam, out, overwrite=True)
    cam.close()
    assert ei.value.result.frames == 27
    assert target.read_bytes() == b"not yours" and not out.is_symlink()
    meta = json.loads(out.with_name("gaps.dat.json").read_text())
    assert meta["camera"]["gaps"] == [[6, 3]] and meta["camera"]["dropped_frames"] == 3 and meta["frames"] == 27
    s = sv.open(out)
    assert s.shape == (27, 250, 400) and s.meta.provenance["layout_from"] == "sidecar"
