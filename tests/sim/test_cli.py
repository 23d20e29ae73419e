"""``spikevision simulate`` and ``spikevision benchmark-data``."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

import spikevision as sv
from spikevision.cli import main
from spikevision.sim import load_modulo, make_sample


def test_simulate_scene_to_h5_and_dat(tmp_path):
    out = tmp_path / "a.h5"
    assert main(["simulate", str(out), "--scene", "texture_motion", "--frames", "120", "--height", "16",
                 "--width", "24", "--seed", "3", "--noise", "dark_current,shot"]) == 0
    s = sv.open(out)
    assert s.shape == (120, 16, 24) and s.meta.sensor == "sim"
    assert main(["simulate", str(tmp_path / "a.dat"), "--scene", "texture_motion", "--frames", "120", "--height",
                 "16", "--width", "24", "--seed", "3", "--noise", "dark_current,shot"]) == 0
    d = sv.open(tmp_path / "a.dat", height=16, width=24)
    np.testing.assert_array_equal(d.packed(), s.packed())


def test_simulate_image_with_cfa_and_modulo(tmp_path):
    img = np.zeros((16, 24, 3), np.uint8)
    img[..., 2] = 200  # red in RGB (OpenCV writes BGR)
    cv2.imwrite(str(tmp_path / "i.png"), img)
    out = tmp_path / "c.h5"
    assert main(["simulate", str(out), "--image", str(tmp_path / "i.png"), "--cfa", "rggb", "--frames", "400",
                 "--modulo", str(tmp_path / "m.npz"), "--modulo-bits", "4", "--modulo-every", "40"]) == 0
    s = sv.open(out)
    assert s.meta.cfa == "rggb" and len(s) == 400
    rate = s.firing_rate()
    assert rate[0::2, 0::2].min() > 0.2 and rate[1::2, 1::2].max() == 0  # R sites fire, B sites see nothing
    rec = load_modulo(tmp_path / "m.npz")
    assert rec.y.shape == (10, 16, 24) and rec.bits == 4
    # resized on the way in
    assert main(["simulate", str(tmp_path / "r.h5"), "--image", str(tmp_path / "i.png"), "--frames", "10",
                 "--height", "8", "--width", "12"]) == 0
    assert sv.open(tmp_path / "r.h5").shape == (10, 8, 12)


@pytest.mark.parametrize("argv, msg", [
    (["--scene", "snow"], "unknown scene"),
    ([], "exactly one input"),
    (["--scene", "rain", "--cfa", "bggr"], "color"),
    (["--scene", "rain", "--noise", "rain"], "unknown term"),
    (["--scene", "rain", "--scene-param", "density"], "key=value"),
    (["--scene", "rain", "--scene-param", "colour=1"], "scene-param"),
])
def test_simulate_errors_name_the_fix(tmp_path, capsys, argv, msg):
    assert main(["simulate", str(tmp_path / "x.h5"), "--frames", "10", "--height", "8", "--width", "8"] + argv) == 1
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()


def test_benchmark_data_writes_manifest_and_matches_sample(tmp_path):
    root = tmp_path / "bench"
    assert main(["benchmark-data", str(root), "--height", "24", "--width", "32", "--frames", "100",
                 "--task", "recon", "--task", "rain", "--gt-every", "50"]) == 0
    m = json.loads((root / "manifest.json").read_text())
    assert m["version"] == "svbench-1" and {s["id"] for s in m["scenes"]} == {"sample", "rain_light", "rain_heavy"}
    sample = next(s for s in m["scenes"] if s["id"] == "sample")
    clean = sv.open(root / sample["files"]["spikes_clean"])
    np.testing.assert_array_equal(clean.packed(), make_sample(24, 32, 100, seed=0).packed())
    noisy = sv.open(root / sample["files"]["spikes_noisy"])
    np.testing.assert_array_equal(noisy.packed(), make_sample(24, 32, 100, seed=0, noise=True).packed())
    import hashlib

    assert hashlib.sha256(clean.packed().tobytes()).hexdigest() == sample["sha256_packed"]["spikes_clean"]
    rain = next(s for s in m["scenes"] if s["id"] == "rain_light")
    gt = np.load(root / rain["files"]["gt"])
    mask = sv.open(root / rain["files"]["rain_mask"])
    assert len(mask) == 100 and gt["rain_mask"].shape == (2, 24, 32)
    np.testing.assert_array_equal(mask[50].astype(bool), gt["rain_mask"][1])
    for key in rain["gt_keys"]:
        assert key in gt.files
    # a second run refuses to overwrite unless asked
    assert main(["benchmark-data", str(root), "--frames", "10", "--height", "8", "--width", "8"]) == 1


def test_benchmark_is_deterministic(tmp_path):
    from spikevision.sim.benchmark import write_benchmark

    a = json.loads(write_benchmark(tmp_path / "a", height=16, width=24, frames=60, tasks=("hdr", "stereo"),
                                   gt_every=30).read_text())
    b = json.loads(write_benchmark(tmp_path / "b", height=16, width=24, frames=60, tasks=("hdr", "stereo"),
                                   gt_every=30).read_text())
    assert a == b
    assert {s["id"] for s in a["scenes"]} == {"hdr_static", "hdr_moving", "hdr_color", "stereo_static",
                                              "stereo_moving"}
    for s in a["scenes"]:
        ga, gb = np.load(tmp_path / "a" / s["files"]["gt"]), np.load(tmp_path / "b" / s["files"]["gt"])
        for k in ga.files:
            np.testing.assert_array_equal(ga[k], gb[k])
    hdr = next(s for s in a["scenes"] if s["id"] == "hdr_static")
    rec = load_modulo(tmp_path / "a" / hdr["files"]["modulo_clean"])
    clean = sv.open(tmp_path / "a" / hdr["files"]["spikes_clean"])
    # the HDR counter and the binary stream see the same scene: the counter fires many times per tick where
    # the binary pixel fires at most once
    assert rec.mode == "counter" and rec.ticks.tolist() == [0, 1, 5, 25, 50, 51, 55]
    assert clean.firing_rate().max() <= 1 and (rec.counts[1] - rec.counts[0]).max() > 1
    from spikevision.hdr import unwrap

    np.testing.assert_array_equal(unwrap(rec).counts, rec.true_counts())
