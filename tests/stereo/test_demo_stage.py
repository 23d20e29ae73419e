"""The `make demo` stereo stage prints its EPE and saves a colour-mapped PNG."""

import importlib.util

import cv2

from ..cli._run import ROOT


def test_stage_stereo(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("_demo_stereo", ROOT / "apps" / "_demo_stereo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    epe = mod.stage_stereo(tmp_path, 300)
    out = capsys.readouterr().out
    assert "EPE" in out and epe < 1.0
    assert cv2.imread(str(tmp_path / "stereo_disparity.png")).shape == (250, 400, 3)
