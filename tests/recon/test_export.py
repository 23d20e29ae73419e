"""Image export (spikevision.io.video) and the ``spikevision recon`` command."""

import cv2
import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision.cli import main as cli
from spikevision.errors import OutputError
from spikevision.io.video import open_image_writer, to_uint, write_images
from spikevision.recon import reconstruct

from ._spikes import random_spikes


@pytest.fixture
def images():
    rng = np.random.default_rng(3)
    return [rng.random((12, 16)).astype(np.float32) for _ in range(4)]


def test_png_sequence(tmp_path, images):
    out = write_images(tmp_path / "seq", images, frame_indices=[0, 40, 80, 120])
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["000000.png", "000040.png", "000080.png", "000120.png"]
    back = cv2.imread(str(out / "000040.png"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(back, to_uint(images[1]))
    write_images(tmp_path / "seq", images[:1], bits=16)         # replaces the images it wrote
    assert [p.name for p in out.glob("*.png")] == ["000000.png"]
    assert cv2.imread(str(out / "000000.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint16


def test_h5_stack(tmp_path, images):
    path = write_images(tmp_path / "s.h5", images, frame_indices=[5, 6, 7, 8], method="tfp")
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f["images"][:], np.stack(images))
        assert f["frame_index"][:].tolist() == [5, 6, 7, 8]
        assert f.attrs["method"] == "tfp" and f.attrs["count"] == 4


def test_video(tmp_path, images):
    path = write_images(tmp_path / "v.mp4", [np.kron(i, np.ones((4, 4))) for i in images], fps=10)
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 4


def test_nothing_left_on_error(tmp_path, images):
    for name in ("a.h5", "b.mp4", "c"):
        with pytest.raises(RuntimeError):
            with open_image_writer(tmp_path / name) as w:
                w.write(images[0])
                raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="same size"):
        write_images(tmp_path / "d.h5", [images[0], images[0][:5]])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="does not exist"):
        write_images(tmp_path / "missing" / "x.h5", images)
    with pytest.raises(OutputError, match="output kind"):
        write_images(tmp_path / "x.txt", images)


def test_cli_recon(tmp_path):
    s = random_spikes(30, 200, 16, 24)
    sv.save(tmp_path / "in.h5", s)
    rc = cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "out.h5"), "--method", "tfp", "--window", "21",
              "--step", "50", "--start", "10", "--rate", "0.5"])
    assert rc == 0
    with h5py.File(tmp_path / "out.h5") as f:
        assert f["frame_index"][:].tolist() == [10, 60, 110, 160]
        np.testing.assert_array_equal(f["images"][1], reconstruct(s, "tfp", at=60, window=21, rate=0.5))
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "png"), "--step", "100"]) == 0
    assert sorted(p.name for p in (tmp_path / "png").glob("*.png")) == ["000000.png", "000100.png"]


def test_cli_recon_errors(tmp_path, capsys):
    sv.save(tmp_path / "in.h5", random_spikes(31, 50, 8, 8))
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "o.h5"), "--method", "tfstp", "--window", "9"]) == 1
    assert "window" in capsys.readouterr().err
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "o.h5"), "--start", "60"]) == 1
    assert not (tmp_path / "o.h5").exists()


def test_cli_recon_range_from_the_end(tmp_path):
    """--start/--stop count from the end when negative, as iter_reconstruct does."""
    sv.save(tmp_path / "in.h5", random_spikes(32, 100, 8, 8))
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "a.h5"), "--start", "-30", "--step", "10"]) == 0
    assert cli(["recon", str(tmp_path / "in.h5"), str(tmp_path / "b.h5"), "--stop", "-50", "--step", "10"]) == 0
    with h5py.File(tmp_path / "a.h5") as a, h5py.File(tmp_path / "b.h5") as b:
        assert a["frame_index"][:].tolist() == [70, 80, 90]
        assert b["frame_index"][:].tolist() == [0, 10, 20, 30, 40]
