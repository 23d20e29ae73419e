"""Quality bounds on simulated HDR scenes (several scenes and seeds, small sizes): the targets of the benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from spikevision.color import demosaic
from spikevision.hdr import unwrap
from spikevision.metrics import fold_error_rate, psnr_mu
from spikevision.sim import HDRScene, NoiseModel, simulate_modulo


def _period_images(rec, res, spikes):
    starts = np.flatnonzero(rec.ticks % 50 == 0)
    cum = np.concatenate([np.zeros((1,) + spikes.shape[1:], np.int64),
                          np.cumsum(spikes.unpack().astype(np.int64), axis=0)])
    scale = rec.provenance["modulo"]["spike_gain"] / rec.gain
    for j, k in zip(starts[:-1], starts[1:], strict=True):
        g = np.diff(rec.ticks)[j:k].astype(np.float64)
        truth = np.tensordot(g, rec.radiance_true[j + 1 : k + 1], axes=1) / g.sum()
        dt = float(rec.ticks[k] - rec.ticks[j])
        tfp = np.maximum((cum[rec.ticks[k]] - cum[rec.ticks[j]]) / dt - rec.dark, 0) / (rec.response * scale)
        if rec.cfa:
            tfp = demosaic(tfp.astype(np.float32), rec.cfa)
        yield res.radiance(j, k), tfp, truth


@pytest.mark.parametrize("kind,seed", [("static", 11), ("static", 12), ("moving", 13), ("moving", 14),
                                       ("colour", 15)])
def test_best_meets_the_fold_error_and_psnr_mu_targets(kind, seed):
    scene = HDRScene(40, 56, n_frames=600, seed=seed, moving=kind == "moving", light_speed=4e-3,
                     color=kind == "colour")
    spikes, rec = simulate_modulo(scene, schedule="0,1,5,25/50", noise=NoiseModel(), seed=seed,
                                  cfa="bggr" if kind == "colour" else None)
    res = unwrap(rec)
    fer = fold_error_rate(res.counts, rec.true_counts())
    assert fer < (0.01 if kind == "moving" else 0.001), fer
    assert fer <= fold_error_rate(unwrap(rec, method="temporal").counts, rec.true_counts())
    gains = [psnr_mu(h, t) - psnr_mu(p, t) for h, p, t in _period_images(rec, res, spikes)]
    assert np.mean(gains) >= 10, gains
