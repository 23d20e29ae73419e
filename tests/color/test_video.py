"""io.video writers take (H, W, 3) RGB: PNG (RGB order kept), mp4 in colour, HDF5 stacks."""

import cv2
import h5py
import numpy as np
import pytest

from spikevision.io.video import to_uint, write_images


def _rgb():
    img = np.zeros((16, 24, 3), np.float32)
    img[..., 0] = 1.0           # red
    img[8:, :, 2] = 0.5          # lower half: plus some blue
    return img


@pytest.mark.parametrize("bits", [8, 16])
def test_png_rgb_order(tmp_path, bits):
    write_images(tmp_path / "seq", [_rgb(), _rgb()], [0, 40], bits=bits)
    back = cv2.imread(str(tmp_path / "seq" / "000040.png"), cv2.IMREAD_UNCHANGED)[..., ::-1]
    np.testing.assert_array_equal(back, to_uint(_rgb(), bits))


def test_video_and_h5_colour(tmp_path):
    write_images(tmp_path / "v.mp4", [_rgb()] * 3)
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.shape == (16, 24, 3)
    assert frame[2, 2, 2] > 200 and frame[2, 2, 0] < 60            # red stays red (BGR frame)
    write_images(tmp_path / "s.h5", [_rgb()] * 2, [5, 9])
    with h5py.File(tmp_path / "s.h5") as f:
        np.testing.assert_array_equal(f["images"][1], _rgb())
        assert f["frame_index"][:].tolist() == [5, 9]


def test_mixed_shapes_refused(tmp_path):
    with pytest.raises(ValueError, match="same size"):
        write_images(tmp_path / "s.h5", [_rgb(), _rgb()[..., 0]])
    assert not (tmp_path / "s.h5").exists()
    with pytest.raises(ValueError, match=r"\(H, W, 3\) RGB"):
        write_images(tmp_path / "t.h5", [np.zeros((4, 4, 2), np.float32)])
