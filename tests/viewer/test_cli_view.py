"""`spikevision view --screenshot`, the missing-PyQt6 path, and importing the package without Qt."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

import spikevision as sv
from spikevision import recon
from spikevision.cli import main
from spikevision.errors import BackendUnavailable
from spikevision.viewer.display import to_rgb

from ._data import if_spikes


@pytest.fixture(scope="module")
def spikes():
    return if_spikes(200, 24, 32)


@pytest.fixture
def dat(tmp_path, spikes):
    p = tmp_path / "rec.dat"
    sv.save(p, spikes)
    return p


def _png(path):
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[..., ::-1]


def test_screenshot_at_frame_and_mode(qt, dat, tmp_path, spikes, capsys):
    shot, image = tmp_path / "shot.png", tmp_path / "image.png"
    rc = main(["view", str(dat), "--height", "24", "--width", "32", "--frame", "77", "--mode", "tfp",
               "--window", "21", "--levels", "0", "0.7", "--gamma", "0.9", "--colormap", "viridis",
               "--screenshot", str(shot), "--image", str(image), "--size", "1200x700"])
    assert rc == 0 and f"saved {shot}" in capsys.readouterr().out
    assert _png(shot).shape == (700, 1200, 3)
    ref = to_rgb(recon.tfp(spikes, at=77, window=21), (0.0, 0.7), 0.9, "viridis")
    np.testing.assert_array_equal(_png(image), ref)


def test_screenshot_of_a_camera(qt, tmp_path):
    shot = tmp_path / "cam.png"
    rc = main(["view", "sim://?height=24&width=32&fps=20000", "--mode", "raw", "--wait", "0.3",
               "--screenshot", str(shot), "--size", "1200x640"])
    assert rc == 0 and _png(shot).shape == (640, 1200, 3)


def test_bad_inputs_are_one_line_errors(qt, dat, tmp_path, capsys):
    assert main(["view", str(dat), "--height", "24", "--width", "32", "--frame", "999",
                 "--screenshot", str(tmp_path / "x.png")]) == 1
    assert "--frame 999 is outside the recording's 200 frames" in capsys.readouterr().err
    assert main(["view", str(tmp_path / "missing.dat"), "--screenshot", str(tmp_path / "x.png")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["view", str(dat), "--screenshot", str(tmp_path / "x.jpg")]) == 1
    assert "must end in .png" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.*"))


def test_missing_pyqt6_names_the_extra(monkeypatch, dat, capsys):
    monkeypatch.setitem(sys.modules, "PyQt6.QtWidgets", None)  # import fails as if PyQt6 were absent
    from spikevision.viewer.options import require_qt

    with pytest.raises(BackendUnavailable, match=r"pip install 'spikevision\[gui\]'"):
        require_qt()
    assert main(["view", str(dat)]) == 1
    assert "pip install 'spikevision[gui]'" in capsys.readouterr().err


def test_package_imports_without_pyqt6():
    code = ("import sys; sys.modules['PyQt6'] = None\n"
            "import spikevision, spikevision.viewer, spikevision.viewer.playback, spikevision.viewer.live, "
            "spikevision.viewer.export\n"
            "from spikevision.cli import build_parser; build_parser().parse_args(['view', 'x.dat'])\n"
            "assert 'PyQt6.QtWidgets' not in sys.modules\n"
            "try:\n    spikevision.viewer.ViewerWindow\nexcept spikevision.errors.BackendUnavailable as e:\n"
            "    print('ok', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout and "spikevision[gui]" in out.stdout


def test_no_display_is_a_clear_error(monkeypatch, dat, capsys):
    if not sys.platform.startswith("linux"):
        pytest.skip("display variables are an X11/Wayland matter")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main(["view", str(dat)]) == 1
    assert "no display" in capsys.readouterr().err
