"""``spikevision derain`` as a real subprocess: images, video, HDF5 stack, rain-free spikes, errors."""

import json
import os
import subprocess
import sys

import cv2
import h5py
import numpy as np
import pytest

from spikevision.derain import derain
from spikevision.io import open_stream, save_stream
from spikevision.sim import RainScene, TextureMotion, simulate


def _cli(*args, cwd):
    env = dict(os.environ, SPIKEVISION_PROGRESS="0", PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "spikevision", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def rain_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("rain")
    path = d / "rain.h5"
    save_stream(path, simulate(RainScene(32, 48, 400, seed=9, density=5, brightness=3.0)))
    return path


def test_images_h5_json(rain_file, tmp_path):
    out = tmp_path / "clean.h5"
    r = _cli("derain", rain_file, out, "--method", "temporal", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["images"] == 10 and summary["method"] == "temporal"
    with h5py.File(out) as f:
        images, idx = f["images"][:], f["frame_index"][:]
    assert images.shape == (10, 32, 48) and idx.tolist() == list(range(0, 400, 40))
    stream = open_stream(rain_file)
    np.testing.assert_array_equal(images[5], derain(stream, 200, method="temporal"))


def test_png_video_and_refusals(rain_file, tmp_path):
    r = _cli("derain", rain_file, tmp_path / "frames", "--step", "80", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "frames").glob("*.png")) == [f"{i:06d}.png" for i in range(0, 400, 80)]
    r = _cli("derain", rain_file, tmp_path / "frames", cwd=tmp_path)
    assert r.returncode != 0 and "--overwrite" in r.stderr
    r = _cli("derain", rain_file, tmp_path / "v.mp4", "--method", "temporal", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cap = cv2.VideoCapture(str(tmp_path / "v.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 10
    cap.release()
    r = _cli("derain", rain_file, rain_file, "--spikes", "--overwrite", cwd=tmp_path)
    assert r.returncode != 0 and "input" in r.stderr.lower()
    r = _cli("derain", rain_file, tmp_path / "x.h5", "--blocks", "1000", cwd=tmp_path)
    assert r.returncode != 0 and "blocks must be" in r.stderr and not (tmp_path / "x.h5").exists()


def test_rain_free_spikes(rain_file, tmp_path):
    out = tmp_path / "clean.dat"
    r = _cli("derain", rain_file, out, "--spikes", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    clean = open_stream(out)
    assert clean.shape == (400, 32, 48)
    from spikevision.derain import remove_rain

    np.testing.assert_array_equal(clean.unpack(), remove_rain(open_stream(rain_file)).unpack())


def test_colour_outputs(tmp_path):
    src = tmp_path / "colour.h5"
    save_stream(src, simulate(TextureMotion(32, 48, 300, seed=1, color=True), cfa="bggr"))
    r = _cli("derain", src, tmp_path / "c.h5", "--method", "temporal", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "c.h5") as f:
        assert f["images"].shape == (8, 32, 48, 3)
    r = _cli("recon", src, tmp_path / "rgb", "--method", "tfp", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["color"] is True
    png = cv2.imread(str(tmp_path / "rgb" / "000040.png"), cv2.IMREAD_UNCHANGED)
    assert png.shape == (32, 48, 3)
    r = _cli("recon", src, tmp_path / "mosaic", "--method", "tfp", "--mosaic", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert cv2.imread(str(tmp_path / "mosaic" / "000040.png"), cv2.IMREAD_UNCHANGED).shape == (32, 48)
