"""``apps/demo.py`` (``make demo``): runs end to end, and its pictures are exposed for people."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np

from tests.cli._run import ROOT, env


def test_demo_runs_and_its_pngs_use_auto_exposure(tmp_path):
    out = tmp_path / "demo"
    r = subprocess.run([sys.executable, str(ROOT / "apps" / "demo.py"), "--out", str(out), "--frames", "300"],
                       capture_output=True, text=True, timeout=600, env=env())
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "All outputs are in" in r.stdout
    for name in ("firing_rate.png", "recon_tfp.png", "recon_best.png"):
        img = cv2.imread(str(out / name), cv2.IMREAD_GRAYSCALE)
        # the 99.5th percentile of the firing rate is white (max-scaling left the picture dim)
        assert np.percentile(img, 99.5) >= 245 and 0.3 < (img / 255).mean() < 0.8, name
