"""``spikevision flow`` run as a user runs it: every output kind written, read back and compared."""

import json

import cv2
import h5py
import numpy as np
import pytest

from spikevision import flow
from spikevision.io import save_stream
from spikevision.io.flo import read_flo
from spikevision.stream import from_array

from ..cli._run import assert_done, assert_failed, leftovers, run
from ._scenes import scene_spikes


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    s, _ = scene_spikes("translate")
    s = s[:160]
    path = tmp_path_factory.mktemp("in") / "s.h5"
    save_stream(path, from_array(s))
    return path, s


def test_flo_single_field(tmp_path, src):
    path, s = src
    out = tmp_path / "f.flo"
    assert_done(run("flow", path, out, "--dt", 20, "--start", 30, "--stop", 31, "--method", "dis"), "1 flow fields")
    np.testing.assert_array_equal(read_flo(out), flow.estimate(s, 30, 20, method="dis"))
    assert_failed(run("flow", path, out, "--dt", 20, "--overwrite"), "a .flo file holds one field", "--stop 1")
    assert_failed(run("flow", path, out, "--dt", 20, "--stop", 1), "already exists", "--overwrite")


def test_folder_and_json(tmp_path, src):
    path, s = src
    out = tmp_path / "fields"
    r = run("flow", path, out, "--dt", 10, "--step", 50, "--method", "dis", "--preset", "fast", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["fields"] == 3 and summary["kind"] == "folder" and summary["first_frame"] == 0
    names = sorted(p.name for p in out.glob("*.flo"))
    assert names == ["000000.flo", "000050.flo", "000100.flo"]
    np.testing.assert_array_equal(read_flo(out / "000050.flo"), flow.estimate(s, 50, 10, method="dis", preset="fast"))
    assert leftovers(tmp_path) == []


def test_h5_stack(tmp_path, src):
    path, s = src
    out = tmp_path / "f.h5"
    assert_done(run("flow", path, out, "--dt", 20, "--step", 60, "--start", 10), "3 flow fields")
    with h5py.File(out) as f:
        assert f["flow"].shape == (3, 48, 64, 2) and f["frame_index"][:].tolist() == [10, 70, 130]
        assert f.attrs["dt"] == 20 and f.attrs["method"] == "best"
        np.testing.assert_array_equal(f["flow"][1], flow.estimate(s, 70, 20))


def test_color_video(tmp_path, src):
    path, _ = src
    out = tmp_path / "f.mp4"
    assert_done(run("flow", path, out, "--dt", 20, "--step", 40, "--method", "dis", "--max-magnitude", 2), "flow")
    cap = cv2.VideoCapture(str(out))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, frame = cap.read()
    cap.release()
    assert n == 4 and ok and frame.shape == (48, 64, 3)
    # motion right and up at 1.6 px of 2: red dominates (BGR frame), saturated colour, not grey
    mid = frame[12:36, 16:48].reshape(-1, 3).mean(axis=0)
    assert mid[2] > mid[1] and mid[2] > 150


def test_bad_input(tmp_path, src):
    path, _ = src
    assert_failed(run("flow", path, tmp_path / "a.flo", "--dt", 200), "past the last frame")
    assert r_fails(run("flow", path, tmp_path / "a.flo", "--dt", 0))
    assert_failed(run("flow", path, tmp_path / "a.txt", "--dt", 10), "cannot tell the output kind")
    assert_failed(run("flow", path, tmp_path / "d", "--dt", 10, "--method", "dis", "--span", 40), "--span applies")
    assert_failed(run("flow", path, path.with_suffix(".h5"), "--dt", 10, "--overwrite"), "same file as the input")
    assert leftovers(tmp_path) == []


def r_fails(r):
    return r.returncode == 2 and "--dt" in r.stderr and "Traceback" not in r.stderr
