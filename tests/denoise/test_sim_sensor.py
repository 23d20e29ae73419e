"""The simulator's calibration scenes, hot/dead pixels and the benchmark's "denoise" task."""

from __future__ import annotations

import json

import numpy as np

import spikevision as sv
from spikevision.denoise import calibrate
from spikevision.sim import DarkScene, FlatScene, NoiseModel, make_scene
from spikevision.sim.benchmark import DENOISE_NOISE, FLAT_LEVEL, write_benchmark


def test_defects_keep_every_other_pattern():
    a = NoiseModel().draw(20, 30, 9, 2.0, 20000.0)
    b = NoiseModel(hot_fraction=0.05, dead_fraction=0.02).draw(20, 30, 9, 2.0, 20000.0)
    assert a.hot is None and b.hot.any() and b.dead.any() and not (b.hot & b.dead).any()
    ok = ~(b.hot | b.dead)
    np.testing.assert_array_equal(a.dark[ok], b.dark[ok])
    np.testing.assert_array_equal(a.gain[ok], b.gain[ok])
    np.testing.assert_array_equal(a.threshold, b.threshold)
    assert (b.gain[b.dead] == 0).all() and (b.dark[b.hot] > 10 * a.dark.mean()).all()


def test_dark_and_flat_scenes():
    assert make_scene("dark", height=4, width=6).radiance(3.0).max() == 0
    f = FlatScene(4, 6, level=0.7)
    assert f.params()["level"] == 0.7 and np.all(f(100.0) == np.float32(0.7))
    assert make_scene("flat", height=4, width=6).level == 0.5
    assert DarkScene(4, 6).params()["scene"] == "dark"


def test_benchmark_denoise_task(tmp_path):
    manifest = json.loads(write_benchmark(tmp_path, height=24, width=32, frames=1500, tasks=("denoise",))
                          .read_text())
    (rec,) = manifest["scenes"]
    assert rec["task"] == "denoise" and rec["noise"]["hot_fraction"] == DENOISE_NOISE.hot_fraction
    assert set(rec["files"]) == {"spikes_clean", "spikes_noisy", "spikes_dark", "spikes_flat", "fixed_pattern", "gt"}
    z = np.load(tmp_path / rec["files"]["fixed_pattern"])
    cal = calibrate(sv.open(tmp_path / rec["files"]["spikes_dark"]), sv.open(tmp_path / rec["files"]["spikes_flat"]),
                    flat_level=FLAT_LEVEL / 2.0)
    good = ~(z["hot"] | z["dead"])
    assert np.abs(cal.dark_rate - z["dark_rate"])[good].max() < 1 / 1500 + 1e-6
    assert (np.abs(cal.gain - z["rate_gain"])[good] / z["rate_gain"][good]).max() < 0.01
    np.testing.assert_array_equal(cal.hot, z["hot"])
    np.testing.assert_array_equal(cal.dead, z["dead"])
