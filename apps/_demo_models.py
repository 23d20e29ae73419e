"""`make demo` stage: the learned reconstruction (shipped SpikeUNet weights) against "best" and TFP-41."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def stage_models(out: Path) -> None:
    """A noisy drifting texture (96x128, 200 frames): learned, best and TFP-41 at frame 100, PSNR, a picture."""
    from spikevision.backend import torch_available

    print("\n== learned reconstruction (SpikeUNet, shipped weights) " + "=" * 6, flush=True)
    if not torch_available():
        print("   skipped: needs torch (pip install 'spikevision[learn]')")
        return
    import cv2

    from spikevision import metrics
    from spikevision.io.video import to_uint
    from spikevision.models.data import simulate_scene
    from spikevision.recon import reconstruct
    from spikevision.sim import TextureMotion

    t0 = time.perf_counter()
    scene = TextureMotion(96, 128, 200, seed=31, velocity=(0.03, 0.01))
    spikes = simulate_scene(scene, 31, 1.0, "noisy", 200)
    at = 100
    truth = scene.rate(float(at))
    imgs = {m: np.asarray(reconstruct(spikes, m, at=at, **kw)) for m, kw in
            (("learned", {}), ("best", {}), ("tfp", {"window": 41}))}
    print("   frame 100, noisy sensor: " + ", ".join(f"{'TFP-41' if m == 'tfp' else m} "
                                                     f"{metrics.psnr(i, truth, 0.5):5.2f} dB" for m, i in imgs.items()))
    gap = np.full((96, 4), 0.5, np.float32)
    side = np.concatenate([imgs["tfp"], gap, imgs["best"], gap, imgs["learned"]], axis=1)
    cv2.imwrite(str(out / "learned_tfp_best_learned.png"), to_uint(np.clip(side / 0.5, 0, 1)))
    print(f"   {out / 'learned_tfp_best_learned.png'} (left to right: TFP-41, best, learned)")
    print(f"   ({time.perf_counter() - t0:.2f} s)", flush=True)
