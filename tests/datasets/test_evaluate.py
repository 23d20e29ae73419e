"""``datasets.evaluate`` and ``spikevision datasets evaluate`` on tiny replicas: the scores are the metrics of the
module's own output against the replica's ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import spikevision.datasets as svd
from spikevision.flow import estimate
from spikevision.metrics import disparity_metrics, flow_metrics, psnr
from spikevision.recon import reconstruct
from spikevision.stereo import disparity

from ._replica import write_replica

REPO = Path(__file__).resolve().parents[2]


def test_flow_epe_against_the_replica_ground_truth(tmp_path):
    c = svd.card("SPIFT")
    truth = write_replica(c, tmp_path, per_split=1)
    rep = svd.evaluate("SPIFT", "flow", method="dis", root=tmp_path, dt=4)
    assert len(rep.rows) == len(truth)
    ds = svd.load("SPIFT", tmp_path)
    for row, sample in zip(rep.rows, ds):
        want = flow_metrics(estimate(sample.spikes, 0, 4, method="dis"), sample.gt["flow"][0])
        assert row["id"] == sample.id and row["epe"] == pytest.approx(want["epe"], rel=1e-6)
    assert rep.mean["epe"] == pytest.approx(np.mean([r["epe"] for r in rep.rows]))
    assert "mean" in rep.table()
    with pytest.raises(svd.EvaluationError, match="dt="):
        svd.evaluate("SPIFT", "flow", method="dis", root=tmp_path, dt=10)


def test_stereo_disparity_epe_and_recon_psnr(tmp_path):
    write_replica(svd.card("SpikeStereoNet-synthetic"), tmp_path / "s", per_split=1)
    rep = svd.evaluate("SpikeStereoNet-synthetic", "stereo", method="sgbm", root=tmp_path / "s", limit=1,
                       max_disparity=16)
    s = svd.load("SpikeStereoNet-synthetic", tmp_path / "s")[0]
    gt = s.gt["disparity"]
    want = disparity_metrics(disparity(s.spikes, s.right, len(s.spikes) // 2, method="sgbm", max_disparity=16), gt,
                             np.isfinite(gt) & (gt > 0))
    assert len(rep.rows) == 1 and rep.rows[0]["epe"] == pytest.approx(want["epe"], rel=1e-6)

    write_replica(svd.card("REDS_BASE"), tmp_path / "r", per_split=1)
    rep = svd.evaluate("REDS_BASE", "recon", method="tfp", root=tmp_path / "r", window=5)
    s = svd.load("REDS_BASE", tmp_path / "r")[0]
    img = np.clip(reconstruct(s.spikes, "tfp", None, window=5), 0, 1)
    assert rep.rows[0]["psnr"] == pytest.approx(psnr(img, s.gt["image"]), rel=1e-6)
    with pytest.raises(svd.EvaluationError, match="no disparity ground truth"):
        svd.evaluate("REDS_BASE", "stereo", root=tmp_path / "r")


def test_cli_evaluate_writes_a_json_report(tmp_path):
    write_replica(svd.card("SPIFT"), tmp_path / "d", per_split=1)
    env = {**os.environ, "PYTHONPATH": str(REPO), "SPIKEVISION_PROGRESS": "0"}
    r = subprocess.run([sys.executable, "-m", "spikevision", "datasets", "evaluate", "SPIFT", "--task", "flow",
                        "--method", "dis", "--root", str(tmp_path / "d"), "-o", "dt=4", "--report",
                        str(tmp_path / "rep.json")], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "epe" in r.stdout and "mean" in r.stdout
    rep = json.loads((tmp_path / "rep.json").read_text())
    assert rep["task"] == "flow" and rep["recordings"] >= 1 and rep["mean"]["epe"] > 0
    r = subprocess.run([sys.executable, "-m", "spikevision", "datasets", "evaluate", "SPIFT", "--task", "flow",
                        "--root", str(tmp_path / "d"), "-o", "dt"], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "KEY=VALUE" in r.stderr
