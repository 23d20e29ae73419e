"""The viewer opens a pair (a pair file, or LEFT --right RIGHT) and shows the "disparity" mode."""

import cv2
import numpy as np
import pytest

import spikevision as sv
import spikevision.stereo as st
from spikevision.cli import main
from spikevision.viewer.display import to_rgb
from spikevision.viewer.modes import get_mode, mode_names

from ._pairs import shifted_texture_pair


@pytest.fixture(scope="module")
def pair_file(tmp_path_factory):
    left, right = shifted_texture_pair(5, frames=120)
    p = tmp_path_factory.mktemp("view") / "pair.h5"
    return st.save_pair(p, left, right, focal=100.0, baseline=0.1)


@pytest.fixture
def qt(request):
    pytest.importorskip("PyQt6.QtWidgets")
    return request.getfixturevalue("qapp")


def test_mode_registered_and_renders_the_pair(pair_file):
    assert "disparity" in mode_names()
    mode = get_mode("disparity")
    stream = st.pair.open_viewable(pair_file)
    assert isinstance(stream, sv.SpikeStream) and stream.shape == (120, 32, 64)
    img = mode.render(stream, 100, 64)
    pair = st.open_pair(pair_file)
    np.testing.assert_array_equal(img, st.disparity(pair.left, pair.right, 100, max_disparity=63, window=64))
    assert mode.readout_lines(stream, 5.0) == ["depth   2.000 m"]
    with pytest.raises(st.StereoInputError, match="needs a stereo pair"):
        mode.render(sv.from_array(np.zeros((10, 4, 8), np.uint8)), 5, 8)
    # single-stream modes see the left camera
    np.testing.assert_array_equal(get_mode("tfp").render(stream, 50, 21), get_mode("tfp").render(pair.left, 50, 21))


def test_screenshot_of_a_pair_file_and_of_two_files(qt, pair_file, tmp_path, capsys):
    image = tmp_path / "image.png"
    rc = main(["view", str(pair_file), "--frame", "100", "--mode", "disparity", "--window", "64",
               "--screenshot", str(tmp_path / "shot.png"), "--image", str(image), "--size", "1000x600",
               "--no-settings"])
    assert rc == 0, capsys.readouterr()
    pair = st.open_pair(pair_file)
    want = to_rgb(st.disparity(pair.left, pair.right, 100, max_disparity=63, window=64), (0.0, 64.0), 1.0, "turbo")
    np.testing.assert_array_equal(cv2.imread(str(image))[..., ::-1], want)
    sv.save(tmp_path / "l.h5", pair.left)
    sv.save(tmp_path / "r.h5", pair.right)
    image2 = tmp_path / "image2.png"
    rc = main(["view", str(tmp_path / "l.h5"), "--right", str(tmp_path / "r.h5"), "--frame", "100", "--mode",
               "disparity", "--window", "64", "--screenshot", str(tmp_path / "shot2.png"), "--image", str(image2),
               "--size", "1000x600", "--no-settings"])
    assert rc == 0, capsys.readouterr()
    np.testing.assert_array_equal(cv2.imread(str(image2)), cv2.imread(str(image)))
