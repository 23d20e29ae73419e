"""Modulo (HDR) readings: exact folds, temporal unwrapping, the .npz container."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.errors import FormatError, SpikevisionError
from spikevision.sim import HDRScene, load_modulo, save_modulo, simulate_modulo


def test_count_mode_folds_restore_the_spike_counts():
    sc = HDRScene(24, 40, frames=2000, seed=1)
    s, rec = simulate_modulo(sc, bits=4, every=25, mode="count", seed=1)
    assert rec.y.shape == (80, 24, 40) and rec.y.dtype == np.uint8 and rec.y.max() < 16
    cum = np.cumsum(s.unpack().astype(np.int64), axis=0)[rec.ticks - 1]
    np.testing.assert_array_equal(rec.unwrapped(), cum)
    np.testing.assert_array_equal(rec.folds, cum // 16)
    assert rec.folds.max() > 50  # bright pixels wrapped many times
    # consecutive reads unwrap exactly (fewer than L = 16 spikes per 25 ticks? not for the brightest pixels)
    d = np.diff(np.concatenate([np.zeros_like(rec.y[:1], dtype=np.int64), rec.y.astype(np.int64)]), axis=0) % 16
    true = np.diff(np.concatenate([np.zeros_like(cum[:1]), cum]), axis=0)
    ok = true < 16
    np.testing.assert_array_equal(d[ok], true[ok])
    assert (~ok).any()


def test_charge_mode_is_the_quantised_residual():
    # constant dyadic input from zero charge: N(t) = floor(t L / theta), R(t) = t L mod theta exactly
    levels = np.array([[0.25, 0.375, 1.0, 1.9375]], np.float32)
    _, rec = simulate_modulo(levels, n_frames=400, bits=6, every=16, mode="charge", init="zero", keep_spikes=False)
    t = rec.ticks[:, None, None].astype(np.float64)
    total = t * levels.astype(np.float64)[None]
    np.testing.assert_array_equal(rec.folds, np.floor(total / 2.0))
    np.testing.assert_array_equal(rec.y, np.floor((total % 2.0) / 2.0 * 64))
    np.testing.assert_allclose(rec.unwrapped(), total, atol=2.0 / 64)
    np.testing.assert_allclose(rec.radiance()[1:], np.broadcast_to(levels, rec.y[1:].shape), atol=2.0 / 64 / 16)


def test_container_round_trip_and_errors(tmp_path):
    _, rec = simulate_modulo(HDRScene(16, 24, frames=200), bits=10, every=20, mode="count", keep_spikes=False)
    assert rec.y.dtype == np.uint16
    p = save_modulo(tmp_path / "m.npz", rec)
    back = load_modulo(p)
    for k in ("y", "folds", "ticks"):
        np.testing.assert_array_equal(getattr(back, k), getattr(rec, k))
    assert (back.bits, back.every, back.mode, back.theta) == (10, 20, "count", 2.0)
    assert back.provenance["input"]["scene"] == "hdr"
    with pytest.raises(FormatError, match="npz"):
        save_modulo(tmp_path / "m.h5", rec)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(FormatError, match="missing"):
        load_modulo(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FormatError):
        load_modulo(tmp_path / "junk.npz")


@pytest.mark.parametrize("kw", [dict(bits=0), dict(bits=17), dict(every=0), dict(mode="phase"),
                                dict(mode="charge", reset="zero")])
def test_bad_modulo_parameters(kw):
    with pytest.raises(SpikevisionError):
        simulate_modulo(np.ones((4, 8), np.float32), n_frames=10, **kw)


def test_counter_mode_fires_many_times_per_tick_without_a_cap():
    levels = np.array([[0.0, 0.5, 1.0, 1.9]], np.float32)
    _, rec = simulate_modulo(levels, n_frames=100, schedule="0,1,5,25/50", gain=64, init="zero", keep_spikes=False)
    np.testing.assert_array_equal(rec.ticks, [0, 1, 5, 25, 50, 51, 55, 75, 100])
    # clean counter: exactly floor(t * gain * L / theta) fires, 60.8 per tick at the brightest pixel
    np.testing.assert_array_equal(rec.counts, np.floor(rec.ticks[:, None, None] * levels * 64 / 2.0 + 1e-9))
    assert rec.mode == "counter" and (rec.unwrapped() % 256 == rec.y).all()
    np.testing.assert_allclose(rec.radiance_true, np.broadcast_to(levels, rec.y.shape))
    _, capped = simulate_modulo(levels, n_frames=100, schedule=10, gain=64, max_rate=16, init="zero",
                                keep_spikes=False)
    assert np.diff(capped.counts, axis=0).max() == 160  # the counter clock: 16 fires per tick


def test_counter_records_round_trip_and_old_records_load(tmp_path):
    from spikevision.sim import NoiseModel

    s, rec = simulate_modulo(HDRScene(16, 24, frames=200, seed=4), schedule="0,1,5,25/50", noise=NoiseModel(),
                             seed=4)
    assert len(s) == 200 and rec.response.shape == (16, 24) and rec.dark.mean() > 0
    back = load_modulo(save_modulo(tmp_path / "c.npz", rec))
    for k in ("y", "folds", "ticks", "counts", "radiance_true", "response", "dark"):
        np.testing.assert_array_equal(getattr(back, k), getattr(rec, k))
    assert back.schedule == "0,1,5,25/50" and back.mode == "counter"
    # a version 1 file (no counts, radiance, schedule) still loads
    import json

    meta = {"format": "spikevision-modulo", "version": 1, "bits": 8, "every": 20, "mode": "count", "theta": 2.0,
            "gain": 1.0, "fps": 20000.0, "height": 2, "width": 3}
    np.savez(tmp_path / "v1.npz", y=np.zeros((4, 2, 3), np.uint8), folds=np.zeros((4, 2, 3), np.int32),
             ticks=np.arange(1, 5) * 20, meta=np.array(json.dumps(meta)))
    old = load_modulo(tmp_path / "v1.npz")
    assert old.counts is None and old.schedule is None and old.true_counts().shape == (4, 2, 3)
    meta["version"] = 3
    np.savez(tmp_path / "v3.npz", y=np.zeros((4, 2, 3), np.uint8), folds=np.zeros((4, 2, 3), np.int32),
             ticks=np.arange(1, 5) * 20, meta=np.array(json.dumps(meta)))
    with pytest.raises(FormatError, match="upgrade"):
        load_modulo(tmp_path / "v3.npz")


@pytest.mark.parametrize("sched", ["0,1,5/5", "1,1/4", "0,1", "a/5", "0/0"])
def test_bad_schedules(sched):
    with pytest.raises(SpikevisionError, match="schedule|offsets|period"):
        simulate_modulo(np.ones((4, 8), np.float32), n_frames=10, schedule=sched)
