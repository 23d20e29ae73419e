"""Every registered pipeline step through ``batch.run`` (serial), checked against calling its module directly."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

import spikevision as sv
from spikevision import batch
from spikevision.batch import PipelineError, registered_steps
from spikevision.batch.runner import partner_path


def _rec(path: Path, t: int = 120, h: int = 24, w: int = 32, seed: int = 0, p: float = 0.15) -> Path:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    sv.save(path, (rng.random((t, h, w)) < p).astype(np.uint8))
    return path


def _one(tmp_path: Path, inp: Path, pipeline: str) -> h5py.File:
    rep = batch.run([inp], pipeline, tmp_path / "out")
    assert rep.ok, rep.table()
    return h5py.File(tmp_path / "out" / (inp.name + ".h5"), "r")


def test_every_module_step_is_registered():
    for name in ("recon", "denoise", "flow", "stereo", "derain", "hdr", "convert", "info"):
        batch.get_step(name)
    assert {"recon", "denoise", "flow", "stereo", "derain", "hdr", "convert", "info"} <= set(registered_steps())
    assert batch.get_step("stereo").source == "pair" and batch.get_step("hdr").source == "modulo"


def test_info_step(tmp_path):
    inp = _rec(tmp_path / "d" / "r.dat")
    s = sv.open(inp)
    with _one(tmp_path, inp, "info") as f:
        assert f["info"].attrs["frames"] == 120 and f["info"].attrs["height"] == 24
        np.testing.assert_allclose(f["info/firing_rate"][()], s.spike_counts() / 120, rtol=1e-6)


@pytest.mark.parametrize("with_calibration", [False, True])
def test_denoise_step_and_denoise_feeds_recon(tmp_path, with_calibration):
    from spikevision.denoise import calibrate, denoise
    from spikevision.recon import reconstruct_sequence

    inp = _rec(tmp_path / "d" / "r.dat", t=160)
    spec, cal = "denoise:temporal", None
    if with_calibration:
        dark = _rec(tmp_path / "dark.dat", t=200, p=0.01, seed=3)
        cal = calibrate(dark=sv.open(dark))
        cal.save(tmp_path / "cal.h5")
        spec = f"denoise:hot:calibration={tmp_path / 'cal.h5'}"
    with _one(tmp_path, inp, spec + ",recon:best:step=40") as f:
        method = "hot" if with_calibration else "temporal"
        want = denoise(sv.open(inp), calibration=cal, method=method)
        np.testing.assert_array_equal(f["denoise/spike_counts"][()], want.spike_counts())
        assert f["denoise"].attrs["removed"] == int(sv.open(inp).spike_counts().sum() - want.spike_counts().sum())
        # recon reads the denoised spikes, not the raw ones
        np.testing.assert_array_equal(f["recon/images"][()], reconstruct_sequence(want, "best", step=40))


def test_flow_step_uses_spikevision_flow(tmp_path):
    from spikevision.flow import estimate_sequence

    inp = _rec(tmp_path / "d" / "r.dat", t=120)
    with _one(tmp_path, inp, "flow:dis:dt=20:step=40") as f:
        want = estimate_sequence(sv.open(inp), 20, step=40, method="dis")
        np.testing.assert_array_equal(f["flow/flow"][()], want)
        np.testing.assert_array_equal(f["flow/frames"][()], [0, 40, 80][:len(want)])


def test_stereo_step_pair_file_and_left_right_names(tmp_path):
    from spikevision.stereo import disparity_sequence, save_pair

    left, right = (_rec(tmp_path / "d" / "cam_left.dat", w=64, seed=1),
                   _rec(tmp_path / "d" / "cam_right.dat", w=64, seed=2))
    assert partner_path(left) == right and partner_path(tmp_path / "LEFT.dat").name == "RIGHT.dat"
    want = disparity_sequence(sv.open(left), sv.open(right), step=40, method="sgbm", max_disparity=16)
    with _one(tmp_path, left, "stereo:sgbm:step=40:max_disparity=16") as f:
        np.testing.assert_array_equal(f["stereo/disparity"][()], want)
    (tmp_path / "p").mkdir()
    pair = save_pair(tmp_path / "p" / "pair.h5", sv.open(left), sv.open(right))
    with _one(tmp_path / "x", pair, "stereo:sgbm:step=40:max_disparity=16") as f:
        np.testing.assert_array_equal(f["stereo/disparity"][()], want)
    lonely = _rec(tmp_path / "e" / "solo.dat")
    rep = batch.run([lonely], "stereo", tmp_path / "y")
    assert rep.count("failed") == 1 and "RIGHT" in rep.results[0].error


def test_derain_step(tmp_path):
    from spikevision.derain import derain_sequence

    inp = _rec(tmp_path / "d" / "r.dat", t=160)
    with _one(tmp_path, inp, "derain:temporal:step=40") as f:
        np.testing.assert_array_equal(f["derain/images"][()],
                                      derain_sequence(sv.open(inp), step=40, method="temporal"))


def test_hdr_step_on_modulo_records(tmp_path):
    from spikevision.hdr import unwrap
    from spikevision.sim import HDRScene, save_modulo, simulate_modulo

    _, rec = simulate_modulo(HDRScene(16, 24, frames=300, seed=2), schedule="0,1,5,25/50", seed=2, keep_spikes=False)
    (tmp_path / "d").mkdir()
    inp = save_modulo(tmp_path / "d" / "m.npz", rec)
    with _one(tmp_path, inp, "hdr:temporal") as f:
        res = unwrap(rec, method="temporal")
        np.testing.assert_array_equal(f["hdr/counts"][()], res.counts)
        np.testing.assert_array_equal(f["hdr/radiance"][()], res.radiance())
        assert f.attrs["frames"] == len(rec.y) and f.attrs["height"] == 16
    with pytest.raises(PipelineError, match="pipeline of its own"):
        batch.runner.open_source(inp, {"modulo", "stream"})


def test_convert_step(tmp_path):
    inp = _rec(tmp_path / "d" / "r.dat")
    with _one(tmp_path, inp, "convert:h5") as f:
        assert f["convert"].attrs["file"] == "r.dat.spikes.h5"
    np.testing.assert_array_equal(sv.open(tmp_path / "out" / "r.dat.spikes.h5").unpack(), sv.open(inp).unpack())


def test_short_recording_fails_with_a_clear_flow_error(tmp_path):
    inp = _rec(tmp_path / "d" / "r.dat", t=30)
    rep = batch.run([inp], "flow:dis:dt=40", tmp_path / "o")
    assert rep.count("failed") == 1 and "flow:dt=N" in rep.results[0].error


def test_denoise_then_recon_in_worker_processes_equals_serial(tmp_path):
    paths = [_rec(tmp_path / "d" / f"r{k}.dat", t=80, seed=k) for k in range(2)]
    spec = "denoise:temporal,recon:tfp:window=11:step=20"
    a = batch.run(paths, spec, tmp_path / "a")
    b = batch.run(paths, spec, tmp_path / "b", executor="process", workers=2)
    assert a.ok and b.ok, b.table()
    for p in paths:
        with h5py.File(tmp_path / "a" / (p.name + ".h5")) as fa, h5py.File(tmp_path / "b" / (p.name + ".h5")) as fb:
            np.testing.assert_array_equal(fa["recon/images"][()], fb["recon/images"][()])
            np.testing.assert_array_equal(fa["denoise/spike_counts"][()], fb["denoise/spike_counts"][()])
