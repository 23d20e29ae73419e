"""``spikevision simulate --modulo --schedule`` and ``spikevision hdr`` as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import h5py
import numpy as np

from spikevision.sim import load_modulo


def run(*argv, cwd):
    env = {**os.environ, "SPIKEVISION_PROGRESS": "0"}
    return subprocess.run([sys.executable, "-m", "spikevision", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_simulate_schedule_then_hdr(tmp_path):
    r = run("simulate", "s.h5", "--scene", "hdr", "--height", "24", "--width", "32", "--frames", "300", "--modulo",
            "m.npz", "--schedule", "0,1,5,25/50", "--noise", "full", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rec = load_modulo(tmp_path / "m.npz")
    assert rec.schedule == "0,1,5,25/50" and rec.mode == "counter" and rec.ticks[:5].tolist() == [0, 1, 5, 25, 50]
    r = run("hdr", "m.npz", "out", "--linear", "lin.h5", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    js = json.loads(r.stdout)
    assert js["images"] == 6 and js["fold_error_rate"] == 0.0 and js["method"] == "best"
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert len(pngs) == 6 and cv2.imread(str(pngs[0]), cv2.IMREAD_UNCHANGED).shape == (24, 32)
    with h5py.File(tmp_path / "lin.h5") as f:
        assert f["radiance"].shape == (6, 24, 32) and f["radiance"].dtype == np.float32
    r = run("hdr", "m.npz", "one.mp4", "--linear", "lin.tif", "--tonemap", "drago", "--method", "temporal",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "fold-error rate" in r.stdout and (tmp_path / "lin.tif").exists()
    # refusals: existing output without --overwrite, the input as output, a bad schedule
    assert run("hdr", "m.npz", "one.mp4", cwd=tmp_path).returncode != 0
    r = run("hdr", "m.npz", "m.npz", "--overwrite", cwd=tmp_path)
    assert r.returncode != 0 and (tmp_path / "m.npz").exists()
    r = run("simulate", "t.h5", "--scene", "hdr", "--frames", "10", "--modulo", "n.npz", "--schedule", "0,60/50",
            cwd=tmp_path)
    assert r.returncode != 0 and "offsets" in r.stderr and not (tmp_path / "n.npz").exists()


def test_hdr_view_mode_renders_the_record_beside_the_stream(tmp_path):
    import spikevision as sv
    from spikevision.hdr import tonemap, unwrap
    from spikevision.viewer.modes import get_mode

    r = run("simulate", "s.h5", "--scene", "hdr", "--height", "24", "--width", "32", "--frames", "200", "--modulo",
            "m.npz", "--schedule", "0,1,5,25/50", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    s = sv.open(tmp_path / "s.h5")
    mode = get_mode("hdr")
    img = mode.render(s, at=100, window=50)
    assert img.shape == (24, 32) and img.dtype == np.float32 and 0 <= img.min() and img.max() <= 1
    rec = load_modulo(tmp_path / "m.npz")
    res = unwrap(rec)
    j, k = int(np.searchsorted(rec.ticks, 75)), int(np.searchsorted(rec.ticks, 125))
    peak = float(res.radiance(0, -1).max())
    np.testing.assert_allclose(img, tonemap(res.radiance(j, k), peak=peak), atol=1e-6)
    assert mode.last_source == "record"
    # a stream without a record: its own firing rate, tone mapped
    alone = sv.from_array(s.unpack(), fps=20000)
    img = mode.render(alone, at=100, window=50)
    assert mode.last_source == "spikes"
    np.testing.assert_allclose(img, tonemap(alone[75:125].spike_counts() / 50.0, peak=1.0), atol=1e-6)
