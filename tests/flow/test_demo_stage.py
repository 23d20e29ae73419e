"""The `make demo` flow stage: prints its EPE against the truth and saves the colour-wheel pictures."""

import re
import sys
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[2]


def test_demo_flow_stage(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "apps"))
    sys.modules.pop("_demo_flow", None)
    import _demo_flow

    _demo_flow.stage_flow(tmp_path)
    text = capsys.readouterr().out
    epe = {m: float(v) for m, v in re.findall(r"(best|dis)\s+frames 110 -> 130: EPE ([0-9.]+) px", text)}
    assert set(epe) == {"best", "dis"} and epe["best"] < 0.05 and epe["best"] < epe["dis"]
    for name in ("flow_color.png", "flow_truth_color.png", "flow_arrows.png"):
        img = cv2.imread(str(tmp_path / name))
        assert img is not None and img.shape == (120, 160, 3), name
    est = cv2.imread(str(tmp_path / "flow_color.png")).astype(int)
    truth = cv2.imread(str(tmp_path / "flow_truth_color.png")).astype(int)
    assert abs(est - truth).mean() < 12   # the estimate looks like the truth
