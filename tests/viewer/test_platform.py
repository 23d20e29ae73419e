"""Qt's platform plugin, checked before Qt would abort: one-line errors, offscreen screenshots, no Qt noise.

The programs run in subprocesses (Qt aborts the whole process when its plugin fails), each with a
timeout so a regression cannot hang the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import cv2
import pytest

import spikevision as sv
from spikevision.viewer.platform import debian_package, missing_libraries, platform_problem

from ._data import if_spikes

pytest.importorskip("PyQt6.QtWidgets")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland platform plugins")

DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "QT_QPA_PLATFORM_PLUGIN_PATH", "XDG_SESSION_TYPE")


@pytest.fixture(scope="module")
def dat(tmp_path_factory):
    p = tmp_path_factory.mktemp("platform") / "rec.dat"
    sv.save(p, if_spikes(100, 24, 32))
    return p


def _run(args, **env_changes):
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARS}
    env.update(env_changes, SPIKEVISION_PROGRESS="0", PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "spikevision.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env, stdin=subprocess.DEVNULL)


def test_no_display_is_one_line_not_a_qt_abort(dat):
    out = _run(["view", str(dat), "--height", "24", "--width", "32"], QT_QPA_PLATFORM="xcb")
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("spikevision: error: the viewer cannot open a window")
    assert "DISPLAY is unset" in lines[0] and "QT_QPA_PLATFORM=offscreen" in lines[0] and "--screenshot" in lines[0]


@pytest.fixture
def broken_plugin(tmp_path):
    """A platform folder whose libqxcb.so needs a library that is not installed (built with the C compiler)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a plugin with a missing library")
    (tmp_path / "dep.c").write_text("int sv_dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int sv_dep(void);\nint sv_plugin(void) { return sv_dep(); }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libsvmissing.so.7"), str(tmp_path / "dep.c"),
                    "-Wl,-soname,libsvmissing.so.7"], check=True, timeout=60)
    platforms = tmp_path / "platforms"
    platforms.mkdir()
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(platforms / "libqxcb.so"), str(tmp_path / "plugin.c"),
                    str(tmp_path / "libsvmissing.so.7")], check=True, timeout=60)
    (tmp_path / "libsvmissing.so.7").unlink()  # now the plugin cannot load
    return platforms


def test_missing_system_libraries_are_named(broken_plugin, dat, monkeypatch):
    assert "libsvmissing.so.7" in missing_libraries(broken_plugin / "libqxcb.so")
    for var in DISPLAY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM_PLUGIN_PATH", str(broken_plugin))
    monkeypatch.setenv("DISPLAY", ":0")
    problem = platform_problem()
    assert "missing system libraries libsvmissing.so.7" in problem and "apt install libsvmissing7" in problem
    assert "DISPLAY is unset" not in problem
    out = _run(["view", str(dat), "--height", "24", "--width", "32"], DISPLAY=":0", QT_QPA_PLATFORM="xcb",
               QT_QPA_PLATFORM_PLUGIN_PATH=str(broken_plugin))
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "libsvmissing.so.7" in out.stderr


def test_screenshot_without_a_display_renders_offscreen_quietly(dat, tmp_path):
    shot = tmp_path / "shot.png"
    out = _run(["view", str(dat), "--height", "24", "--width", "32", "--screenshot", str(shot), "--size", "1200x600"],
               QT_QPA_PLATFORM="xcb")  # asked for X11, but there is no display: offscreen instead
    assert out.returncode == 0, out.stderr
    assert cv2.imread(str(shot)).shape == (600, 1200, 3)
    assert "propagateSizeHints" not in out.stderr, out.stderr  # Qt's offscreen noise is dropped


def test_other_qt_messages_still_reach_stderr(tmp_path):
    code = ("import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "from spikevision.viewer.platform import install_message_filter\n"
            "install_message_filter()\n"
            "from PyQt6.QtCore import qWarning\n"
            "qWarning(b'This plugin does not support propagateSizeHints()')\n"
            "qWarning(b'a message that matters')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert "a message that matters" in out.stderr and "propagateSizeHints" not in out.stderr


def test_debian_package_names():
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libEGL.so.1") == "libegl1"
