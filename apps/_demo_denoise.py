"""`make demo` stage: calibrate a simulated sensor, denoise a recording, show before/after images."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def stage_denoise(out: Path, height: int = 125, width: int = 200, frames: int = 400) -> None:
    """Dark + flat recordings of one defective sensor -> calibration -> denoised spikes; PSNR and a PNG."""
    import cv2

    from spikevision import metrics, recon
    from spikevision.denoise import calibrate, denoise
    from spikevision.sim import DarkScene, FlatScene, Simulator, TextureMotion
    from spikevision.sim.benchmark import DENOISE_NOISE, FLAT_LEVEL

    print("\n== denoise: calibrate a sensor, remove its fixed pattern and hot pixels " + "=" * 4, flush=True)
    t0 = time.perf_counter()
    seed, theta = 5, 2.0

    def sim(scene, noise, n):
        return Simulator(scene, n_frames=n, theta=theta, reset="subtract", init="uniform", full_well=2.0,
                         noise=noise, seed=seed).run()

    dark = sim(DarkScene(height, width, 2000), DENOISE_NOISE, 2000)
    flat = sim(FlatScene(height, width, 2000, level=FLAT_LEVEL), DENOISE_NOISE, 2000)
    cal = calibrate(dark, flat, flat_level=FLAT_LEVEL / theta)
    cal.save(out / "calibration.h5")
    s = cal.summary()
    print(f"   calibration from 2,000 dark + 2,000 flat frames: dark rate {s['dark_rate_median']:.4f} spikes/frame, "
          f"gain spread {100 * s['gain_std']:.1f} %, {s['hot']} hot, {s['dead']} dead  {out / 'calibration.h5'}")
    scene = TextureMotion(height, width, frames, seed=seed, velocity=(0.0, 0.0))
    clean, noisy = sim(scene, None, frames), sim(scene, DENOISE_NOISE, frames)
    fixed = denoise(noisy, calibration=cal)
    at = frames // 2
    truth = scene.rate(at, theta=theta) / 0.5
    row = []
    for name, s_ in (("noisy", noisy), ("denoised", fixed), ("clean twin", clean)):
        img = recon.reconstruct(s_, "best", at=at, rate=0.5)
        row.append(img)
        print(f"   {name:<10} best reconstruction: PSNR {metrics.psnr(img, truth, data_range=1.0):5.2f} dB, "
              f"SSIM {metrics.ssim(img, truth, data_range=1.0):.3f}")
    gap = np.ones((height, 4), np.float32)
    pic = np.concatenate([row[0], gap, row[1], gap, row[2]], axis=1)
    white = max(float(np.percentile(np.stack(row), 99.5)), 1e-6)
    path = out / "denoise_before_after.png"
    cv2.imwrite(str(path), np.clip(pic / white * 255 + 0.5, 0, 255).astype(np.uint8))
    print(f"   noisy | denoised | clean twin: {path}")
    print(f"   ({time.perf_counter() - t0:.2f} s)", flush=True)
