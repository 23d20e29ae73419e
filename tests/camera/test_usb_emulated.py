"""usb:// against an emulated FT60x fed real wire bytes: protocol, framing, faults, unplug, open failures."""

from __future__ import annotations

import itertools
import sys
import threading
import time

import numpy as np
import pytest

from spikevision import _bits
from spikevision.camera import (
    BackendUnavailable,
    CameraError,
    CameraNotFound,
    CameraURLError,
    DeviceDisconnected,
    open_camera,
)
from spikevision.camera.emulator import EmulatedFT60x
from spikevision.camera.framing import encode_rows
from spikevision.camera.ft60x import SESSION_REQUEST, ReadRequest
from spikevision.camera.usb import UsbCamera

from ._wire import ref_vidar_decode, vidar_frames

pytestmark = pytest.mark.timeout(60)


def _collect(cam, timeout=5.0):
    """Read every block until the end or a disconnect; return (blocks, error)."""
    blocks, err = [], None
    try:
        while True:
            b = cam.read(timeout)
            if b is None:
                break
            blocks.append(b)
    except DeviceDisconnected as exc:
        err = exc
    return blocks, err


def _frames(blocks, h=250, w=400):
    if not blocks:
        return np.zeros((0, h, w), np.uint8)
    return _bits.unpack_frames(np.concatenate([b.packed for b in blocks]), h, w)


