"""sdk:// through ctypes against a stand-in SpikeLink library compiled here with the system cc."""

from __future__ import annotations

import ctypes
import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spikevision.camera import BackendUnavailable, open_camera, sdk

pytestmark = pytest.mark.timeout(60)

SRC = Path(__file__).with_name("fake_spikelink.c")


@pytest.fixture(scope="module")
def fake_lib_dir(tmp_path_factory):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler (cc) to build the stand-in SDK library")
    return tmp_path_factory.mktemp("sdk"), cc


@pytest.fixture
def fake_lib(fake_lib_dir, request):
    """A fresh copy of the library per test (its state is global, so each test loads its own file)."""
    d, cc = fake_lib_dir
    out = d / f"libspikelink_{request.node.name.replace('[', '_').replace(']', '')}.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(out), str(SRC), "-lpthread"], check=True)
    return out


def _counters(path):
    lib = ctypes.CDLL(str(path))
    out = (ctypes.c_int64 * 8)()
    lib.fake_counters(out)
    keys = ("fired", "released", "double_released", "foreign_released", "outstanding", "bad_handle",
            "sdk_dropped", "eof")
    return dict(zip(keys, out, strict=True)), lib


def _write_frames(path, rng, n, h=1000, w=1000):
    packed = np.packbits(rng.random((n, h * w)) < 0.2, axis=1, bitorder="little")
    packed.tofile(path)
    return packed


def test_struct_layouts_match_the_c_compiler(fake_lib):
    _, lib = _counters(fake_lib)
    lib.fake_sizeof.restype = ctypes.c_int64
    for i, t in enumerate([sdk.SVRational, sdk.SVPicture, sdk.SpikeLinkInitParams, sdk.SpikeLinkQSFPInitParams,
                           sdk.SpikeLinkDummyInitParams, sdk.SpikeLinkVideoFrame]):
        assert lib.fake_sizeof(i) == ctypes.sizeof(t) == sdk.STRUCT_SIZES[t], t.__name__


def test_frames_marshalled_bit_exact_and_released_exactly_once(fake_lib, tmp_path, rng, no_thread_leak):
    data = tmp_path / "frames.bin"
    ref = _write_frames(data, rng, 40)
    url = f"sdk://{fake_lib}?type=file&file={data}&buffers=8&fps=40000"
    with open_camera(url, frames_per_block=10) as cam:
        blocks = list(itertools.islice(cam, 4))
        info = cam.info
    got = np.concatenate([b.packed for b in blocks])
    np.testing.assert_array_equal(got, ref)
    assert [b.index for b in blocks] == [0, 10, 20, 30]
    c, lib = _counters(fake_lib)
    assert c["fired"] == 40 and c["released"] == 40
    assert c["double_released"] == c["foreign_released"] == c["outstanding"] == 0
    assert c["bad_handle"] == 0  # the 64-bit handle (above 4 GiB) was never truncated
    lib.fake_params.restype = ctypes.c_int64
    # what the SDK saw in SpikeLinkInitParams: file input, M1 40 kHz mode, 1-bit gray, pool, picture
    assert [lib.fake_params(i) for i in range(8)] == [0x24, 0x2001, 0x10000, 8, 1000, 1000, 40000, 40000]
    assert (info.height, info.width, info.backend) == (1000, 1000, "sdk")


def test_sdk_drops_are_counted_from_pts_gaps(fake_lib, tmp_path, rng, monkeypatch, no_thread_leak):
    monkeypatch.setenv("FAKE_SDK_DROP_EVERY", "7")
    data = tmp_path / "frames.bin"
    ref = _write_frames(data, rng, 30, h=250, w=400)
    url = f"sdk://{fake_lib}?type=file&file={data}&height=250&width=400"
    with open_camera(url, frames_per_block=5) as cam:
        blocks = []
        while sum(b.n_frames for b in blocks) < 26:  # frames 7, 14, 21, 28 (pts) are dropped by the SDK
            blocks.append(cam.read(5))
        s = cam.stats()
    got = np.concatenate([b.packed for b in blocks])
    kept = [k for k in range(30) if (k + 1) % 7]
    np.testing.assert_array_equal(got, ref[kept])
    assert s.device_dropped_frames == 4
    idx = np.concatenate([b.index + np.arange(b.n_frames) for b in blocks])
    np.testing.assert_array_equal(idx, kept)  # frame indices count the lost frames
    c, _ = _counters(fake_lib)
    assert c["sdk_dropped"] == 4 and c["fired"] == c["released"] == 26 and c["outstanding"] == 0


def test_missing_library_is_backend_unavailable(monkeypatch, tmp_path):
    monkeypatch.delenv(sdk.ENV_VAR, raising=False)
    with pytest.raises(BackendUnavailable, match=sdk.ENV_VAR):
        open_camera("sdk://?type=usb").open()
    with pytest.raises(BackendUnavailable, match="does not exist"):
        open_camera(f"sdk://{tmp_path}/nope.so").open()
    bad = tmp_path / "bad.so"
    bad.write_bytes(b"not a library")
    with pytest.raises(BackendUnavailable, match="cannot load"):
        open_camera(f"sdk://{bad}").open()


def test_foreign_library_is_rejected(fake_lib_dir):
    d, cc = fake_lib_dir
    src = d / "other.c"
    src.write_text("int Open(void *h) { return 0; }\n")
    out = d / "libother.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    with pytest.raises(BackendUnavailable, match="not a SpikeLink SDK library: missing CreateSpikeLinkInputPython"):
        sdk.load_library(out)


def test_env_var_and_type_validation(fake_lib, tmp_path, rng, monkeypatch):
    data = tmp_path / "f.bin"
    _write_frames(data, rng, 3)
    monkeypatch.setenv(sdk.ENV_VAR, str(fake_lib))
    with open_camera(f"sdk://?type=file&file={data}") as cam:
        assert cam.read(5).n_frames >= 1
    with pytest.raises(Exception, match="usb, pcie or file"):
        open_camera("sdk://?type=serial")
    with pytest.raises(Exception, match="file=PATH"):
        open_camera("sdk://?type=file")


def test_init_failure_surfaces_the_sdk_code(fake_lib, tmp_path, no_thread_leak):
    cam = open_camera(f"sdk://{fake_lib}?type=file&file={tmp_path}/missing.bin")
    with pytest.raises(Exception, match="SDK Init failed with code -4"):
        cam.open()
    cam.close()
