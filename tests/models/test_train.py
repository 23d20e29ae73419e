"""Training: a tiny run reduces the loss, save/resume continues identically, the command writes its files."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import torch

from spikevision.models import SpikeUNet
from spikevision.models.data import training_batch
from spikevision.models.train import train
from spikevision.models.weights import sha256_file

TINY = dict(width=4, crop=16, batch=4, threads=1, checkpoint_every=1000)


def _loss(model, batches):
    with torch.no_grad():
        out = []
        for x, y in batches:
            pred = model(torch.from_numpy(x))
            y = torch.from_numpy(y)
            out.append(float(((pred - y).abs() / torch.clamp(y.mean(dim=(1, 2), keepdim=True), min=1e-3)).mean()))
    return float(np.mean(out))


def test_batches_deterministic():
    a, b = training_batch(5, 3, batch=4, size=16), training_batch(5, 3, batch=4, size=16)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = training_batch(5, 4, batch=4, size=16)
    assert not np.array_equal(a[0], c[0])
    assert a[0].shape == (4, 41, 16, 16) and a[1].shape == (4, 16, 16) and a[1].dtype == np.float32


def test_tiny_training_reduces_loss(tmp_path):
    held_out = [training_batch(999, k, batch=8, size=16) for k in range(3)]
    torch.manual_seed(0)
    before = _loss(SpikeUNet(width=4).eval(), held_out)          # the untrained network: TFP-41
    res = train(tmp_path, steps=60, lr=5e-3, progress=False, **TINY)
    after = _loss(res["model"].eval(), held_out)
    assert res["step"] == 60 and len(res["losses"]) == 60
    assert after < 0.9 * before, (before, after)


def test_resume_is_identical(tmp_path):
    full = train(tmp_path / "a", steps=10, progress=False, **TINY)
    part = train(tmp_path / "b", steps=10, stop_at=4, progress=False, **TINY)
    assert part["step"] == 4
    rest = train(tmp_path / "b", steps=10, resume=True, progress=False, **TINY)
    assert rest["step"] == 10 and rest["losses"] == full["losses"]
    for (k, v), (_, w) in zip(full["model"].state_dict().items(), rest["model"].state_dict().items()):
        assert torch.equal(v, w), k


def test_command_writes_weights(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "spikevision.models.train", "recon", "--out", str(out), "--steps", "3", "--crop",
           "16", "--batch", "2", "--width", "4", "--threads", "1", "--val-size", "0"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "step 3" in r.stderr
    meta = json.loads((out / "weights.json").read_text())
    assert meta["sha256"] == sha256_file(out / "weights.pt") and meta["steps"] == 3
    assert (out / "checkpoint.pt").exists()
    bad = subprocess.run(cmd[:4] + ["--out", str(out), "--steps", "0"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "must be > 0" in bad.stderr
