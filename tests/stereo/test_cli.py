"""``spikevision simulate --scene stereo`` and ``spikevision stereo`` run as a user runs them."""

import json

import cv2
import h5py
import numpy as np
import pytest

import spikevision.stereo as st
from spikevision.cli import main
from spikevision.sim import StereoScene

from ..cli._run import run


@pytest.fixture(scope="module")
def pair_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("pair")
    r = run("simulate", "--scene", "stereo", "--height", 40, "--width", 80, "--frames", 260, "--seed", 2,
            d / "pair.h5")
    assert r.returncode == 0, r.stderr
    return d / "pair.h5"


def test_simulated_pair_has_the_rig(pair_file):
    pair = st.open_pair(pair_file)
    assert pair.left.shape == pair.right.shape == (260, 40, 80)
    assert pair.focal == pytest.approx(289.74) and pair.baseline == pytest.approx(0.08)
    assert pair.calibration is not None and pair.calibration.image_size == (80, 40)


def test_png_npy_outputs(pair_file, tmp_path):
    r = run("stereo", pair_file, tmp_path / "d.png", "--max-disparity", 40, "--color", tmp_path / "c.png", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["frames"] == [259] and summary["png_scale"] == 256
    png = cv2.imread(str(tmp_path / "d.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == (40, 80)
    pair = st.open_pair(pair_file)
    want = st.disparity(pair.left, pair.right, 259, max_disparity=40)
    np.testing.assert_array_equal(png, np.rint(want * 256).astype(np.uint16) * (want > 0))
    gt = StereoScene(40, 80, n_frames=260, seed=2).disparity(259)
    assert np.median(np.abs(png / 256 - gt)) < 0.5
    assert cv2.imread(str(tmp_path / "c.png")).shape == (40, 80, 3)
    assert main(["stereo", str(pair_file), str(tmp_path / "z.npy"), "--depth", "--at", "200",
                 "--max-disparity", "40"]) == 0
    z = np.load(tmp_path / "z.npy")
    np.testing.assert_allclose(z, st.depth(st.disparity(pair.left, pair.right, 200, max_disparity=40), 289.74, 0.08))


def test_stack_and_video(pair_file, tmp_path):
    r = run("stereo", pair_file, tmp_path / "s.h5", "--step", 100, "--max-disparity", 40)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "s.h5") as f:
        assert f["images"].shape == (3, 40, 80)
        assert list(f["frame_index"][:]) == [0, 100, 200]
    assert main(["stereo", str(pair_file), str(tmp_path / "v.mp4"), "--step", "100", "--max-disparity", "40"]) == 0
    assert cv2.VideoCapture(str(tmp_path / "v.mp4")).get(cv2.CAP_PROP_FRAME_COUNT) == 3


def test_two_files_calibration_and_errors(pair_file, tmp_path, capsys):
    pair = st.open_pair(pair_file)
    import spikevision as sv

    sv.save(tmp_path / "l.h5", pair.left)
    sv.save(tmp_path / "r.h5", pair.right)
    pair.calibration.save(tmp_path / "cal.yml")
    r = run("stereo", tmp_path / "l.h5", tmp_path / "r.h5", tmp_path / "a.npy", "--calibration", tmp_path / "cal.yml",
            "--max-disparity", 40)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), st.disparity(pair.left, pair.right, -1,
                                                                            max_disparity=40))
    cases = [([tmp_path / "l.h5", tmp_path / "r.h5", tmp_path / "c.npy", "--max-disparity", 80],
              "not smaller than the image width"),
             ([tmp_path / "l.h5", tmp_path / "r.h5", tmp_path / "c.npy", "--max-disparity", 0], "max-disparity"),
             ([tmp_path / "l.h5", tmp_path / "r.h5", tmp_path / "b.npy", "--depth"], "--depth needs the rig"),
             ([tmp_path / "l.h5", tmp_path / "r.h5", tmp_path / "a.npy"], "--overwrite"),
             ([tmp_path / "l.h5", tmp_path / "l.h5", tmp_path / "x.txt"], "unknown output type"),
             ([tmp_path / "l.h5", tmp_path / "new.npy"], "not a stereo pair file"),
             ([tmp_path / "l.h5", tmp_path / "r.h5"], "already exists")]   # r.h5 taken as the output: kept
    for argv, msg in cases:
        code = 0
        try:
            code = main(["stereo", *map(str, argv)])
        except SystemExit as exc:     # argparse refusals
            code = exc.code
        assert code != 0 and msg in capsys.readouterr().err, (argv, msg)
    assert main(["info", str(pair_file)]) != 0 and "open_pair" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.part*")) and not (tmp_path / "c.npy").exists()