def test_read_request_bytes_by_hand():
    req = ReadRequest(idx=7, pipe=0x82, length=0x00100000)
    raw = req.pack()
    assert len(raw) == 20 == SESSION_REQUEST.size
    assert raw == bytes([7, 0, 0, 0, 0x82, 1, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert ReadRequest.unpack(raw) == req
    with pytest.raises(CameraError, match="0x82..0x85"):
        ReadRequest(1, 0x02, 10).pack()
    with pytest.raises(CameraError, match="20 bytes"):
        ReadRequest.unpack(raw[:19])


@pytest.mark.parametrize("short_reads,latency,header", [(False, 0.0, 0), (True, 0.001, 0), (True, 0.0, 16)])
def test_vidar_stream_bit_exact_with_protocol_checked(rng, no_thread_leak, short_reads, latency, header):
    frames = vidar_frames(rng, 60)
    wire = encode_rows(frames, header_bytes=header).tobytes()
    dev = EmulatedFT60x(wire, short_reads=short_reads, latency=latency, end="unplug", seed=3)
    cam = UsbCamera(transport=dev, header=header, transfer=40000, queue=4, frames_per_block=16)
    with cam:
        blocks, err = _collect(cam)
    assert isinstance(err, DeviceDisconnected)
    np.testing.assert_array_equal(_frames(blocks), ref_vidar_decode(wire, header=header))
    assert [b.index for b in blocks] == list(range(0, 60, 16))
    assert all(b.dropped_before == 0 and not b.resync for b in blocks)
    # one well-formed session request per IN transfer, idx consecutive, pipe 0x82, cmd read, len = transfer
    assert dev.protocol_errors == []
    assert len(dev.requests) >= dev.transfers
    assert [r.idx for r in dev.requests] == list(range(1, len(dev.requests) + 1))
    assert {(r.pipe, r.cmd, r.length) for r in dev.requests} == {(0x82, 1, 40000)}
    assert dev.closed
    s = cam.stats()
    assert s.frames == 60 and s.bytes == len(wire) and s.dropped_frames == 0
    assert s.last_error and "DeviceDisconnected" in s.last_error


def test_m1_line_packets_over_usb(rng, no_thread_leak):
    raw = pytest.importorskip("spikevision.io.raw")
    frames = (rng.random((6, 1000, 1000)) < 0.2).astype(np.uint8)
    wire = np.asarray(raw.encode_frames(frames)).tobytes()
    dev = EmulatedFT60x(wire, short_reads=True, end="unplug", seed=1)
    with UsbCamera(transport=dev, layout="m1", transfer=100_000, queue=3) as cam:
        blocks, err = _collect(cam)
        assert cam.info.height == cam.info.width == 1000
    assert isinstance(err, DeviceDisconnected)
    np.testing.assert_array_equal(_frames(blocks, 1000, 1000), frames)


def test_dropped_transfer_vidar_exact_count(rng, no_thread_leak):
    frames = vidar_frames(rng, 40)
    wire = encode_rows(frames).tobytes()
    # transfers of 30,000 bytes: transfer 3 covers bytes [90000, 120000) -> frames 6..9 touched (6*13000=78000)
    dev = EmulatedFT60x(wire, drop_transfers=[3], end="unplug")
    with UsbCamera(transport=dev, transfer=30_000, queue=2, frames_per_block=8) as cam:
        blocks, _ = _collect(cam)
        s = cam.stats()
    lost = {k for k in range(40) if k * 13000 < 120000 and (k + 1) * 13000 > 90000}
    assert lost == {6, 7, 8, 9}
    kept = [k for k in range(40) if k not in lost]
    np.testing.assert_array_equal(_frames(blocks), frames[kept])
    assert s.transfer_errors == 1 and s.device_dropped_frames == 4 and s.dropped_frames == 4
    gaps = [(b.index, b.dropped_before, b.resync) for b in blocks if b.dropped_before]
    assert gaps == [(10, 4, True)]
    # indices count the lost frames: nominal time stays right after the gap
    assert [b.index for b in blocks][-1] + blocks[-1].n_frames == 40


def test_dropped_transfer_m1_exact_count_and_resync_within_one_frame(rng, no_thread_leak):
    raw = pytest.importorskip("spikevision.io.raw")
    frames = (rng.random((8, 1000, 1000)) < 0.2).astype(np.uint8)
    wire = np.asarray(raw.encode_frames(frames)).tobytes()
    # transfers of 100,000 bytes; transfer 3 = [300000, 400000) touches frames 2 and 3 (128,000 B each)
    dev = EmulatedFT60x(wire, drop_transfers=[3], end="unplug")
    with UsbCamera(transport=dev, layout="m1", transfer=100_000, queue=2) as cam:
        blocks, _ = _collect(cam)
        s = cam.stats()
    np.testing.assert_array_equal(_frames(blocks, 1000, 1000), frames[[0, 1, 4, 5, 6, 7]])
    assert s.device_dropped_frames == 2 and s.transfer_errors == 1
    assert any(b.index == 4 and b.dropped_before == 2 for b in blocks)


def _m1_wire(rng, n):
    raw = pytest.importorskip("spikevision.io.raw")
    frames = (rng.random((n, 1000, 1000)) < 0.2).astype(np.uint8)
    return raw, frames, bytearray(np.asarray(raw.encode_frames(frames)).tobytes())


def test_dropped_unit_drops_exactly_its_frame_and_relocks(rng, no_thread_leak):
    raw, frames, wire = _m1_wire(rng, 5)
    unit = 2 * raw.UNITS_PER_FRAME + 1234  # one 64-byte unit of frame 2 never arrives
    del wire[unit * 64:(unit + 1) * 64]
    dev = EmulatedFT60x(bytes(wire), short_reads=True, end="unplug", seed=8)
    with UsbCamera(transport=dev, layout="m1", transfer=90_000, queue=2) as cam:
        blocks, _ = _collect(cam)
        s = cam.stats()
    np.testing.assert_array_equal(_frames(blocks, 1000, 1000), frames[[0, 1, 3, 4]])
    assert s.device_dropped_frames == 1 and s.resyncs == 1
    assert [(b.index, b.dropped_before) for b in blocks if b.dropped_before] == [(3, 1)]


def test_corrupted_line_tag_drops_only_that_frame(rng, no_thread_leak):
    raw, frames, wire = _m1_wire(rng, 5)
    unit = 2 * raw.UNITS_PER_FRAME + 777  # a unit in the middle of frame 2
    v = int.from_bytes(wire[unit * 64 + 62: unit * 64 + 64], "little")
    v = (v & ~(0x3FF << 4)) | (0 << 4)  # line 0 does not exist (lines are 1..500)
    wire[unit * 64 + 62: unit * 64 + 64] = v.to_bytes(2, "little")
    dev = EmulatedFT60x(bytes(wire), short_reads=True, end="unplug", seed=5)
    with UsbCamera(transport=dev, layout="m1", transfer=64 * 1000, queue=2) as cam:
        blocks, _ = _collect(cam)
        s = cam.stats()
    np.testing.assert_array_equal(_frames(blocks, 1000, 1000), frames[[0, 1, 3, 4]])
    assert s.tag_errors >= 1 and s.device_dropped_frames == 1


def test_corrupted_channel_tag_drops_only_that_frame(rng, no_thread_leak):
    raw, frames, wire = _m1_wire(rng, 4)
    unit = 1 * raw.UNITS_PER_FRAME + 1500
    wire[unit * 64 + 63] ^= 0x40  # flip one channel bit
    dev = EmulatedFT60x(bytes(wire), end="unplug")
    with UsbCamera(transport=dev, layout="m1", transfer=128_000, queue=2) as cam:
        blocks, _ = _collect(cam)
        s = cam.stats()
    np.testing.assert_array_equal(_frames(blocks, 1000, 1000), frames[[0, 2, 3]])
    assert s.tag_errors >= 1 and s.device_dropped_frames == 1


def test_pixel_data_mimicking_markers_causes_no_false_lock(rng, no_thread_leak):
    raw, frames, wire = _m1_wire(rng, 5)
    # The stream starts 32 bytes into a unit of frame 1 (a capture begun mid-frame), so 64-byte windows
    # end at byte 31 of each unit. Make pixel bytes 30..31 of two consecutive units read exactly like
    # an end marker (line 500, ch 3) followed by a start marker (line 500, ch 0).
    u = raw.UNITS_PER_FRAME + 400
    end_tag = ((3 << 14) | (500 << 4)).to_bytes(2, "little")
    start_tag = (500 << 4).to_bytes(2, "little")
    wire[u * 64 + 30: u * 64 + 32] = end_tag
    wire[(u + 1) * 64 + 30: (u + 1) * 64 + 32] = start_tag
    start = (u - 3) * 64 + 32
    dev = EmulatedFT60x(bytes(wire[start:]), short_reads=True, end="unplug", seed=9)
    with UsbCamera(transport=dev, layout="m1", transfer=50_000, queue=2) as cam:
        blocks, _ = _collect(cam)
    got = _frames(blocks, 1000, 1000)
    np.testing.assert_array_equal(got, frames[2:])  # the cut frame 1 is never emitted, nothing torn


def test_truncated_tail_never_emits_a_torn_frame(rng, no_thread_leak):
    frames = vidar_frames(rng, 10)
    wire = encode_rows(frames).tobytes()[:-5000]
    dev = EmulatedFT60x(wire, short_reads=True, end="unplug", seed=2)
    with UsbCamera(transport=dev, transfer=20_000, queue=2) as cam:
        blocks, err = _collect(cam)
    assert isinstance(err, DeviceDisconnected)
    np.testing.assert_array_equal(_frames(blocks), frames[:9])


def test_slow_consumer_ring_counters_exact(rng, no_thread_leak):
    frames = vidar_frames(rng, 24, p=0.5)
    chunk = encode_rows(frames).tobytes()
    n_rep = 20  # 480 frames
    dev = EmulatedFT60x(itertools.repeat(chunk, n_rep), end="unplug")
    cam = UsbCamera(transport=dev, transfer=13000 * 4, queue=2, frames_per_block=4, ring_blocks=3,
                    policy="drop_oldest")
    with cam:
        blocks, err = [], None
        try:
            while True:
                b = cam.read(5)
                if b is None:
                    break
                blocks.append(b)
                time.sleep(0.002)  # slower than the emulated device
        except DeviceDisconnected as exc:
            err = exc
        s = cam.stats()
    assert err is not None
    produced = 24 * n_rep
    delivered = sum(b.n_frames for b in blocks)
    assert s.frames == produced
    assert s.ring_high_water <= 3
    assert s.ring_dropped_frames > 0, "the consumer was meant to fall behind"
    assert delivered + s.ring_dropped_frames == produced
    # every lost frame is reported once, in dropped_before of the block after it (or lies after the last)
    assert sum(b.dropped_before for b in blocks) + (produced - blocks[-1].stop_index) == s.ring_dropped_frames
    for prev, b in zip(blocks, blocks[1:], strict=False):
        assert b.index == prev.stop_index + b.dropped_before
        k = b.index % 24
        np.testing.assert_array_equal(b.unpack()[0], frames[k])


def test_unplug_mid_stream(rng, no_thread_leak):
    frames = vidar_frames(rng, 12)
    chunk = encode_rows(frames).tobytes()
    baseline = set(threading.enumerate())
    dev = EmulatedFT60x(itertools.repeat(chunk), unplug_after_bytes=13000 * 50, latency=0.001)
    cam = open_camera("usb://?transfer=13000&queue=4&frames_per_block=5", transport=dev)
    cam.start()
    blocks = []
    t0 = time.monotonic()
    with pytest.raises(DeviceDisconnected, match="disconnected"):
        while True:
            blocks.append(cam.read(timeout=5))
    assert time.monotonic() - t0 < 30
    n = sum(b.n_frames for b in blocks)
    assert n == 50
    for b in blocks:
        np.testing.assert_array_equal(b.unpack(), frames[(b.index + np.arange(b.n_frames)) % 12])
    with pytest.raises(DeviceDisconnected):  # stays an error
        cam.read(timeout=1)
    cam.close()
    cam.close()  # idempotent
    assert set(threading.enumerate()) == baseline
    assert dev.closed and dev.cancelled >= 0


def test_unplug_while_idle_is_reported(no_thread_leak):
    dev = EmulatedFT60x(b"", end="idle")
    cam = UsbCamera(transport=dev, transfer=13000, queue=2)
    cam.start()
    with pytest.raises(TimeoutError, match="no block"):
        cam.read(timeout=0.3)
    dev.unplug()
    with pytest.raises(DeviceDisconnected):
        cam.read(timeout=5)
    cam.close()


def test_open_failures(no_thread_leak):
    with pytest.raises(CameraNotFound, match="lsusb"):
        UsbCamera(transport=EmulatedFT60x(b"", open_error="not_found")).open()
    with pytest.raises(CameraError, match="udev"):
        with UsbCamera(transport=EmulatedFT60x(b"", open_error="access")):
            pass
    with pytest.raises(CameraNotFound, match="not an FT60x"):
        UsbCamera(transport=EmulatedFT60x(b"", pid=0x6010)).open()
    with pytest.raises(CameraURLError, match="vid:pid"):
        open_camera("usb://ftdi")
    with pytest.raises(CameraURLError, match="accepts"):
        open_camera("usb://?speed=2")
    with pytest.raises(CameraError, match="0x82"):
        UsbCamera(transport=EmulatedFT60x(b""), pipe=0x02)
    cam = UsbCamera(transport=EmulatedFT60x(b"", open_error="not_found"))
    with pytest.raises(CameraNotFound):
        cam.read(1)
    cam.close()


def test_usb_backend_without_libusb(monkeypatch):
    monkeypatch.setitem(sys.modules, "usb1", None)
    from spikevision.camera import usb

    monkeypatch.setattr(usb.import_usb1, "_loaded", False, raising=False)
    cam = open_camera("usb://0403:601f")
    with pytest.raises(BackendUnavailable, match=r"pip install"):
        cam.open()
    cam.close()


def test_dump_writes_the_unframed_wire_bytes(rng, tmp_path, no_thread_leak):
    frames = vidar_frames(rng, 9)
    wire = encode_rows(frames).tobytes()[:-100]  # a torn tail is dumped too
    dump = tmp_path / "golden.raw"
    dev = EmulatedFT60x(wire, short_reads=True, end="unplug", seed=11)
    with open_camera(f"usb://?transfer=20000&queue=2&dump={dump}", transport=dev) as cam:
        blocks, _ = _collect(cam)
    assert dump.read_bytes() == wire
    np.testing.assert_array_equal(_frames(blocks), frames[:8])


def test_dump_replaces_a_symlink_and_follows_the_umask(rng, tmp_path, no_thread_leak):
    """dump= creates a new file: a symlink at the path is replaced, never written through."""
    import os

    frames = vidar_frames(rng, 4)
    wire = encode_rows(frames).tobytes()
    target = tmp_path / "system-file"
    target.write_bytes(b"precious")
    dump = tmp_path / "golden.raw"
    dump.symlink_to(target)
    old = os.umask(0o027)
    try:
        dev = EmulatedFT60x(wire, end="unplug", seed=3)
        with open_camera(f"usb://?transfer=13000&queue=2&dump={dump}", transport=dev) as cam:
            _collect(cam)
    finally:
        os.umask(old)
    assert target.read_bytes() == b"precious"
    assert not dump.is_symlink() and dump.read_bytes() == wire
    assert dump.stat().st_mode & 0o777 == 0o640
